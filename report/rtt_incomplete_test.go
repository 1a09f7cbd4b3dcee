package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// rttWorld is a trust with a hand-made set of RTT pathways, each named by
// a letter, recorded on a fixed clock.
type rttWorld struct {
	tr       *storetest.Trust
	refs     crs.ReferralService
	clerk    crs.Actor
	patients []*crs.Patient
	pathway  map[string]*crs.Referral
}

// handMadeCensus is the census date of the hand-made set.
var handMadeCensus = crs.NewDate(2026, time.October, 31)

// handMadeRecorded is when the hand-made set is recorded: five days after
// the census, as a return is prepared.
var handMadeRecorded = time.Date(2026, time.November, 5, 9, 0, 0, 0, time.UTC)

func newRTTWorld(t *testing.T, db *store.DB) *rttWorld {
	t.Helper()
	ctx := context.Background()
	tr := storetest.NewTrust(t, db, "RHM")
	gen := demo.NewGenerator(11)
	w := &rttWorld{tr: tr, refs: store.NewReferralService(db), clerk: tr.Actor(crs.RoleClerk), pathway: map[string]*crs.Referral{}}
	// The first six patients are registered with practice Y00001, whose
	// commissioner the monthly return test names; the rest with Y00002.
	for i := range 14 {
		p := gen.Patient()
		p.GPPracticeCode = "Y00001"
		if i >= 6 {
			p.GPPracticeCode = "Y00002"
		}
		w.patients = append(w.patients, p)
	}
	if _, err := db.LoadPatients(ctx, tr.System, w.patients, crs.LoadOptions{}); err != nil {
		t.Fatalf("register patients: %v", err)
	}
	return w
}

// refer records pathway name: a routine GP referral received on the date
// under the treatment function, which starts its clock.
func (w *rttWorld) refer(t *testing.T, name, tfc string, received crs.Date) {
	t.Helper()
	r := &crs.Referral{PatientID: w.patients[len(w.pathway)].ID, Source: "03", ReferrerCode: "G1234567", ReceivedOn: received,
		Priority: crs.PriorityRoutine, TreatmentFunction: tfc, ConsultantCode: "C1234567", ConsultantLed: true}
	if err := w.refs.RecordReferral(context.Background(), w.clerk, r); err != nil {
		t.Fatalf("referral %s: %v", name, err)
	}
	w.pathway[name] = r
}

// decide records a decision on pathway name.
func (w *rttWorld) decide(t *testing.T, name string, on crs.Date, k rtt.Kind, st rtt.Status) {
	t.Helper()
	if err := w.refs.RecordPathwayEvent(context.Background(), w.clerk, w.pathway[name].PathwayID, crs.PathwayEvent{Date: on, Kind: k, Status: st, Note: "test"}); err != nil {
		t.Fatalf("pathway %s: %v", name, err)
	}
}

