package fhir_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// clinicalLists are the problem and allergy services over db, with the
// sample SNOMED CT release loaded for trust tr.
func clinicalLists(t *testing.T, db *store.DB, tr *storetest.Trust) (*fhir.ProblemService, *fhir.AllergyService) {
	t.Helper()
	terms := store.NewTerminologyService(db)
	if err := demo.SeedSNOMED(context.Background(), terms, tr.System); err != nil {
		t.Fatalf("load the sample SNOMED CT release: %v", err)
	}
	rs := store.NewResourceService(db)
	return &fhir.ProblemService{Store: db, Resources: rs, Records: rs, Terminology: terms},
		&fhir.AllergyService{Store: db, Resources: rs, Records: rs, Terminology: terms}
}

func TestProblemList(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := start(t, db, clock, nil)
		ta := storetest.NewTrust(t, db, "RPA")
		problems, _ := clinicalLists(t, db, ta)
		doctor, clerk := ta.Actor(crs.RoleDoctor), ta.Actor(crs.RoleClerk)
		p := &crs.Patient{FamilyName: "Ashby", GivenName: "Nia", BirthDate: crs.NewDate(1961, 2, 3), NHSNumber: "9990000018", Gender: "2"}
		if err := store.NewPatientService(db).RegisterPatient(ctx, ta.Actor(crs.RoleClerk), p); err != nil {
			t.Fatal(err)
		}
		storetest.Relate(t, db, doctor, p.ID)

		bad := []struct {
			name  string
			p     crs.Problem
			field string
		}{
			{"no code", crs.Problem{ClinicalStatus: "active", Verification: "confirmed"}, "code"},
			{"check digit", crs.Problem{Code: "195967002", ClinicalStatus: "active", Verification: "confirmed"}, "code"},
			{"not in the release", crs.Problem{Code: "10509002", ClinicalStatus: "active", Verification: "confirmed"}, "code"},
			{"a substance is no problem", crs.Problem{Code: "764146007", ClinicalStatus: "active", Verification: "confirmed"}, "code"},
			{"status", crs.Problem{Code: "195967001", ClinicalStatus: "cured", Verification: "confirmed"}, "clinical_status"},
			{"abatement of an active problem", crs.Problem{Code: "195967001", ClinicalStatus: "active", Verification: "confirmed", Abatement: crs.NewDate(2020, 1, 1)}, "abatement"},
			{"resolved before onset", crs.Problem{Code: "195967001", ClinicalStatus: "resolved", Verification: "confirmed", Onset: crs.NewDate(2020, 1, 1), Abatement: crs.NewDate(2019, 1, 1)}, "abatement"},
		}
		for _, tc := range bad {
			tc.p.PatientID = p.ID
			err := problems.RecordProblem(ctx, doctor, &tc.p)
			if !crs.HasFieldError(err, tc.field) {
				t.Errorf("%s: got %v, want an error on %s", tc.name, err, tc.field)
			}
		}

		asthma := &crs.Problem{Entry: crs.Entry{PatientID: p.ID}, Code: "195967001", ClinicalStatus: "active", Verification: "confirmed", Onset: crs.NewDate(2001, 5, 1), Note: "Since childhood"}
		if err := problems.RecordProblem(ctx, doctor, asthma); err != nil {
			t.Fatal(err)
		}
		if asthma.Display != "Asthma" || asthma.Version != 1 || asthma.RecordedBy != doctor.Username {
			t.Errorf("recorded %+v, want display Asthma version 1 by %s", asthma, doctor.Username)
		}
		falls := &crs.Problem{Entry: crs.Entry{PatientID: p.ID}, Code: "129839007", ClinicalStatus: "active", Verification: "confirmed", Alert: true, Category: crs.EncounterDiagnosis}
		if err := problems.RecordProblem(ctx, doctor, falls); err != nil {
			t.Fatal(err)
		}

		// An edit is the next version; an edit of an old version is refused.
		clock.Advance(24 * time.Hour)
		storetest.Relate(t, db, doctor, p.ID) // the day's claim has run out
		edit := *asthma
		edit.ClinicalStatus, edit.Abatement = crs.ProblemResolved, crs.LocalDate(clock.Now())
		if err := problems.RecordProblem(ctx, doctor, &edit); err != nil {
			t.Fatal(err)
		}
		stale := *asthma
		if err := problems.RecordProblem(ctx, doctor, &stale); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("edit of version 1 after version 2: got %v, want ECONFLICT", err)
		}
		got, err := problems.FindProblem(ctx, doctor, p.ID, asthma.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 2 || got.ClinicalStatus != "resolved" || got.Note != "Since childhood" || !got.RecordedAt.Equal(asthma.RecordedAt) || got.Onset != asthma.Onset {
			t.Errorf("after the edit: %+v", got)
		}

		// Entered in error keeps the entry with its reason.
		if err := problems.EnterProblemInError(ctx, doctor, p.ID, falls.ID, ""); !crs.HasFieldError(err, "reason") {
			t.Errorf("in error without a reason: got %v", err)
		}
		if err := problems.EnterProblemInError(ctx, doctor, p.ID, falls.ID, "wrong patient"); err != nil {
			t.Fatal(err)
		}
		list, err := problems.ListProblems(ctx, doctor, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || !list[1].InError() || list[1].ErrorReason != "wrong patient" || list[1].Version != 2 {
			t.Errorf("list: %+v", list)
		}
		if err := problems.RecordProblem(ctx, doctor, &crs.Problem{Entry: crs.Entry{ID: falls.ID, PatientID: p.ID, Version: 2}, Code: "129839007", ClinicalStatus: "active", Verification: "confirmed"}); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("edit of an entry in error: got %v, want ECONFLICT", err)
		}

		// A clerk may neither read nor record.
		if _, err := problems.ListProblems(ctx, clerk, p.ID); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("clerk reads problems: got %v, want EFORBIDDEN", err)
		}
		if err := problems.RecordProblem(ctx, clerk, &crs.Problem{Entry: crs.Entry{PatientID: p.ID}, Code: "195967001", ClinicalStatus: "active", Verification: "confirmed"}); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("clerk records a problem: got %v, want EFORBIDDEN", err)
		}
		// Another trust does not see the patient.
		other := storetest.NewTrust(t, db, "RPB").Actor(crs.RoleDoctor)
		if _, err := problems.FindProblem(ctx, other, p.ID, asthma.ID); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("another trust reads the problem: got %v, want ENOTFOUND", err)
		}

		// Over FHIR, by patient, code and date, with its history.
		c := &client{t, f.base, "rpa"}
		f.server.Auth.(bearerAuth)["rpa"] = &fhir.Principal{Actor: ta.Actor(crs.RoleInterface), Scopes: mustScopes(t, "system/*.*")}
		for _, tc := range []struct {
			query string
			want  int
		}{
			{"patient=Patient/" + p.ID, 2},
			{"subject=" + p.ID, 2},
			{"code=" + url.QueryEscape("http://snomed.info/sct|195967001"), 1},
			{"code=195967001&patient=" + p.ID, 1},
			{"onset-date=2001-05", 1},
			{"onset-date=lt2000", 0},
			{"clinical-status=resolved", 1},
			{"verification-status=entered-in-error", 1},
			{"category=encounter-diagnosis", 1},
		} {
			bundle := c.do("GET", "/fhir/Condition?"+tc.query, "").json(t)
			if n := len(entries(bundle)); n != tc.want {
				t.Errorf("Condition?%s: %d entries, want %d", tc.query, n, tc.want)
			}
		}
		read := c.do("GET", "/fhir/Condition/"+asthma.ID, "").json(t)
		if read["recordedDate"] == nil || fmt.Sprint(read["meta"].(map[string]any)["versionId"]) != "2" {
			t.Errorf("read Condition: %v", read)
		}
		if hist := c.do("GET", "/fhir/Condition/"+asthma.ID+"/_history", "").json(t); len(entries(hist)) != 2 {
			t.Errorf("history of the problem: %d versions, want 2", len(entries(hist)))
		}
	})
}

