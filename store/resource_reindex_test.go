package store_test

import (
	"context"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestReindexResources: a current version's index rows are rewritten
// only where they differ from those kept, each command's rewrite is one
// resource.reindexed event whatever its size, no version is written, and
// a version no longer current is left alone (its rows are those of the
// version written since).
func TestReindexResources(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RRX")
		loinc := "http://loinc.org"
		rows := func(code string) []crs.ResourceIndexRow {
			return []crs.ResourceIndexRow{{Param: "code", System: loinc, Code: code}, {Param: "status", Code: "final"}}
		}
		put := func(id string, version int, code string) *crs.Resource {
			t.Helper()
			r := &crs.Resource{Type: "Observation", ID: id, Version: version, Body: []byte(`{"resourceType":"Observation"}`)}
			if err := db.Write(ctx, tr.System, crs.ActRecordClinical, func(tx crs.Tx) error { return tx.PutResource(r, rows(code)) }); err != nil {
				t.Fatalf("write %s: %v", id, err)
			}
			return r
		}
		a1, b1 := put("a", 1, "1000-1"), put("b", 1, "1000-1")
		a2 := put("a", 2, "1000-2")
		reindex := func(rs []*crs.Resource, index ...[]crs.ResourceIndexRow) (int, error) {
			var n int
			err := db.Write(ctx, tr.System, crs.ActAdministerSettings, func(tx crs.Tx) error {
				var err error
				n, err = tx.ReindexResources(rs, index)
				return err
			})
			return n, err
		}
		events := func() int64 {
			n, err := db.QueryCount(ctx, `SELECT COUNT(*) FROM events WHERE type = 'resource.reindexed'`)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n, err := reindex([]*crs.Resource{a1}, rows("1000-3")); err != nil || n != 0 {
			t.Errorf("version 1 of a, no longer current: rewrote %d (%v), want 0", n, err)
		}
		for _, tc := range []struct {
			name  string
			rs    []*crs.Resource
			index [][]crs.ResourceIndexRow
			want  int
		}{
			{"the rows kept", []*crs.Resource{a2, b1}, [][]crs.ResourceIndexRow{rows("1000-2"), rows("1000-1")}, 0},
			{"one changed", []*crs.Resource{a2, b1}, [][]crs.ResourceIndexRow{rows("1000-2"), rows("1000-3")}, 1},
			{"one row fewer", []*crs.Resource{b1}, [][]crs.ResourceIndexRow{rows("1000-3")[:1]}, 1},
			{"the same again", []*crs.Resource{b1}, [][]crs.ResourceIndexRow{rows("1000-3")[:1]}, 0},
		} {
			before := events()
			n, err := reindex(tc.rs, tc.index...)
			if err != nil || n != tc.want {
				t.Errorf("%s: rewrote %d (%v), want %d", tc.name, n, err, tc.want)
			}
			if got := events() - before; got != 1 {
				t.Errorf("%s: %d resource.reindexed events, want 1", tc.name, got)
			}
		}
		q := crs.ResourceQuery{Type: "Observation", Count: 10, All: [][]crs.ResourceCondition{{{Param: "code", Kind: "token", Op: crs.MatchEq, System: &loinc, Code: "1000-3"}}}}
		found, _, err := store.NewResourceService(db).SearchResources(ctx, tr.System, q)
		if err != nil || len(found) != 1 || found[0].ID != "b" || found[0].Version != 1 {
			t.Errorf("a search by the code rewritten found %v (%v), want b at version 1", found, err)
		}
	})
}
