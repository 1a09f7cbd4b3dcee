package store_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/store/storetest"
)

// TestPTLExportPlansAgree reads the PTL of one of two trusts as the
// export does on SQLite, once joined by SQLite and once joined in Go over
// one pass of the patients table, and wants the same rows in the same
// order, whole and filtered: the plan changes the speed, never the list.
func TestPTLExportPlansAgree(t *testing.T) {
	clock := crs.NewFixedClock(storetest.Epoch)
	db := storetest.OpenSQLite(t, clock)
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
			sqlite, sqliteListed := read(f, 0)
			inGo, inGoListed := read(f, 1e9)
			if len(sqlite) == 0 && f.TreatmentFunction == "" {
				t.Fatalf("the PTL is empty")
			}
			if !reflect.DeepEqual(sqlite, inGo) {
				t.Fatalf("joined in Go: %d rows, by SQLite: %d; first difference at %d", len(inGo), len(sqlite), firstDiff(sqlite, inGo))
			}
			for _, r := range inGo {
				if r.MRN == "" || r.Name == "" {
					t.Fatalf("row without its patient: %+v", r)
				}
			}
			var want []string // the patients of the rows, sorted, each once
			for _, r := range sqlite {
				want = append(want, r.PatientID)
			}
			slices.Sort(want)
			want = slices.Compact(want)
			if !slices.Equal(sqliteListed, want) || !slices.Equal(inGoListed, want) {
				t.Errorf("patients listed: %d by SQLite's join, %d by the join in Go; want the %d of the rows", len(sqliteListed), len(inGoListed), len(want))
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
