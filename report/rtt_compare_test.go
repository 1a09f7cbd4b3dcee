package report_test

import (
	"context"
	"math/rand"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestLateEventsChangeAsAtNotAsRecorded seeds patient journeys, takes the
// February 2026 return, then records back-dated decisions an hour later
// on pathways picked at random. The return as recorded at the first time
// is the same before and after to the last figure; the return as known
// now changes; and the comparison names exactly the pathways changed,
// each with the late event that explains it.
func TestLateEventsChangeAsAtNotAsRecorded(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := seededTrust(t, db, "RLT", 23, 150, 23, 150)
		svc, analyst := report.New(store.NewReportSource(db)), tr.Actor(crs.RoleAnalyst)
		month := crs.NewDate(2026, time.February, 1)
		submitted := clock.Now()
		ret := func(basis crs.ReportBasis) *crs.RTTReturn {
			t.Helper()
			r, err := svc.RTTReturn(ctx, analyst, month, report.RTTReturnOptions{Basis: basis, Patients: true})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		before, asAtBefore := ret(crs.ReportBasis{RecordedBy: submitted}), ret(crs.ReportBasis{})
		asAtBefore.RecordedBy = before.RecordedBy
		if diff := cmp.Diff(before, asAtBefore); diff != "" {
			t.Fatalf("at the time, the return as recorded differs from the return as at (-recorded +as at):\n%s", diff)
		}
		if before.Parts[crs.RTTIncompletePart].Total == 0 {
			t.Fatal("no pathway waits at the end of February; the test proves nothing")
		}

		// An hour later, back-dated decisions on pathways waiting at the
		// end of February.
		clock.Set(submitted.Add(time.Hour))
		rng := rand.New(rand.NewSource(5))
		refs := store.NewReferralService(db)
		changed := map[string]bool{}
		for _, c := range before.Patients {
			if c.Part != crs.RTTIncompletePart || rng.Intn(3) != 0 {
				continue
			}
			e := crs.PathwayEvent{Date: crs.NewDate(2026, time.February, 27), Kind: rtt.KindTreatmentStarted, Status: rtt.StatusFirstTreatment, Note: "late entry"}
			if rng.Intn(2) == 0 {
				e.Kind, e.Status = rtt.KindDecisionNotToTreat, rtt.StatusDecisionNotToTreat
			}
			if err := refs.RecordPathwayEvent(ctx, tr.Actor(crs.RoleDoctor), c.PathwayID, e); err != nil { // a clinical decision
				if crs.ErrorCode(err) == crs.EINVALID {
					continue // the pathway's later events rule this decision out
				}
				t.Fatal(err)
			}
			changed[c.PathwayID] = true
		}
		if len(changed) == 0 {
			t.Fatal("no late decision was accepted; the test proves nothing")
		}

		t.Logf("%d pathways waiting at the end of February, %d stopped late", before.Parts[crs.RTTIncompletePart].Total, len(changed))
		after := ret(crs.ReportBasis{RecordedBy: submitted})
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("late events changed the return as recorded at %s (-before +after):\n%s", submitted.Format(time.RFC3339), diff)
		}
		asAt := ret(crs.ReportBasis{})
		if got, was := asAt.Parts[crs.RTTIncompletePart].Total, before.Parts[crs.RTTIncompletePart].Total; got != was-len(changed) {
			t.Errorf("as at: %d waiting at the month's end, was %d, %d stopped late", got, was, len(changed))
		}

		cmpRet, err := svc.RTTReturnCompare(ctx, analyst, month, submitted, report.RTTReturnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(after.Parts, cmpRet.AsRecorded.Parts); diff != "" {
			t.Errorf("comparison's as recorded differs from the return as recorded (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(asAt.Parts, cmpRet.AsAt.Parts); diff != "" {
			t.Errorf("comparison's as at differs from the return as at (-want +got):\n%s", diff)
		}
		if len(cmpRet.Pathways) != len(changed) || len(cmpRet.Differences) == 0 {
			t.Errorf("comparison lists %d pathways and %d lines; %d were changed", len(cmpRet.Pathways), len(cmpRet.Differences), len(changed))
		}
		for _, p := range cmpRet.Pathways {
			if !changed[p.PathwayID] || len(p.Events) != 1 || p.Events[0].Date != "2026-02-27" {
				t.Errorf("pathway %s: changed %v, explained by %+v; want the one late decision", p.PPI, changed[p.PathwayID], p.Events)
			}
		}
	})
}
