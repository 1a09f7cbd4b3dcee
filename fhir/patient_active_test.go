package fhir_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPatientMarkedInactive checks that a system marks a record as not
// in active use (Patient.active false) and back: a new version, served
// and found so, its history saying what changed.
func TestPatientMarkedInactive(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		r := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","active":true,"name":[{"family":"Idle","given":["Ivy"]}],"birthDate":"1961-04-05"}`)
		if r.status != 201 {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		id := r.json(t)["id"].(string)
		put := func(active string) map[string]any {
			t.Helper()
			u := c.do("PUT", "/fhir/Patient/"+id, `{"resourceType":"Patient","id":"`+id+`"`+active+`,"name":[{"family":"Idle","given":["Ivy"]}],"birthDate":"1961-04-05"}`)
			if u.status != 200 {
				t.Fatalf("update%s: %d %s", active, u.status, u.body)
			}
			return u.json(t)
		}
		found := func(q string) bool {
			t.Helper()
			return len(array(c.do("GET", "/fhir/Patient?family=Idle&"+q, "").json(t)["entry"])) == 1
		}
		if !found("active=true") || found("active=false") {
			t.Fatalf("a registered record is not found as active")
		}
		got := put(`,"active":false`)
		if got["active"] != false || got["meta"].(map[string]any)["versionId"] != "2" {
			t.Fatalf("marked inactive: active %v, version %v", got["active"], got["meta"])
		}
		if read := c.do("GET", "/fhir/Patient/"+id, "").json(t); read["active"] != false {
			t.Errorf("read after: active %v", read["active"])
		}
		if found("active=true") || !found("active=false") {
			t.Errorf("an inactive record is found as active, or not found as inactive")
		}
		v2 := c.do("GET", "/fhir/Patient/"+id+"/_history/2", "").json(t)
		if v2["active"] != false {
			t.Errorf("version 2: active %v", v2["active"])
		}
		if v1 := c.do("GET", "/fhir/Patient/"+id+"/_history/1", "").json(t); v1["active"] != true {
			t.Errorf("version 1: active %v", v1["active"])
		}
		// The same again changes nothing; leaving active out puts the
		// record back in use, as an update replaces the resource.
		if again := put(`,"active":false`); again["meta"].(map[string]any)["versionId"] != "2" {
			t.Errorf("the same update made version %v", again["meta"])
		}
		if back := put(""); back["active"] != true || back["meta"].(map[string]any)["versionId"] != "3" {
			t.Errorf("back in use: active %v, version %v", back["active"], back["meta"])
		}
		hist := c.do("GET", "/fhir/Patient/"+id+"/_history", "")
		if !strings.Contains(string(hist.body), `"active":false`) {
			t.Errorf("the history does not hold the inactive version: %s", hist.body)
		}
		pat, err := store.NewPatientService(db).FindPatient(context.Background(), f.trustA.Actor(crs.RoleInterface), id)
		if err != nil || pat.Inactive || pat.Version != 3 {
			t.Errorf("the PMI's record: %+v, %v", pat, err)
		}
	})
}

// TestPatientMetaSourceKept checks that the source a system gives a
// Patient (meta.source) is kept beside the record, served and searched
// by (_source), as for every other type.
func TestPatientMetaSourceKept(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := startPAS(t, db, clock).a
		r := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","meta":{"source":"https://gp.example.org/ehr"},"name":[{"family":"Sourced","given":["Sam"]}],"birthDate":"1971-01-01"}`)
		if r.status != 201 {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		id := r.json(t)["id"].(string)
		if got := c.do("GET", "/fhir/Patient/"+id, "").json(t)["meta"].(map[string]any)["source"]; got != "https://gp.example.org/ehr" {
			t.Errorf("meta.source served %v", got)
		}
		for q, want := range map[string]int{"_source=https://gp.example.org/ehr&family=Sourced": 1, "_source=https://other.example.org&family=Sourced": 0} {
			if got := len(array(c.do("GET", "/fhir/Patient?"+q, "").json(t)["entry"])); got != want {
				t.Errorf("Patient?%s: %d, want %d", q, got, want)
			}
		}
	})
}

// TestPatientTypeHistoryLoaded checks that the history of the trust's
// patients lists those a bulk load of the patient index registered
// (one event for the batch, no record in it): each unchanged one as its
// registration, a changed one from its change, paged without a patient
// twice, in the trust's history too, and read back the same through the
// pages' previous links.
func TestPatientTypeHistoryLoaded(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		var loaded []*crs.Patient
		for i, family := range []string{"Loadone", "Loadtwo", "Loadthree"} {
			loaded = append(loaded, &crs.Patient{MRN: fmt.Sprintf("L%07d", i+1), FamilyName: family, GivenName: "Lee", BirthDate: crs.NewDate(1950+i, 1, 1), Gender: "1"})
		}
		if _, err := db.LoadPatients(context.Background(), f.trustA.System, loaded, crs.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		changed := loaded[1]
		got, err := store.NewPatientService(db).FindPatient(context.Background(), f.trustA.Actor(crs.RoleClerk), changed.ID)
		if err != nil {
			t.Fatal(err)
		}
		got.Phone = "0113 496 0000"
		if err := store.NewPatientService(db).UpdatePatient(context.Background(), f.trustA.Actor(crs.RoleClerk), got); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		r := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"family":"Registered","given":["Rae"]}],"birthDate":"1990-01-01"}`)
		if r.status != 201 {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		registered := r.json(t)["id"].(string)
		versions := func(b map[string]any) []string {
			var out []string
			for _, e := range array(b["entry"]) {
				e := e.(map[string]any)
				if res, ok := e["resource"].(map[string]any); ok && res["resourceType"] == "Patient" {
					out = append(out, e["request"].(map[string]any)["method"].(string)+" "+res["id"].(string)+" v"+res["meta"].(map[string]any)["versionId"].(string))
				}
			}
			return out
		}
		want := []string{"POST " + registered + " v1", "PUT " + changed.ID + " v2", "POST " + loaded[2].ID + " v1", "POST " + loaded[0].ID + " v1"}
		for _, path := range []string{"/fhir/Patient/_history?_count=2", "/fhir/Patient/_history?_count=1", "/fhir/_history?_count=2"} {
			var got []string
			var last map[string]any
			for next := path; next != ""; next = linkOf(last, "next") {
				last = c.do("GET", strings.TrimPrefix(next, f.base), "").json(t)
				got = append(got, versions(last)...)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s: %v, want %v", path, got, want)
			}
			back := versions(last)
			for _, page := range previousPages(t, c, last) {
				back = append(versions(page), back...)
			}
			if strings.Join(back, ",") != strings.Join(want, ",") {
				t.Errorf("%s read back through previous links: %v, want %v", path, back, want)
			}
		}
	})
}
