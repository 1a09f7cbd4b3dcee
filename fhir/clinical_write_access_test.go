package fhir_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

const condition = `{"resourceType":"Condition",
 "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
 "code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001","display":"Asthma"}]},
 "subject":{"reference":"Patient/%s"}}`

// TestClinicalWriteNeedsRelationship checks the one rule of the write
// path: a doctor with no legitimate relationship with a patient is
// refused a problem, an allergy, a note and a FHIR Condition and
// Observation for them (403 with an OperationOutcome over the API),
// each refusal is in the patient's audit trail and nothing is written;
// with a relationship by assignment, a claim or break-glass the same
// writes are let through; a sealed record is refused until opened; a
// resource cannot be moved onto a patient the writer has no
// relationship with.
func TestClinicalWriteNeedsRelationship(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RWA")
		problems, allergies := clinicalLists(t, db, tr)
		rs := store.NewResourceService(db)
		notes := &fhir.NoteService{Store: db, Resources: rs, Records: rs}
		access := store.NewAccessService(db)
		doctor, clerk, privacy := tr.Actor(crs.RoleDoctor), tr.Actor(crs.RoleClerk), tr.Actor(crs.RolePrivacyOfficer)
		all, _ := fhir.ParseScopes("system/*.*")
		f := start(t, db, clock, bearerAuth{"doctor": {Actor: doctor, Scopes: all}, "sys": {Actor: tr.Actor(crs.RoleInterface), Scopes: all}})
		api := &client{t, f.base, "doctor"}
		sys := &client{t, f.base, "sys"}
		register := func(family, nhs string) string {
			p := &crs.Patient{FamilyName: family, GivenName: "Wren", BirthDate: crs.NewDate(1966, 4, 5), NHSNumber: nhs, Gender: "2"}
			if err := store.NewPatientService(db).RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
			return p.ID
		}
		// create posts a resource over the API: nil when created, else
		// the refusal as its code and diagnostics (an OperationOutcome
		// "forbidden" answered with 403 reads as EFORBIDDEN).
		create := func(typ, body string) error {
			r := api.do("POST", "/fhir/"+typ, body)
			if r.status == 201 {
				return nil
			}
			m := r.json(t)
			issues, _ := m["issue"].([]any)
			if m["resourceType"] != "OperationOutcome" || len(issues) == 0 {
				return fmt.Errorf("create %s: %d without an OperationOutcome: %s", typ, r.status, r.body)
			}
			issue := issues[0].(map[string]any)
			if r.status == 403 && issue["code"] == "forbidden" {
				return crs.Errorf(crs.EFORBIDDEN, "%v", issue["diagnostics"])
			}
			return fmt.Errorf("create %s: %d %v: %v", typ, r.status, issue["code"], issue["diagnostics"])
		}
		writes := []struct {
			name  string
			write func(pid string) error
		}{
			{"problem", func(pid string) error {
				return problems.RecordProblem(ctx, doctor, &crs.Problem{Entry: crs.Entry{PatientID: pid}, Code: "195967001", ClinicalStatus: "active", Verification: "confirmed"})
			}},
			{"allergy", func(pid string) error {
				return allergies.RecordAllergy(ctx, doctor, &crs.Allergy{Entry: crs.Entry{PatientID: pid}, Substance: "764146007", Reaction: "39579001",
					Severity: "severe", Criticality: "high", Category: "medication", ClinicalStatus: "active", Verification: "confirmed"})
			}},
			{"note", func(pid string) error {
				return notes.SaveNote(ctx, doctor, &crs.ClinicalNote{Entry: crs.Entry{PatientID: pid}, Title: "Ward round note",
					Sections: []crs.NoteSection{{Heading: "Plan", Text: "Home tomorrow if settled"}}})
			}},
			{"FHIR Condition", func(pid string) error { return create("Condition", fmt.Sprintf(condition, pid)) }},
			{"FHIR Observation", func(pid string) error {
				return create("Observation", fmt.Sprintf(observation, pid, "2026-03-01T10:00:00Z", "72"))
			}},
		}
		// stored counts the patient's clinical resources, read as the
		// interface (which needs no relationship).
		stored := func(pid string) int {
			n := 0
			for _, typ := range []string{"Condition", "AllergyIntolerance", "Composition", "Observation"} {
				b := sys.do("GET", "/fhir/"+typ+"?patient=Patient/"+pid, "").json(t)
				es, _ := b["entry"].([]any)
				n += len(es)
			}
			return n
		}
		refusals := func(pid string) []string {
			if err := db.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			recs, err := store.NewAuditService(db).PatientAccess(ctx, privacy, pid)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range recs {
				if r.Action == crs.AuditRefused && r.UserID == doctor.UserID {
					out = append(out, r.What)
				}
			}
			return out
		}

		// No relationship: every write refused, audited, nothing written.
		stranger := register("Stranger", "9990000018")
		for _, w := range writes {
			err := w.write(stranger)
			if crs.ErrorCode(err) != crs.EFORBIDDEN || !strings.Contains(crs.ErrorMessage(err), "no legitimate relationship") {
				t.Errorf("%s without a relationship: %v (%s), want EFORBIDDEN naming the relationship", w.name, err, crs.ErrorCode(err))
			}
		}
		if n := stored(stranger); n != 0 {
			t.Errorf("%d clinical resources written for a patient the doctor has no relationship with, want 0", n)
		}
		got := refusals(stranger)
		if len(got) != len(writes) {
			t.Errorf("refusals audited: %q, want %d", got, len(writes))
		}
		for _, what := range got {
			if what != "write refused: no legitimate relationship" {
				t.Errorf("refusal audited as %q, want %q", what, "write refused: no legitimate relationship")
			}
		}

		// A relationship by assignment (referred to the doctor's
		// specialty), a claim, or break-glass: every write let through.
		assigned := register("Assigned", "9990000026")
		if err := access.Assign(ctx, tr.Actor(crs.RoleAdmin), &crs.Assignment{UserID: doctor.UserID, Kind: crs.AssignSpecialty, Value: "100", StartsOn: crs.LocalDate(clock.Now())}); err != nil {
			t.Fatal(err)
		}
		if err := store.NewReferralService(db).RecordReferral(ctx, clerk, &crs.Referral{PatientID: assigned, Source: "03", ReferrerCode: "G1234567",
			ReceivedOn: crs.LocalDate(clock.Now()), Priority: crs.PriorityRoutine, Specialty: "100", TreatmentFunction: "100", ConsultantLed: true}); err != nil {
			t.Fatal(err)
		}
		claimed := register("Claimed", "9990000034")
		storetest.Relate(t, db, doctor, claimed)
		glass := register("Glass", "9990000042")
		if _, err := access.GrantAccess(ctx, doctor, glass, crs.GrantBreakGlass, "unconscious in the emergency department"); err != nil {
			t.Fatal(err)
		}
		for _, pid := range []string{assigned, claimed, glass} {
			for _, w := range writes {
				if err := w.write(pid); err != nil {
					t.Errorf("%s with a relationship: %v", w.name, err)
				}
			}
			if n := stored(pid); n != len(writes) {
				t.Errorf("%d clinical resources written with a relationship, want %d", n, len(writes))
			}
			if got := refusals(pid); len(got) != 0 {
				t.Errorf("refusals audited with a relationship: %q", got)
			}
		}

		// A sealed record refuses a writer with a relationship until they
		// open it with their reason.
		if err := access.SealRecord(ctx, privacy, claimed, "sexual_health", "at the patient's request"); err != nil {
			t.Fatal(err)
		}
		err := writes[0].write(claimed)
		if crs.ErrorCode(err) != crs.EFORBIDDEN || !strings.Contains(crs.ErrorMessage(err), "sealed") {
			t.Errorf("problem on a sealed record: %v (%s), want EFORBIDDEN saying it is sealed", err, crs.ErrorCode(err))
		}
		if got := refusals(claimed); len(got) != 1 || got[0] != "write refused: sealed record" {
			t.Errorf("refusals audited on the sealed record: %q, want one sealed record", got)
		}
		if _, err := access.GrantAccess(ctx, doctor, claimed, crs.GrantSealed, "the patient asked me to record it"); err != nil {
			t.Fatal(err)
		}
		if err := writes[0].write(claimed); err != nil {
			t.Errorf("problem on a sealed record opened: %v", err)
		}

		// An update that moves a resource onto the stranger changes their
		// record too, and is refused.
		obs := sys.do("POST", "/fhir/Observation", fmt.Sprintf(observation, glass, "2026-03-01T11:00:00Z", "80")).json(t)
		id := obs["id"].(string)
		moved := strings.Replace(fmt.Sprintf(observation, stranger, "2026-03-01T11:00:00Z", "80"), `{"resourceType":"Observation",`, `{"resourceType":"Observation","id":"`+id+`",`, 1)
		if r := api.do("PUT", "/fhir/Observation/"+id, moved); r.status != 403 || !strings.Contains(string(r.body), `"forbidden"`) {
			t.Errorf("move an observation onto a patient without a relationship: %d %s, want 403 forbidden", r.status, r.body)
		}
	})
}
