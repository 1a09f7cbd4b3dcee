package fhir_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/news2"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestMergeMovesClinicalRecord merges a record holding an allergy, a
// problem marked as an alert, a result filed by the laboratory, a set of
// observations and a signed note into another: each shows on the
// surviving record's lists, banner alerts, timeline and FHIR searches,
// the history keeps the version written for the merged-away record, and
// an unmerge gives them back.
func TestMergeMovesClinicalRecord(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startLab(t, db)
		ctx := context.Background()
		doctor, nurse := f.trust.Actor(crs.RoleDoctor), f.trust.Actor(crs.RoleNurse)
		first := f.patient
		pmi := store.NewPatientService(db)
		survivor := &crs.Patient{GivenName: "Ada", FamilyName: "Clinical", BirthDate: crs.NewDate(1970, 5, 1)}
		if err := pmi.RegisterPatient(ctx, f.trust.Actor(crs.RoleClerk), survivor); err != nil {
			t.Fatal(err)
		}
		storetest.Relate(t, db, doctor, survivor.ID)
		storetest.Relate(t, db, nurse, survivor.ID)
		problems, allergies := clinicalLists(t, db, f.trust)
		rs := store.NewResourceService(db)
		notes := &fhir.NoteService{Store: db, Resources: rs, Records: rs, Outpatients: store.NewOutpatientService(db)}
		vitals := &fhir.ObservationService{Store: db, Resources: rs}
		timeline := &fhir.TimelineService{Records: rs}

		pen := &crs.Allergy{Entry: crs.Entry{PatientID: first.ID}, Substance: "764146007", Reaction: "39579001", Severity: "severe", Criticality: "high",
			Category: "medication", ClinicalStatus: "active", Verification: "confirmed"}
		if err := allergies.RecordAllergy(ctx, nurse, pen); err != nil {
			t.Fatal(err)
		}
		falls := &crs.Problem{Entry: crs.Entry{PatientID: first.ID}, Code: "129839007", ClinicalStatus: "active", Verification: "confirmed", Alert: true}
		if err := problems.RecordProblem(ctx, doctor, falls); err != nil {
			t.Fatal(err)
		}
		if ack := f.send(t, "ORU^R01^ORU_R01", "OBR|1|||CRP^C-reactive protein^L|||202603020800|||||||||||||||202603020900|||F",
			"OBX|1|NM|CRP^CRP^L||3|mg/L|0-5|N|||F"); ack.Code != hl7.AA {
			t.Fatalf("result: ACK %s %+v", ack.Code, ack.Errors)
		}
		i := func(n int) *int { return &n }
		b := func(v bool) *bool { return &v }
		fl := func(v float64) *float64 { return &v }
		if err := vitals.RecordVitalSigns(ctx, nurse, &crs.VitalSigns{PatientID: first.ID, EffectiveAt: clock.Now().Add(-time.Hour), RespirationRate: i(18), SpO2: i(97),
			OnOxygen: b(false), Systolic: i(125), Diastolic: i(80), Pulse: i(72), Consciousness: news2.Alert, Temperature: fl(36.9)}); err != nil {
			t.Fatal(err)
		}
		note := &crs.ClinicalNote{Entry: crs.Entry{PatientID: first.ID}, Title: "Ward round", Sections: []crs.NoteSection{{Heading: "Plan", Text: "Home tomorrow"}}}
		if err := notes.SaveNote(ctx, doctor, note); err != nil {
			t.Fatal(err)
		}
		if err := notes.SignNote(ctx, doctor, note); err != nil {
			t.Fatal(err)
		}

		// What the record shows, on each of the services and searches.
		types := []string{"AllergyIntolerance", "Condition", "DiagnosticReport", "Observation", "Composition"}
		holds := func(patientID string, want bool) {
			t.Helper()
			if got, err := f.results.FindResults(ctx, doctor, patientID); err != nil || (len(got) == 1) != want {
				t.Errorf("results of %s: %d, %v; want them: %v", patientID, len(got), err, want)
			}
			if got, err := allergies.ListAllergies(ctx, nurse, patientID); err != nil || (len(got) == 1) != want {
				t.Errorf("allergies of %s: %d, %v; want them: %v", patientID, len(got), err, want)
			}
			if got, err := problems.ListProblems(ctx, doctor, patientID); err != nil || (len(got) == 1) != want {
				t.Errorf("problems of %s: %d, %v; want them: %v", patientID, len(got), err, want)
			}
			if a, err := allergies.Alerts(ctx, nurse, patientID); err != nil || (len(a.Allergies) == 1 && len(a.Alerts) == 1) != want {
				t.Errorf("banner alerts of %s: %+v, %v; want them: %v", patientID, a, err, want)
			}
			if got, err := notes.ListNotes(ctx, doctor, patientID); err != nil || (len(got) == 1 && got[0].Signed()) != want {
				t.Errorf("notes of %s: %d, %v; want them: %v", patientID, len(got), err, want)
			}
			entries, err := timeline.ClinicalTimeline(ctx, doctor, patientID, nil, 100)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, e := range entries {
				if !slices.Contains(kinds, e.Kind) {
					kinds = append(kinds, e.Kind)
				}
			}
			// A filed result is on the timeline through the results
			// (FindResults above), not as resources.
			for _, k := range []string{crs.TimelineAllergy, crs.TimelineProblem, crs.TimelineObservation, crs.TimelineDocument} {
				if slices.Contains(kinds, k) != want {
					t.Errorf("timeline of %s shows kinds %v; want %s: %v", patientID, kinds, k, want)
				}
			}
			for _, typ := range types {
				r := f.api.do("GET", "/fhir/"+typ+"?patient="+patientID, "")
				if r.status != 200 || (entryCount(t, r) > 0) != want {
					t.Errorf("GET /fhir/%s?patient=%s: %d, %d found; want some: %v", typ, patientID, r.status, entryCount(t, r), want)
				}
			}
		}
		holds(first.ID, true)
		holds(survivor.ID, false)

		clock.Advance(time.Hour)
		if err := pmi.MergePatients(ctx, f.trust.Actor(crs.RoleAnalyst), survivor.ID, first.ID, "duplicate"); err != nil {
			t.Fatal(err)
		}
		holds(survivor.ID, true)
		holds(first.ID, false)
		// The history keeps the allergy as it was written.
		r := f.api.do("GET", "/fhir/AllergyIntolerance/"+pen.ID+"/_history", "")
		hist := entries(r.json(t))
		if r.status != 200 || len(hist) != 2 {
			t.Fatalf("allergy history: %d, %d versions; want 2", r.status, len(hist))
		}
		older, _ := hist[1].(map[string]any)["resource"].(map[string]any)
		newer, _ := hist[0].(map[string]any)["resource"].(map[string]any)
		if ref := older["patient"].(map[string]any)["reference"]; ref != "Patient/"+first.ID {
			t.Errorf("version 1 of the allergy names %v, want Patient/%s", ref, first.ID)
		}
		if ref := newer["patient"].(map[string]any)["reference"]; ref != "Patient/"+survivor.ID {
			t.Errorf("version 2 of the allergy names %v, want Patient/%s", ref, survivor.ID)
		}

		clock.Advance(time.Hour)
		if err := pmi.UnmergePatient(ctx, f.trust.Actor(crs.RoleAnalyst), first.ID, "different people"); err != nil {
			t.Fatal(err)
		}
		holds(first.ID, true)
		holds(survivor.ID, false)
		if r := f.api.do("GET", "/fhir/AllergyIntolerance/"+pen.ID, ""); !strings.Contains(string(r.body), `"versionId":"3"`) {
			t.Errorf("the allergy moved back is not version 3: %s", r.body)
		}
	})
}
