package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestRTTReturnHandMade checks the October 2026 return of the hand-made
// set (see handMade), with two more pathways:
//
//	L 100 received 2026-08-01, admitted for treatment (30) 2026-10-20: completed admitted, 80 days (31+30+19), band 11-12
//	M 120 received 2026-10-05, decision to admit 2026-10-12: still waiting with a DTA, 26 days, band 3-4
//
// Patients of A-F are registered with practice Y00001 (commissioner QKK),
// G onwards with Y00002, which has no commissioner given (unknown).
//
//	Part 1a completed admitted:     L, unknown, line 100, band 11-12; median 11.5, 92nd centile 11.92 weeks
//	Part 1b completed non-admitted: H (treated 2026-10-15 after 15 days), unknown, X02, band 2-3; median 2.5, 92nd 2.92
//	Part 2 incomplete: the eight of RTTIncomplete and M = 9; within 18 weeks 6 (A B C D I M), share 0.6667;
//	    bands 0-1:2 1-2:1 3-4:1 8-9:1 17-18:1 18-19:1 52-53:1 104+:1;
//	    median: the 4.5th of 9 falls in band 8-9 after 4 below it: 8 + 0.5 = 8.5 weeks;
//	    92nd: the 8.28th falls in 104+ after 8 below it: 104.28 weeks;
//	    by commissioner QKK: A B C D E F = 6, unknown: G I M = 3.
//	Part 2a incomplete with DTA: M alone, unknown, line 120; median 3.5.
//	Part 3 new periods: A B C (QKK; lines 100, 100, 101) and M (unknown, 120) = 4;
//	    J started in October too but was nullified; K started in November.
func TestRTTReturnHandMade(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		clock.Set(handMadeRecorded)
		w := newRTTWorld(t, db)
		handMade(t, w)
		w.refer(t, "L", "100", crs.NewDate(2026, 8, 1))
		w.decide(t, "L", crs.NewDate(2026, 10, 20), rtt.KindAdmittedForTreatment, rtt.StatusFirstTreatment)
		w.refer(t, "M", "120", crs.NewDate(2026, 10, 5))
		w.decide(t, "M", crs.NewDate(2026, 10, 12), rtt.KindDecisionToAdmit, rtt.StatusSubsequentActivity)
		month, err := report.ParseMonth("2026-10")
		if err != nil {
			t.Fatal(err)
		}
		got, err := report.New(store.NewReportSource(db)).RTTReturn(context.Background(), w.tr.Actor(crs.RoleAnalyst), month,
			report.RTTReturnOptions{Commissioners: map[string]string{"Y00001": "QKK"}, Patients: true})
		if err != nil {
			t.Fatalf("RTTReturn: %v", err)
		}
		type figures struct {
			total, within int
			share, median float64
			p92           float64
		}
		for part, want := range map[string]figures{
			crs.RTTCompletedAdmitted:    {1, 1, 1, 11.5, 11.92},
			crs.RTTCompletedNonAdmitted: {1, 1, 1, 2.5, 2.92},
			crs.RTTIncompletePart:       {9, 6, 0.6667, 8.5, 104.28},
			crs.RTTIncompleteDTA:        {1, 1, 1, 3.5, 3.92},
		} {
			p := got.Parts[part]
			if g := (figures{p.Total, p.Within18Weeks, p.ShareWithin18Weeks, p.MedianWeeks, p.Centile92Weeks}); g != want {
				t.Errorf("%s: got %+v, want %+v", part, g, want)
			}
		}
		if p := got.Parts[crs.RTTCompletedAdmitted]; p.ByRTTLine["100"] == nil || p.ByCommissioner[crs.UnknownCommissioner] == nil {
			t.Errorf("completed admitted not under line 100 and commissioner unknown: %+v", p)
		}
		if p := got.Parts[crs.RTTCompletedNonAdmitted]; p.ByRTTLine["X02"] == nil || p.Bands[2] != 1 {
			t.Errorf("completed non-admitted not under X02 in band 2-3: %+v", p)
		}
		if p := got.Parts[crs.RTTIncompletePart]; p.ByCommissioner["QKK"].Total != 6 || p.ByCommissioner[crs.UnknownCommissioner].Total != 3 {
			t.Errorf("incomplete by commissioner: QKK %d, unknown %d; want 6 and 3", p.ByCommissioner["QKK"].Total, p.ByCommissioner[crs.UnknownCommissioner].Total)
		}
		np := got.NewPeriods
		if np.Total != 4 || np.ByCommissioner["QKK"] != 3 || np.ByCommissioner[crs.UnknownCommissioner] != 1 || np.ByRTTLine["100"] != 2 || np.ByRTTLine["101"] != 1 || np.ByRTTLine["120"] != 1 {
			t.Errorf("new periods: %+v", np)
		}
		// Every figure is traced to its patients: the lines add up to the
		// pathways counted.
		counted := map[string]int{}
		for _, c := range got.Patients {
			counted[c.Part]++
		}
		for _, part := range append(crs.RTTParts, crs.RTTNewPeriodsPart) {
			want := np.Total
			if part != crs.RTTNewPeriodsPart {
				want = got.Parts[part].Total
			}
			if counted[part] != want {
				t.Errorf("%s: %d patients counted, figure %d", part, counted[part], want)
			}
		}
		js, err := json.MarshalIndent(got, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "rtt_return.json", append(js, '\n'))
		var csv bytes.Buffer
		if err := report.WriteRTTReturnCSV(&csv, got); err != nil {
			t.Fatal(err)
		}
		golden(t, "rtt_return.csv", csv.Bytes())
	})
}

// TestCentile checks the median and 92nd centile read from the bands.
func TestCentile(t *testing.T) {
	var g crs.WaitGroup
	for _, d := range []int{0, 3, 10, 100} { // bands 0, 0, 1, 14
		g.Add(d)
	}
	// Median: the 2nd of 4 is the last of band 0-1: 0 + 2/2 = 1 week.
	// 92nd: the 3.68th falls in band 14-15 after 3 below: 14.68 weeks.
	if m, p := g.Centile(0.5), g.Centile(0.92); m != 1 || p != 14.68 {
		t.Errorf("median %v, 92nd %v; want 1 and 14.68", m, p)
	}
	if m := (&crs.WaitGroup{}).Centile(0.5); m != 0 {
		t.Errorf("median of nothing %v, want 0", m)
	}
}