func TestAllergyList(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := start(t, db, clock, nil)
		ta := storetest.NewTrust(t, db, "RPA")
		_, allergies := clinicalLists(t, db, ta)
		nurse := ta.Actor(crs.RoleNurse)
		p := &crs.Patient{FamilyName: "Brook", GivenName: "Ola", BirthDate: crs.NewDate(1950, 7, 9), NHSNumber: "9990000026", Gender: "1"}
		if err := store.NewPatientService(db).RegisterPatient(ctx, ta.Actor(crs.RoleClerk), p); err != nil {
			t.Fatal(err)
		}
		storetest.Relate(t, db, nurse, p.ID)
		alerts := func() *crs.PatientAlerts {
			t.Helper()
			a, err := allergies.Alerts(ctx, nurse, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		if a := alerts(); a.AllergiesRecorded {
			t.Errorf("before any record: %+v, want allergies not recorded", a)
		}

		bad := []struct {
			name  string
			al    crs.Allergy
			field string
		}{
			{"no substance", crs.Allergy{ClinicalStatus: "active", Verification: "confirmed"}, "substance"},
			{"not in the release", crs.Allergy{Substance: "10509002", ClinicalStatus: "active", Verification: "confirmed"}, "substance"},
			{"a disorder is no substance", crs.Allergy{Substance: "195967001", ClinicalStatus: "active", Verification: "confirmed"}, "substance"},
			{"a substance is no reaction", crs.Allergy{Substance: "764146007", Reaction: "387207008", ClinicalStatus: "active", Verification: "confirmed"}, "reaction"},
			{"severity", crs.Allergy{Substance: "764146007", Reaction: "39579001", Severity: "deadly", ClinicalStatus: "active", Verification: "confirmed"}, "severity"},
			{"verification", crs.Allergy{Substance: "764146007", ClinicalStatus: "active", Verification: "sure"}, "verification"},
		}
		for _, tc := range bad {
			tc.al.PatientID = p.ID
			if err := allergies.RecordAllergy(ctx, nurse, &tc.al); !crs.HasFieldError(err, tc.field) {
				t.Errorf("%s: got %v, want an error on %s", tc.name, err, tc.field)
			}
		}

		nka := &crs.Allergy{Entry: crs.Entry{PatientID: p.ID}, NoKnownAllergies: true}
		if err := allergies.RecordAllergy(ctx, nurse, nka); err != nil {
			t.Fatal(err)
		}
		if a := alerts(); !a.AllergiesRecorded || a.NoKnownAllergies == nil || len(a.Allergies) != 0 {
			t.Errorf("after no known allergies: %+v", a)
		}
		pen := &crs.Allergy{Entry: crs.Entry{PatientID: p.ID}, Substance: "764146007", Reaction: "39579001", Severity: "severe", Criticality: "high",
			Category: "medication", ClinicalStatus: "active", Verification: "confirmed"}
		if err := allergies.RecordAllergy(ctx, nurse, pen); err != nil {
			t.Fatal(err)
		}
		a := alerts()
		if a.NoKnownAllergies != nil || len(a.Allergies) != 1 || a.Allergies[0].SubstanceDisplay != "Penicillin" || a.Allergies[0].ReactionDisplay != "Anaphylaxis" {
			t.Errorf("after penicillin: %+v", a)
		}
		old, err := allergies.FindAllergy(ctx, nurse, p.ID, nka.ID)
		if err != nil {
			t.Fatal(err)
		}
		if old.Version != 2 || old.ClinicalStatus != crs.AllergyInactive {
			t.Errorf("no known allergies after an allergy: %+v, want version 2 inactive", old)
		}
		if err := allergies.RecordAllergy(ctx, nurse, &crs.Allergy{Entry: crs.Entry{PatientID: p.ID}, NoKnownAllergies: true}); !crs.HasFieldError(err, "no_known_allergies") {
			t.Errorf("no known allergies beside penicillin: got %v", err)
		}
		if err := allergies.EnterAllergyInError(ctx, nurse, p.ID, pen.ID, "another patient's allergy"); err != nil {
			t.Fatal(err)
		}
		if a := alerts(); a.AllergiesRecorded {
			t.Errorf("after the only allergy is in error: %+v, want not recorded", a)
		}
		if err := allergies.RecordAllergy(ctx, nurse, &crs.Allergy{Entry: crs.Entry{PatientID: p.ID}, NoKnownAllergies: true}); err != nil {
			t.Errorf("no known allergies once the allergy is in error: %v", err)
		}
		if _, err := allergies.Alerts(ctx, ta.Actor(crs.RoleClerk), p.ID); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("clerk reads alerts: got %v, want EFORBIDDEN", err)
		}

		c := &client{t, f.base, "rpa"}
		f.server.Auth.(bearerAuth)["rpa"] = &fhir.Principal{Actor: ta.Actor(crs.RoleInterface), Scopes: mustScopes(t, "system/*.*")}
		day := crs.LocalDate(clock.Now()).String()
		for _, tc := range []struct {
			query string
			want  int
		}{
			{"patient=" + p.ID, 3},
			{"code=" + url.QueryEscape("http://snomed.info/sct|764146007"), 1},
			{"code=716186003", 2},
			{"date=" + day, 3},
			{"date=lt2000-01-01", 0},
			{"clinical-status=active", 1},
			{"verification-status=entered-in-error", 1},
			{"criticality=high", 1},
			{"manifestation=39579001", 1},
		} {
			bundle := c.do("GET", "/fhir/AllergyIntolerance?"+tc.query, "").json(t)
			if n := len(entries(bundle)); n != tc.want {
				t.Errorf("AllergyIntolerance?%s: %d entries, want %d", tc.query, n, tc.want)
			}
		}
	})
}

