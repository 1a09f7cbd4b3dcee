package report_test

import (
	"context"
	"sort"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestRTTReturnPeriodsOfOnePathway checks the October 2026 return and
// census for a pathway with two RTT periods on one PPI and for a
// nullified one:
//
//	P 100 received 2026-06-01, first side treated 2026-07-01 (30): period 1 completed in July, not October;
//	    fit and ready for the second side 2026-10-05 (rule 3a): period 2 new in October,
//	    still waiting at 2026-10-31 after 26 days (band 3-4);
//	Q 100 received 2026-09-01, treated 2026-10-06 (30), new treatment decided 2026-10-20 (rule 3b):
//	    period 1 completed admitted in October (35 days, band 4-5), period 2 new and waiting 11 days;
//	N 100 received 2026-10-01, first appointment missed 2026-10-10 (rule 5e): in no part.
func TestRTTReturnPeriodsOfOnePathway(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		clock.Set(handMadeRecorded)
		w := newRTTWorld(t, db)
		doctor := w.tr.Actor(crs.RoleDoctor)
		clinical := func(name string, on crs.Date, k rtt.Kind, st rtt.Status) {
			t.Helper()
			if err := w.refs.RecordPathwayEvent(context.Background(), doctor, w.pathway[name].PathwayID, crs.PathwayEvent{Date: on, Kind: k, Status: st}); err != nil {
				t.Fatalf("pathway %s: %v", name, err)
			}
		}
		w.refer(t, "P", "100", crs.NewDate(2026, 6, 1))
		w.decide(t, "P", crs.NewDate(2026, 7, 1), rtt.KindAdmittedForTreatment, rtt.StatusFirstTreatment)
		clinical("P", crs.NewDate(2026, 10, 5), rtt.KindBilateralSecondSide, rtt.StatusFirstActivity)
		w.refer(t, "Q", "100", crs.NewDate(2026, 9, 1))
		w.decide(t, "Q", crs.NewDate(2026, 10, 6), rtt.KindAdmittedForTreatment, rtt.StatusFirstTreatment)
		clinical("Q", crs.NewDate(2026, 10, 20), rtt.KindNewTreatmentDecision, rtt.StatusFirstActivity)
		w.refer(t, "N", "100", crs.NewDate(2026, 10, 1))
		w.decide(t, "N", crs.NewDate(2026, 10, 10), rtt.KindDidNotAttend, 0)

		ctx := context.Background()
		analyst := w.tr.Actor(crs.RoleAnalyst)
		svc := report.New(store.NewReportSource(db))
		got, err := svc.RTTReturn(ctx, analyst, crs.NewDate(2026, 10, 1), report.RTTReturnOptions{Patients: true})
		if err != nil {
			t.Fatalf("RTTReturn: %v", err)
		}
		ppi := map[string]string{}
		for name, r := range w.pathway {
			ppi[r.PPI] = name
		}
		var counted []string
		for _, c := range got.Patients {
			counted = append(counted, c.Part+" "+ppi[c.PPI]+" "+strconv.Itoa(c.Days))
		}
		sort.Strings(counted)
		want := []string{
			crs.RTTCompletedAdmitted + " Q 35",
			crs.RTTIncompletePart + " P 26",
			crs.RTTIncompletePart + " Q 11",
			crs.RTTNewPeriodsPart + " P 0",
			crs.RTTNewPeriodsPart + " Q 0",
		}
		sort.Strings(want)
		if diff := cmp.Diff(want, counted); diff != "" {
			t.Errorf("counted (-want +got):\n%s", diff)
		}

		inc, err := svc.RTTIncomplete(ctx, analyst, handMadeCensus, report.RTTIncompleteOptions{Pathways: true})
		if err != nil {
			t.Fatalf("RTTIncomplete: %v", err)
		}
		var starts []string
		for _, p := range inc.Pathways {
			starts = append(starts, ppi[p.PPI]+" "+p.ClockStart+" "+strconv.Itoa(p.Days))
		}
		sort.Strings(starts)
		if diff := cmp.Diff([]string{"P 2026-10-05 26", "Q 2026-10-20 11"}, starts); diff != "" {
			t.Errorf("incomplete pathways (-want +got):\n%s", diff)
		}
		if inc.OpenNullifiedExcluded != 1 {
			t.Errorf("nullified excluded = %d, want 1 (N)", inc.OpenNullifiedExcluded)
		}
	})
}
