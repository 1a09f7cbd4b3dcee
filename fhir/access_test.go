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

// TestPersonNeedsRelationship checks the API acting for a person (a
// doctor) rather than a system: a read of an observation about a patient
// they have no relationship with is refused (suppressed), a search leaves
// it out, and with a relationship both return it; a clerk cannot read
// clinical content at all.
func TestPersonNeedsRelationship(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tr := storetest.NewTrust(t, db, "RPR")
		all, _ := fhir.ParseScopes("system/*.*")
		auth := bearerAuth{
			"sys":    {Actor: tr.Actor(crs.RoleInterface), Scopes: all},
			"doctor": {Actor: tr.Actor(crs.RoleDoctor), Scopes: all},
			"clerk":  {Actor: tr.Actor(crs.RoleClerk), Scopes: all},
		}
		f := start(t, db, clock, auth)
		p := &crs.Patient{FamilyName: "Relate", GivenName: "Ann", BirthDate: crs.NewDate(1970, 1, 1), Gender: "2"}
		if err := store.NewPatientService(db).RegisterPatient(context.Background(), tr.Actor(crs.RoleClerk), p); err != nil {
			t.Fatal(err)
		}
		sys := &client{t, f.base, "sys"}
		doctor := &client{t, f.base, "doctor"}
		clerk := &client{t, f.base, "clerk"}
		obs := sys.do("POST", "/fhir/Observation", fmt.Sprintf(observation, p.ID, "2026-03-01T10:00:00Z", "72"))
		if obs.status != 201 {
			t.Fatalf("create observation: %d %s", obs.status, obs.body)
		}
		id := obs.json(t)["id"].(string)

		if r := doctor.do("GET", "/fhir/Observation/"+id, ""); r.status != 403 || !strings.Contains(string(r.body), "suppressed") {
			t.Errorf("doctor without a relationship reads: %d %s, want 403 suppressed", r.status, r.body)
		}
		if r := doctor.do("GET", "/fhir/Observation?subject=Patient/"+p.ID, ""); r.status != 200 || strings.Contains(string(r.body), id) {
			t.Errorf("doctor without a relationship searches: %d, the observation listed: %v", r.status, strings.Contains(string(r.body), id))
		}
		if r := clerk.do("GET", "/fhir/Observation/"+id, ""); r.status != 403 {
			t.Errorf("clerk reads clinical content: %d, want 403", r.status)
		}
		storetest.Relate(t, db, tr.Actor(crs.RoleDoctor), p.ID)
		if r := doctor.do("GET", "/fhir/Observation/"+id, ""); r.status != 200 {
			t.Errorf("doctor with a relationship reads: %d %s", r.status, r.body)
		}
		if r := doctor.do("GET", "/fhir/Observation?subject=Patient/"+p.ID, ""); r.status != 200 || !strings.Contains(string(r.body), id) {
			t.Errorf("doctor with a relationship searches: %d, listed %v", r.status, strings.Contains(string(r.body), id))
		}
		if r := sys.do("GET", "/fhir/Observation/"+id, ""); r.status != 200 {
			t.Errorf("system client reads: %d", r.status)
		}
	})
}