func entries(bundle map[string]any) []any {
	e, _ := bundle["entry"].([]any)
	return e
}

func mustScopes(t *testing.T, s string) fhir.Scopes {
	sc, err := fhir.ParseScopes(s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// startSNOMED starts the API with the trusts' SNOMED CT releases, and
// a client of a trust that has loaded one.
func startSNOMED(t *testing.T, db *store.DB, clock *crs.FixedClock) (*fixture, *client) {
	f := start(t, db, clock, nil)
	f.server.Terminology = store.NewTerminologyService(db)
	ta := storetest.NewTrust(t, db, "RPA")
	clinicalLists(t, db, ta)
	f.server.Auth.(bearerAuth)["rpa"] = &fhir.Principal{Actor: ta.Actor(crs.RoleInterface), Scopes: mustScopes(t, "system/*.*")}
	return f, &client{t, f.base, "rpa"}
}

// TestSNOMEDCodesOverFHIR refuses a Condition or AllergyIntolerance
// coded with a SNOMED CT concept the trust's loaded release lacks, with
// an OperationOutcome naming the coding, written by create, conditional
// update or transaction alike; a trust with no release loaded is not
// checked.
func TestSNOMEDCodesOverFHIR(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f, c := startSNOMED(t, db, clock)
		cond := func(code string) string {
			return `{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"` + code + `"}]}}`
		}
		for _, tc := range []struct {
			name, path, body string
			client           *client
			status           int
			expression       string
		}{
			{"known concept", "/fhir/Condition", cond("195967001"), c, 201, ""},
			{"unknown concept", "/fhir/Condition", cond("10509002"), c, 400, "Condition.code.coding[0].code"},
			{"unknown reaction", "/fhir/AllergyIntolerance", `{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/p1"},
				"code":{"coding":[{"system":"http://snomed.info/sct","code":"764146007"}]},
				"reaction":[{"manifestation":[{"coding":[{"system":"http://snomed.info/sct","code":"39579001"},{"system":"http://snomed.info/sct","code":"10509002"}]}]}]}`,
				c, 400, "AllergyIntolerance.reaction[0].manifestation[0].coding[1].code"},
			{"in a transaction", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + cond("10509002") + `,"request":{"method":"POST","url":"Condition"}}]}`,
				c, 400, "Bundle.entry[0].resource.code.coding[0].code"},
			{"another coding system", "/fhir/Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://example.org/x","code":"1"}]}}`, c, 201, ""},
			{"a trust with no release", "/fhir/Condition", cond("10509002"), f.a, 201, ""},
			{"conditional update", "PUT /fhir/Condition?identifier=http://example.org/ids|c1", cond("10509002"), c, 400, "Condition.code.coding[0].code"},
			{"conditional update, known concept", "PUT /fhir/Condition?identifier=http://example.org/ids|c2", cond("195967001"), c, 201, ""},
		} {
			method, path := "POST", tc.path
			if m, p, ok := strings.Cut(tc.path, " "); ok {
				method, path = m, p
			}
			r := tc.client.do(method, path, tc.body)
			if r.status != tc.status {
				t.Errorf("%s: status %d, want %d: %s", tc.name, r.status, tc.status, r.body)
				continue
			}
			if tc.expression != "" && !strings.Contains(string(r.body), `"expression":["`+tc.expression+`"]`) {
				t.Errorf("%s: the outcome does not name %s: %s", tc.name, tc.expression, r.body)
			}
		}
	})
}
