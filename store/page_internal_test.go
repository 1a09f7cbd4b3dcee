package store

import (
	"strconv"
	"testing"

	"github.com/opencrs/crs"
)

func TestKeyset(t *testing.T) {
	tests := []struct {
		name      string
		k         keyset
		cursor    string
		wantAfter string
		wantOrder string
		wantArgs  int
		wantErr   bool
	}{
		{"first page", keyset{keys: []string{"a", "id"}}, "", "", " ORDER BY a, id", 0, false},
		{"after a row", keyset{keys: []string{"a", "id"}}, "2026-01-02|x1", " AND (a, id) > ($1, $2)", " ORDER BY a, id", 2, false},
		{"descending", keyset{keys: []string{"a", "id"}, desc: true}, "2026-01-02|x1", " AND (a, id) < ($1, $2)", " ORDER BY a DESC, id DESC", 2, false},
		{"one key", keyset{keys: []string{"id"}, desc: true}, "x1", " AND id < $1", " ORDER BY id DESC", 1, false},
		{"reversed", keyset{keys: []string{"id"}, desc: true}.reversed(), "x1", " AND id > $1", " ORDER BY id", 1, false},
		{"cursor of another order", keyset{keys: []string{"p", "a", "id"}}, "2026-01-02|x1", "", "", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var args []any
			arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
			got, err := tc.k.after(tc.cursor, arg)
			if tc.wantErr {
				if crs.ErrorCode(err) != crs.EINVALID {
					t.Fatalf("after(%q) error = %v, want EINVALID", tc.cursor, err)
				}
				return
			}
			if err != nil || got != tc.wantAfter || len(args) != tc.wantArgs {
				t.Errorf("after(%q) = %q, %d args, %v; want %q, %d args", tc.cursor, got, len(args), err, tc.wantAfter, tc.wantArgs)
			}
			if o := tc.k.orderBy(); o != tc.wantOrder {
				t.Errorf("orderBy() = %q, want %q", o, tc.wantOrder)
			}
		})
	}
}

func TestPageOf(t *testing.T) {
	vals := func(n int) []string { return []string{strconv.Itoa(n), "id" + strconv.Itoa(n)} }
	tests := []struct {
		name     string
		rows     []int
		limit    int
		wantRows int
		wantNext string
	}{
		{"short page is the last", []int{1, 2}, 3, 2, ""},
		{"full page is the last", []int{1, 2, 3}, 3, 3, ""},
		{"one more row than the page", []int{1, 2, 3, 4}, 3, 3, "3|id3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, next := pageOf(tc.rows, tc.limit, vals)
			if len(rows) != tc.wantRows || next != tc.wantNext {
				t.Errorf("pageOf = %d rows, next %q; want %d rows, next %q", len(rows), next, tc.wantRows, tc.wantNext)
			}
		})
	}
}
