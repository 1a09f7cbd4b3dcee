package demo_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSeedClinicalLists records the demo's problems and allergies for
// the first patients of a trust, once: the banner then shows an allergy,
// no known allergies and not recorded.
func TestSeedClinicalLists(t *testing.T) {
	ctx := context.Background()
	db := storetest.OpenSQLite(t, nil)
	tr := storetest.NewTrust(t, db, "RDM")
	ps := store.NewPatientService(db)
	var ids []string
	for i := 0; i < 7; i++ {
		p := &crs.Patient{FamilyName: "Demo", GivenName: "Patient", BirthDate: crs.NewDate(1960, 1, i+1), Gender: "2"}
		if err := ps.RegisterPatient(ctx, tr.Actor(crs.RoleClerk), p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	terms, rs := store.NewTerminologyService(db), store.NewResourceService(db)
	if err := demo.SeedSNOMED(ctx, terms, tr.System); err != nil {
		t.Fatal(err)
	}
	lists := demo.ClinicalListServices{Patients: ps,
		Problems:  &fhir.ProblemService{Store: db, Resources: rs, Records: rs, Terminology: terms},
		Allergies: &fhir.AllergyService{Store: db, Resources: rs, Records: rs, Terminology: terms}}
	for run := 0; run < 2; run++ {
		if err := demo.SeedClinicalLists(ctx, lists, tr.System, tr.Org.MRNPrefix); err != nil {
			t.Fatalf("run %d: %v", run+1, err)
		}
	}
	alerts := func(i int) *crs.PatientAlerts {
		a, err := lists.Allergies.Alerts(ctx, tr.System, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := alerts(0); len(a.Allergies) != 1 || a.Allergies[0].SubstanceDisplay != "Penicillin" {
		t.Errorf("first patient: %+v, want penicillin", a)
	}
	if a := alerts(1); a.NoKnownAllergies == nil {
		t.Errorf("second patient: %+v, want no known allergies", a)
	}
	if a := alerts(2); len(a.Alerts) != 1 || a.Alerts[0].Display != "At risk of falls" {
		t.Errorf("third patient: %+v, want the falls alert", a)
	}
	if a := alerts(6); a.AllergiesRecorded {
		t.Errorf("seventh patient: %+v, want nothing recorded", a)
	}
	probs, err := lists.Problems.ListProblems(ctx, tr.System, ids[1])
	if err != nil || len(probs) != 2 {
		t.Errorf("second patient's problems after two runs: %d %v, want 2", len(probs), err)
	}
}

// TestSNOMEDSampleRefset reads the sample release's simple reference set
// of allergic reactions: its concept is named, and it lists a handful of
// the release's reactions.
func TestSNOMEDSampleRefset(t *testing.T) {
	concepts, err := demo.SNOMEDSample()
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	named := false
	for _, c := range concepts {
		if c.ID == "19999999103" {
			named = c.Term == "Demo allergic reaction simple reference set"
		}
		if slices.Contains(c.Refsets, "19999999103") {
			members = append(members, c.ID)
		}
	}
	if want := "126485001 271807003 39579001 41291007 418290006 56018004"; strings.Join(members, " ") != want || !named {
		t.Errorf("members %v (the reference set named: %v), want %s", members, named, want)
	}
}
