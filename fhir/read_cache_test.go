package fhir_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestReadCache checks that a read served again is never stale and
// never less checked or audited than the first: a Patient changed, merged
// into by the PAS (not through the API) and an Observation updated are
// read as they now stand; every read, first or again, leaves the same
// audit records; another trust and a doctor without a relationship are
// refused a record the system client has read.
func TestReadCache(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		all, _ := fhir.ParseScopes("system/*.*")
		auth := bearerAuth{}
		f := start(t, db, clock, auth)
		f.server.Patients = store.NewPatientService(db)
		tb := storetest.NewTrust(t, db, "RCB")
		auth["a"] = &fhir.Principal{Actor: f.trustA.Actor(crs.RoleInterface), Scopes: all}
		auth["b"] = &fhir.Principal{Actor: tb.Actor(crs.RoleInterface), Scopes: all}
		auth["doctor"] = &fhir.Principal{Actor: f.trustA.Actor(crs.RoleDoctor), Scopes: all}
		sys, other, doctor := f.a, f.b, &client{t, f.base, "doctor"}

		pmi := store.NewPatientService(db)
		clerk := f.trustA.Actor(crs.RoleClerk)
		p := &crs.Patient{FamilyName: "Cache", GivenName: "Ann", BirthDate: crs.NewDate(1970, 1, 1), Gender: "2"}
		minor := &crs.Patient{FamilyName: "Cache", GivenName: "Anne", BirthDate: crs.NewDate(1970, 1, 1), Gender: "2"}
		for _, p := range []*crs.Patient{p, minor} {
			if err := pmi.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
		}
		views := func(patientID string) int {
			t.Helper()
			if err := db.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_trail WHERE org_id = $1 AND patient_id = $2 AND action = $3`,
				f.trustA.Org.ID, patientID, crs.AuditView).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		read := func(c *client, path string, want ...string) string {
			t.Helper()
			r := c.do("GET", path, "")
			if r.status != 200 {
				t.Fatalf("read %s: %d %s", path, r.status, r.body)
			}
			for _, w := range want {
				if !strings.Contains(string(r.body), w) {
					t.Errorf("read %s lacks %s: %s", path, w, r.body)
				}
			}
			return string(r.body)
		}

		// The first read and the next audit alike.
		before := views(p.ID)
		first := read(sys, "/fhir/Patient/"+p.ID, `"family":"Cache"`)
		once := views(p.ID) - before
		if once == 0 {
			t.Fatalf("a Patient read left no audit record")
		}
		if again := read(sys, "/fhir/Patient/"+p.ID); again != first {
			t.Errorf("read again:\n%s\nwant\n%s", again, first)
		}
		if n := views(p.ID) - before; n != 2*once {
			t.Errorf("two reads left %d view records, want %d", n, 2*once)
		}

		// Changes made by the PAS are read at once.
		p.FamilyName = "Cached"
		if err := pmi.UpdatePatient(ctx, clerk, p); err != nil {
			t.Fatal(err)
		}
		read(sys, "/fhir/Patient/"+p.ID, `"family":"Cached"`, `"versionId":"2"`)
		if err := pmi.MergePatients(ctx, f.trustA.Actor(crs.RoleAnalyst), p.ID, minor.ID, "duplicate"); err != nil {
			t.Fatal(err)
		}
		read(sys, "/fhir/Patient/"+p.ID, `"reference":"Patient/`+minor.ID+`"`)
		read(sys, "/fhir/Patient/"+minor.ID, `"type":"replaced-by"`)

		// Another trust and a doctor without a relationship are refused
		// what was read.
		if r := other.do("GET", "/fhir/Patient/"+p.ID, ""); r.status != 404 {
			t.Errorf("another trust reads the patient: %d %s", r.status, r.body)
		}
		obs := sys.do("POST", "/fhir/Observation", fmt.Sprintf(observation, p.ID, "2026-03-01T10:00:00Z", "72"))
		if obs.status != 201 {
			t.Fatalf("create observation: %d %s", obs.status, obs.body)
		}
		id := obs.json(t)["id"].(string)
		before = views(p.ID)
		read(sys, "/fhir/Observation/"+id, `"value":72`)
		read(sys, "/fhir/Observation/"+id, `"value":72`)
		if n := views(p.ID) - before; n != 2 {
			t.Errorf("two Observation reads left %d view records, want 2", n)
		}
		if r := other.do("GET", "/fhir/Observation/"+id, ""); r.status != 404 {
			t.Errorf("another trust reads the observation: %d %s", r.status, r.body)
		}
		if r := doctor.do("GET", "/fhir/Observation/"+id, ""); r.status != 403 {
			t.Errorf("doctor without a relationship reads the observation: %d %s", r.status, r.body)
		}

		// An update is read at once; a delete is gone.
		upd := strings.Replace(fmt.Sprintf(observation, p.ID, "2026-03-01T10:00:00Z", "80"), `{"resourceType":"Observation",`, `{"resourceType":"Observation","id":"`+id+`",`, 1)
		if r := sys.do("PUT", "/fhir/Observation/"+id, upd); r.status != 200 {
			t.Fatalf("update observation: %d %s", r.status, r.body)
		}
		read(sys, "/fhir/Observation/"+id, `"value":80`, `"versionId":"2"`)
		if r := sys.do("DELETE", "/fhir/Observation/"+id, ""); r.status/100 != 2 {
			t.Fatalf("delete observation: %d %s", r.status, r.body)
		}
		if r := sys.do("GET", "/fhir/Observation/"+id, ""); r.status != 410 {
			t.Errorf("read of a deleted observation: %d %s", r.status, r.body)
		}
	})
}

// TestPatientReadAuditedOnce checks that a read of a Patient with what
// is kept beside its PMI record leaves one audit record, first read or
// served again, and that the record names both what was read, as the
// privacy officer's view of the patient's accesses shows it; the records
// merged into it are served as its "replaces" links, oldest first.
func TestPatientReadAuditedOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := startPAS(t, db, clock)
		r := f.a.do("POST", "/fhir/Patient", ukPatient)
		if r.status != 201 {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		id := r.json(t)["id"].(string)
		pmi := store.NewPatientService(db)
		clerk := f.trustA.Actor(crs.RoleClerk)
		var minors []string
		for _, given := range []string{"Ann", "Anne"} {
			m := &crs.Patient{FamilyName: "Zoë", GivenName: given, BirthDate: crs.NewDate(1970, 1, 1), Gender: "2"}
			if err := pmi.RegisterPatient(ctx, clerk, m); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
			if err := pmi.MergePatients(ctx, f.trustA.Actor(crs.RoleAnalyst), id, m.ID, "duplicate"); err != nil {
				t.Fatal(err)
			}
			minors = append(minors, m.ID)
		}
		officer := f.trustA.Actor(crs.RolePrivacyOfficer)
		audit := store.NewAuditService(db)
		for i := 1; i <= 2; i++ {
			if err := db.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			before, err := audit.PatientAccess(ctx, officer, id)
			if err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
			got := f.a.do("GET", "/fhir/Patient/"+id, "")
			body := string(got.body)
			if got.status != 200 || !strings.Contains(body, `"maritalStatus":{"text":"Married"}`) ||
				strings.Index(body, minors[0]) < 0 || strings.Index(body, minors[0]) > strings.Index(body, minors[1]) {
				t.Fatalf("read %d: %d %s", i, got.status, body)
			}
			if err := db.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			after, err := audit.PatientAccess(ctx, officer, id)
			if err != nil {
				t.Fatal(err)
			}
			// The officer's own earlier look is among the new records.
			var views []*crs.AuditRecord
			for _, rec := range after[:len(after)-len(before)] {
				if rec.Action == crs.AuditView && rec.Role == crs.RoleInterface {
					views = append(views, rec)
				}
			}
			want := "demographics and fhir Patient/" + id
			if len(views) != 1 || views[0].What != want || views[0].PatientID != id {
				t.Errorf("read %d left %d view records, want one saying %q: %+v", i, len(views), want, views)
			}
		}
	})
}

// TestReadCacheOtherProcess: two crs processes on one PostgreSQL
// database (two stores on one schema, a FHIR server on each): a patient
// read through one and then changed through the other is read through
// the first as it now stands, once the other's notice of the change has
// arrived, not as that first read kept it.
func TestReadCacheOtherProcess(t *testing.T) {
	ctx := context.Background()
	dbs := storetest.OpenProcesses(t, 2)
	here, there := dbs[0], dbs[1]
	f := start(t, here, nil, nil)
	f.server.Patients = store.NewPatientService(here)
	clerk := f.trustA.Actor(crs.RoleClerk)
	p := &crs.Patient{FamilyName: "Cache", GivenName: "Ann", BirthDate: crs.NewDate(1970, 1, 1), Gender: "2"}
	if err := store.NewPatientService(there).RegisterPatient(ctx, clerk, p); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // read twice: kept, and served as kept
		if r := f.a.do("GET", "/fhir/Patient/"+p.ID, ""); r.status != 200 || !strings.Contains(string(r.body), `"Ann"`) {
			t.Fatalf("read: %d %s", r.status, r.body)
		}
	}
	p.GivenName = "Anne"
	if err := store.NewPatientService(there).UpdatePatient(ctx, clerk, p); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second) // the notice takes a round trip's time; this is a guard, long past it
	for {
		r := f.a.do("GET", "/fhir/Patient/"+p.ID, "")
		if r.status == 200 && strings.Contains(string(r.body), `"Anne"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a patient changed through the other process is still read as kept: %d %s", r.status, r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
