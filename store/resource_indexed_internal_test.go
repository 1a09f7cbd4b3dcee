package store

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opencrs/crs"
)

// TestIndexedValue: a value past indexedMax bytes is cut between two
// characters, never inside one; a shorter one is kept whole.
func TestIndexedValue(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    string
		want int // bytes kept
	}{
		{"short", "heart rate", 10},
		{"exactly the most", strings.Repeat("a", indexedMax), indexedMax},
		{"ASCII past it", strings.Repeat("a", indexedMax+5), indexedMax},
		{"a two-byte letter across the cut", strings.Repeat("a", indexedMax-1) + "é" + "bbb", indexedMax - 1},
		{"four-byte characters", strings.Repeat("😀", indexedMax), indexedMax},
	} {
		got := indexedValue(tc.s)
		if len(got) != tc.want || !utf8.ValidString(got) || !strings.HasPrefix(tc.s, got) {
			t.Errorf("%s: kept %d bytes (valid %v), want %d", tc.name, len(got), utf8.ValidString(got), tc.want)
		}
	}
}

// TestIndexedQuery: the values a search looks for are cut as the index
// keeps them, in a chain's and a reverse chain's conditions too, and the
// query given is left as it was.
func TestIndexedQuery(t *testing.T) {
	long := strings.Repeat("x", indexedMax+100)
	sys := "http://example.org/" + long
	target := &crs.ResourceQuery{Type: "Patient", All: [][]crs.ResourceCondition{{{Param: "name", Kind: "string", Text: long}}}}
	has := &crs.ResourceQuery{Type: "Observation", All: [][]crs.ResourceCondition{{{Param: "code", Kind: "token", Code: long}}}}
	q := crs.ResourceQuery{Type: "Observation", All: [][]crs.ResourceCondition{
		{{Param: "status", Kind: "token", Code: "final"}},
		{{Param: "code", Kind: "token", System: &sys, Code: long}, {Param: "code", Kind: "token", Code: "short"}},
		{{Param: "subject", Kind: "reference", Target: target}},
	}, Not: [][]crs.ResourceCondition{{{Param: "_has", Kind: "has", Has: has}}}}
	got := indexedQuery(q)
	cut := indexedValue(long)
	if c := got.All[1][0]; c.Code != cut || *c.System != indexedValue(sys) {
		t.Errorf("code and system kept %d and %d bytes, want %d", len(c.Code), len(*c.System), indexedMax)
	}
	if got.All[1][1].Code != "short" || got.All[0][0].Code != "final" {
		t.Errorf("short values changed: %q, %q", got.All[1][1].Code, got.All[0][0].Code)
	}
	if got.All[2][0].Target.All[0][0].Text != cut || got.Not[0][0].Has.All[0][0].Code != cut {
		t.Errorf("a chain's or reverse chain's value not cut")
	}
	if q.All[1][0].Code != long || sys != "http://example.org/"+long || target.All[0][0].Text != long || has.All[0][0].Code != long {
		t.Errorf("the query given was changed")
	}
	if same := indexedQuery(crs.ResourceQuery{All: q.All[:1]}); &same.All[0] != &q.All[0] {
		t.Errorf("a query with nothing to cut was copied")
	}
}
