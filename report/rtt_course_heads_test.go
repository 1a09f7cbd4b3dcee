package report_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestRTTCoursesFollowPatients changes what the hand-made pathways are
// reported under after their courses were written: a patient's GP
// practice (and so the commissioner) changes, a patient is merged into
// another and then unmerged. After each change the October return and
// the incomplete list worked out from the clock courses equal those
// worked out from the events, and name the new commissioner and patient.
func TestRTTCoursesFollowPatients(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		clock.Set(handMadeRecorded)
		w := newRTTWorld(t, db)
		handMade(t, w)
		w.refer(t, "L", "100", crs.NewDate(2026, 8, 1))
		w.decide(t, "L", crs.NewDate(2026, 10, 20), rtt.KindAdmittedForTreatment, rtt.StatusFirstTreatment)
		month, err := report.ParseMonth("2026-10")
		if err != nil {
			t.Fatal(err)
		}
		svc, analyst := report.New(store.NewReportSource(db)), w.tr.Actor(crs.RoleAnalyst)
		patients := store.NewPatientService(db)
		// returned checks courses against events and gives, pathway by
		// pathway, the commissioner and patient the return counts it under.
		returned := func(step string) map[string][2]string {
			t.Helper()
			opts := report.RTTReturnOptions{Commissioners: map[string]string{"Y00001": "QKK"}, Patients: true}
			got, err := svc.RTTReturn(ctx, analyst, month, opts)
			if err != nil {
				t.Fatal(err)
			}
			opts.Basis.FromEvents = true
			want, err := svc.RTTReturn(ctx, analyst, month, opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s: return from the courses differs from the events (-events +courses):\n%s", step, diff)
			}
			inc := report.RTTIncompleteOptions{Pathways: true}
			gotInc, err := svc.RTTIncomplete(ctx, analyst, handMadeCensus, inc)
			if err != nil {
				t.Fatal(err)
			}
			inc.Basis.FromEvents = true
			wantInc, err := svc.RTTIncomplete(ctx, analyst, handMadeCensus, inc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantInc, gotInc); diff != "" {
				t.Fatalf("%s: incomplete from the courses differs from the events (-events +courses):\n%s", step, diff)
			}
			out := map[string][2]string{}
			for _, c := range got.Patients {
				if c.Part == crs.RTTIncompletePart || c.Part == crs.RTTCompletedAdmitted || c.Part == crs.RTTCompletedNonAdmitted {
					out[c.PathwayID] = [2]string{c.Commissioner, c.PatientID}
				}
			}
			return out
		}
		g, l := w.pathway["G"].PathwayID, w.pathway["L"].PathwayID
		gPatient, lPatient, major := w.pathway["G"].PatientID, w.pathway["L"].PatientID, w.pathway["A"].PatientID
		before := returned("as recorded")
		if before[g] != [2]string{crs.UnknownCommissioner, gPatient} || before[l] != [2]string{crs.UnknownCommissioner, lPatient} {
			t.Fatalf("before the changes G and L: %v and %v, want the unknown commissioner and their own patients", before[g], before[l])
		}

		// G's patient registers with a practice of commissioner QKK.
		p, err := patients.FindPatient(ctx, w.clerk, gPatient)
		if err != nil {
			t.Fatal(err)
		}
		p.GPPracticeCode = "Y00001"
		if err := patients.UpdatePatient(ctx, w.clerk, p); err != nil {
			t.Fatalf("change the GP practice: %v", err)
		}
		if got := returned("GP practice changed")[g]; got != [2]string{"QKK", gPatient} {
			t.Fatalf("after the GP practice changed G is counted under %v, want QKK", got)
		}

		// L's patient (Y00002), registered without an NHS number, turns
		// out to be A's (Y00001).
		p, err = patients.FindPatient(ctx, w.clerk, lPatient)
		if err != nil {
			t.Fatal(err)
		}
		p.NHSNumber, p.NHSNumberStatus = "", nhs.NumberTraceRequired
		if err := patients.UpdatePatient(ctx, w.clerk, p); err != nil {
			t.Fatalf("clear the NHS number: %v", err)
		}
		if err := patients.MergePatients(ctx, analyst, major, lPatient, "same person"); err != nil {
			t.Fatalf("merge: %v", err)
		}
		if got := returned("merged")[l]; got != [2]string{"QKK", major} {
			t.Fatalf("after the merge L is counted under %v, want QKK and the surviving record %s", got, major)
		}
		if err := patients.UnmergePatient(ctx, analyst, lPatient, "not the same person"); err != nil {
			t.Fatalf("unmerge: %v", err)
		}
		if got := returned("unmerged")[l]; got != [2]string{crs.UnknownCommissioner, lPatient} {
			t.Fatalf("after the unmerge L is counted under %v, want the unknown commissioner and its own patient", got)
		}
	})
}
