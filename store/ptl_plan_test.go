package store_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPTLExportPlansAgree reads the PTL of one of two trusts as the
// export does, once joined by the database and once joined in Go over
// one pass of the patients table, and wants the same rows in the same
// order, whole and filtered, on both engines: the plan changes the speed,
// never the list.
func TestPTLExportPlansAgree(t *testing.T) {
	storetest.Engines(t, testPTLExportPlansAgree)
}

func testPTLExportPlansAgree(t *testing.T, db *store.DB, clock *crs.FixedClock) {
	ctx := context.Background()
	var sites []*site
	for _, ods := range []string{"RPA", "RPB"} {
		s := newSite(t, db, ods, 40)
		if err := demo.SeedJourney(ctx, storetest.Journey(db), s.tr.System, demo.JourneyOptions{BulkPathways: 300, BatchSize: 100, Workers: 2}); err != nil {
			t.Fatalf("seed %s: %v", ods, err)
		}
		sites = append(sites, s)
	}
	s := sites[0]
	asOf := crs.LocalDate(clock.Now())
	read := func(f crs.PTLFilter, hashAt float64) ([]crs.PTLRow, []string) {
		var rows []crs.PTLRow
		f.AsOf = asOf
		listed, err := db.EachPTLRowPlan(ctx, s.tr.Org.ID, f, hashAt, func(r *crs.PTLRow) error {
			c := *r
			c.Flags = append([]string(nil), r.Flags...)
			rows = append(rows, c)
			return nil
		})
		if err != nil {
			t.Fatalf("read the PTL (%+v, plan %v): %v", f, hashAt, err)
		}
		return rows, listed
	}
	for _, f := range []crs.PTLFilter{{}, {TreatmentFunction: "100"}, {Flag: crs.FlagNoFutureActivity}, {ShortestFirst: true}} {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			byDB, dbListed := read(f, 0)
			inGo, inGoListed := read(f, 1e9)
			if len(byDB) == 0 && f.TreatmentFunction == "" {
				t.Fatalf("the PTL is empty")
			}
			if !reflect.DeepEqual(byDB, inGo) {
				t.Fatalf("joined in Go: %d rows, by the database: %d; first difference at %d", len(inGo), len(byDB), firstDiff(byDB, inGo))
			}
			for _, r := range inGo {
				if r.MRN == "" || r.Name == "" {
					t.Fatalf("row without its patient: %+v", r)
				}
			}
			var want []string // the patients of the rows, sorted, each once
			for _, r := range byDB {
				want = append(want, r.PatientID)
			}
			slices.Sort(want)
			want = slices.Compact(want)
			if !slices.Equal(dbListed, want) || !slices.Equal(inGoListed, want) {
				t.Errorf("patients listed: %d by the database's join, %d by the join in Go; want the %d of the rows", len(dbListed), len(inGoListed), len(want))
			}
		})
	}
}

func firstDiff(a, b []crs.PTLRow) int {
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			return i
		}
	}
	return min(len(a), len(b))
}