// handMade records the hand-made set. At the census date 2026-10-31:
//
//	A 100 received 2026-10-31:   0 days, band 0-1, within 18 weeks
//	B 100 received 2026-10-24:   7 days, band 0-1 (7 days is still 0-1), within
//	C 101 received 2026-10-23:   8 days, band 1-2, within
//	D 110 received 2026-06-27: 126 days (3+31+31+30+31), band 17-18, within (126 is within)
//	E 108 received 2026-06-26: 127 days, band 18-19, over 18 weeks; line 110 (108 reports under T&O)
//	F 330 received 2025-10-31: 365 days, band 52-53, over 52 weeks
//	G 502 received 2024-10-31: 730 days (365+365), band 104+, over 52 and over 104 weeks
//	H 302 received 2026-09-30, treated (30) 2026-10-15: stopped before the census, not counted
//	I 302 received 2026-09-01, treated 2026-11-02: still waiting at the census, 60 days (30+30), band 8-9, line X02
//	J 120 received 2026-10-01, first appointment DNA (33) 2026-10-10: nullified, counted apart
//	K 130 received 2026-11-03: after the census, not counted
//
// So: total 8 (A B C D E F G I), within 18 weeks 5 (A B C D I), share 5/8
// = 0.625, over 52 weeks 2 (F G), over 104 weeks 1 (G), nullified 1 (J).
func handMade(t *testing.T, w *rttWorld) {
	w.refer(t, "A", "100", crs.NewDate(2026, 10, 31))
	w.refer(t, "B", "100", crs.NewDate(2026, 10, 24))
	w.refer(t, "C", "101", crs.NewDate(2026, 10, 23))
	w.refer(t, "D", "110", crs.NewDate(2026, 6, 27))
	w.refer(t, "E", "108", crs.NewDate(2026, 6, 26))
	w.refer(t, "F", "330", crs.NewDate(2025, 10, 31))
	w.refer(t, "G", "502", crs.NewDate(2024, 10, 31))
	w.refer(t, "H", "302", crs.NewDate(2026, 9, 30))
	w.decide(t, "H", crs.NewDate(2026, 10, 15), rtt.KindTreatmentStarted, rtt.StatusFirstTreatment)
	w.refer(t, "I", "302", crs.NewDate(2026, 9, 1))
	w.decide(t, "I", crs.NewDate(2026, 11, 2), rtt.KindTreatmentStarted, rtt.StatusFirstTreatment)
	w.refer(t, "J", "120", crs.NewDate(2026, 10, 1))
	w.decide(t, "J", crs.NewDate(2026, 10, 10), rtt.KindDidNotAttend, rtt.StatusDidNotAttendFirst)
	w.refer(t, "K", "130", crs.NewDate(2026, 11, 3))
}

func bands(kv map[string]int) crs.BandCounts {
	var b crs.BandCounts
	for i := range b {
		b[i] = kv[crs.BandLabel(i)]
	}
	return b
}

// TestRTTIncompleteHandMade checks the incomplete figures of the hand-made
// set against the answers worked out above, and their JSON and CSV against
// the golden files, on both engines.
func TestRTTIncompleteHandMade(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		clock.Set(handMadeRecorded)
		w := newRTTWorld(t, db)
		handMade(t, w)
		got, err := report.New(store.NewReportSource(db)).RTTIncomplete(context.Background(), w.tr.Actor(crs.RoleAnalyst), handMadeCensus, report.RTTIncompleteOptions{Pathways: true})
		if err != nil {
			t.Fatalf("RTTIncomplete: %v", err)
		}
		g := func(total, within, over52, over104 int, b map[string]int) *crs.WaitGroup {
			return &crs.WaitGroup{Total: total, Within18Weeks: within, Over52Weeks: over52, Over104Weeks: over104, Bands: bands(b)}
		}
		want := &crs.RTTIncomplete{CensusDate: "2026-10-31", Total: 8, Within18Weeks: 5, ShareWithin18Weeks: 0.625, Over52Weeks: 2, Over104Weeks: 1,
			OpenNullifiedExcluded: 1,
			ByBand:                bands(map[string]int{"0-1": 2, "1-2": 1, "8-9": 1, "17-18": 1, "18-19": 1, "52-53": 1, "104+": 1}),
			ByTreatmentFunction: map[string]*crs.WaitGroup{
				"100": g(2, 2, 0, 0, map[string]int{"0-1": 2}),
				"101": g(1, 1, 0, 0, map[string]int{"1-2": 1}),
				"108": g(1, 0, 0, 0, map[string]int{"18-19": 1}),
				"110": g(1, 1, 0, 0, map[string]int{"17-18": 1}),
				"302": g(1, 1, 0, 0, map[string]int{"8-9": 1}),
				"330": g(1, 0, 1, 0, map[string]int{"52-53": 1}),
				"502": g(1, 0, 1, 1, map[string]int{"104+": 1}),
			},
			ByRTTLine: map[string]*crs.WaitGroup{
				"100": g(2, 2, 0, 0, map[string]int{"0-1": 2}),
				"101": g(1, 1, 0, 0, map[string]int{"1-2": 1}),
				"110": g(2, 1, 0, 0, map[string]int{"17-18": 1, "18-19": 1}),
				"330": g(1, 0, 1, 0, map[string]int{"52-53": 1}),
				"502": g(1, 0, 1, 1, map[string]int{"104+": 1}),
				"X02": g(1, 1, 0, 0, map[string]int{"8-9": 1}),
			},
		}
		if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Pathways" }, cmp.Ignore())); diff != "" {
			t.Errorf("incomplete figures (-want +got):\n%s", diff)
		}
		// The pathways listed are the eight counted, by PPI, each with
		// its own wait.
		days := map[string]int{}
		for _, p := range got.Pathways {
			days[p.PathwayID] = p.Days
		}
		wantDays := map[string]int{"A": 0, "B": 7, "C": 8, "D": 126, "E": 127, "F": 365, "G": 730, "I": 60}
		for name, d := range wantDays {
			if got, ok := days[w.pathway[name].PathwayID]; !ok || got != d {
				t.Errorf("pathway %s: listed %v with %d days, want %d", name, ok, got, d)
			}
		}
		if len(got.Pathways) != len(wantDays) {
			t.Errorf("%d pathways listed, want %d", len(got.Pathways), len(wantDays))
		}
		// The PPIs are allocated afresh per database; the golden files
		// hold the figures without them.
		got.Pathways = nil
		js, err := json.MarshalIndent(got, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "rtt_incomplete.json", append(js, '\n'))
		var csv bytes.Buffer
		if err := report.WriteRTTIncompleteCSV(&csv, got); err != nil {
			t.Fatal(err)
		}
		golden(t, "rtt_incomplete.csv", csv.Bytes())
	})
}

// TestShare4 checks the share within 18 weeks is rounded half up to four
// places.
func TestShare4(t *testing.T) {
	for _, tc := range []struct {
		n, of int
		want  float64
	}{{0, 0, 0}, {5, 8, 0.625}, {2, 3, 0.6667}, {1, 3, 0.3333}, {1, 32, 0.0313}, {17, 23, 0.7391}, {23, 23, 1}, {1, 20000, 0.0001}, {1, 20001, 0}} {
		if got := crs.Share4(tc.n, tc.of); got != tc.want {
			t.Errorf("Share4(%d, %d) = %v, want %v", tc.n, tc.of, got, tc.want)
		}
	}
}

// TestRTTIncompleteEqualsPTL checks, over seeded patient journeys, that
// the incomplete figures worked out from the events count every pathway on
// the PTL once, with the PTL's wait, and nothing else.
func TestRTTIncompleteEqualsPTL(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		for _, seed := range []int64{3, 19} {
			tr := seededTrust(t, db, "RP"+string(rune('A'+seed%26)), seed, 150, seed, 120)
			today := crs.LocalDate(clock.Now())
			svc := report.New(store.NewReportSource(db))
			ptl := map[string]int{}
			if err := store.NewReportSource(db).EachPTLRow(ctx, tr.System, crs.PTLFilter{AsOf: today}, func(r *crs.PTLRow) error {
				ptl[r.PathwayID] = r.Days
				return nil
			}); err != nil {
				t.Fatalf("PTL: %v", err)
			}
			got, err := svc.RTTIncomplete(ctx, tr.System, today, report.RTTIncompleteOptions{Pathways: true})
			if err != nil {
				t.Fatalf("RTTIncomplete: %v", err)
			}
			if len(ptl) == 0 || got.Total != len(ptl) || len(got.Pathways) != got.Total {
				t.Fatalf("seed %d: incomplete total %d, %d listed; PTL %d", seed, got.Total, len(got.Pathways), len(ptl))
			}
			t.Logf("seed %d: %d incomplete pathways, %d nullified", seed, got.Total, got.OpenNullifiedExcluded)
			seen := map[string]bool{}
			for _, p := range got.Pathways {
				if seen[p.PathwayID] {
					t.Errorf("seed %d: pathway %s counted twice", seed, p.PPI)
				}
				seen[p.PathwayID] = true
				if d, ok := ptl[p.PathwayID]; !ok || d != p.Days {
					t.Errorf("seed %d: pathway %s counted with %d days; on the PTL %v with %d", seed, p.PPI, p.Days, ok, d)
				}
			}
			var sum int
			for _, g := range got.ByRTTLine {
				sum += g.Total
			}
			if sum != got.Total {
				t.Errorf("seed %d: return lines hold %d pathways, total %d", seed, sum, got.Total)
			}
		}
	})
}
