package fhir_test

import (
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPatientDeleted checks that a Patient registered in error, with no
// activity, is deleted over the API: gone to a read (410) and to a
// search, its history kept with the deletion last, a vread of that
// version 410; one whose record holds a resource of the clinical record
// is refused (409) and stays.
func TestPatientDeleted(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := startPAS(t, db, clock).a
		register := func(family string) string {
			t.Helper()
			r := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"family":"`+family+`","given":["Del"]}],"birthDate":"1990-01-01","identifier":[{"system":"https://example.org/id","value":"`+family+`"}]}`)
			if r.status != 201 {
				t.Fatalf("register: %d %s", r.status, r.body)
			}
			return r.json(t)["id"].(string)
		}
		id := register("Erroneous")
		if r := c.do("DELETE", "/fhir/Patient/"+id, ""); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Patient/"+id, ""); r.status != 410 {
			t.Errorf("read after the delete: %d %s, want 410", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Patient/"+id+"/_history/2", ""); r.status != 410 {
			t.Errorf("vread of the deletion: %d %s, want 410", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Patient/"+id+"/_history/1", ""); r.status != 200 {
			t.Errorf("vread of the registration: %d %s, want 200", r.status, r.body)
		}
		hist := c.do("GET", "/fhir/Patient/"+id+"/_history", "").json(t)
		entries := array(hist["entry"])
		if len(entries) != 2 {
			t.Fatalf("history: %d entries, want 2", len(entries))
		}
		first := entries[0].(map[string]any)
		if req := first["request"].(map[string]any); req["method"] != "DELETE" || first["resource"] != nil {
			t.Errorf("the history's newest entry: %v", first)
		}
		if typeHist := c.do("GET", "/fhir/Patient/_history", ""); !strings.Contains(string(typeHist.body), `"url":"Patient/`+id+`"`) {
			t.Errorf("the type's history lacks the deletion: %s", typeHist.body)
		}
		for _, q := range []string{"family=Erroneous", "_id=" + id, "identifier=https://example.org/id|Erroneous"} {
			if found := array(c.do("GET", "/fhir/Patient?"+q, "").json(t)["entry"]); len(found) != 0 {
				t.Errorf("Patient?%s finds the deleted record: %v", q, found)
			}
		}
		// A delete of what is deleted, or never was, succeeds (R4).
		for _, gone := range []string{id, "never-registered"} {
			if r := c.do("DELETE", "/fhir/Patient/"+gone, ""); r.status != 204 {
				t.Errorf("delete of Patient/%s: %d %s, want 204", gone, r.status, r.body)
			}
		}

		// A record with a resource of the clinical record stays.
		kept := register("Observed")
		if r := c.do("POST", "/fhir/Observation", `{"resourceType":"Observation","status":"final","code":{"text":"Pulse"},"subject":{"reference":"Patient/`+kept+`"}}`); r.status != 201 {
			t.Fatalf("observation: %d %s", r.status, r.body)
		}
		if r := c.do("DELETE", "/fhir/Patient/"+kept, ""); r.status != 409 || !strings.Contains(string(r.body), "Observation") {
			t.Errorf("delete of a record with an Observation: %d %s, want 409 naming it", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Patient/"+kept, ""); r.status != 200 {
			t.Errorf("the record refused deletion: %d", r.status)
		}

		// By a query, alone and in a transaction.
		byQuery := register("Queried")
		if r := c.do("DELETE", "/fhir/Patient?identifier=https://example.org/id|Queried", ""); r.status != 204 {
			t.Errorf("conditional delete: %d %s", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Patient/"+byQuery, ""); r.status != 410 {
			t.Errorf("read after the conditional delete: %d", r.status)
		}
		inTx := register("Transacted")
		r := c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Patient/`+inTx+`"}}]}`)
		if r.status != 200 || !strings.Contains(string(r.body), `"status":"204 No Content"`) {
			t.Errorf("delete in a transaction: %d %s", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Patient/"+inTx, ""); r.status != 410 {
			t.Errorf("read after the transaction's delete: %d", r.status)
		}
	})
}

// TestPatientUpdateAsCreate checks that an update of a Patient the PMI
// does not hold registers it with the id the client gives, alone and in
// a transaction, and that an id a deleted record held is not given
// again.
func TestPatientUpdateAsCreate(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := startPAS(t, db, clock).a
		body := func(id, family string) string {
			return `{"resourceType":"Patient","id":"` + id + `","name":[{"family":"` + family + `","given":["Cid"]}],"birthDate":"1985-06-07"}`
		}
		r := c.do("PUT", "/fhir/Patient/legacy-4711", body("legacy-4711", "Chosen"))
		if r.status != 201 || !strings.HasSuffix(r.header.Get("Location"), "/Patient/legacy-4711/_history/1") || r.json(t)["id"] != "legacy-4711" {
			t.Fatalf("update as create: %d %s %s", r.status, r.header.Get("Location"), r.body)
		}
		if got := c.do("GET", "/fhir/Patient?family=Chosen", "").json(t); len(array(got["entry"])) != 1 {
			t.Errorf("the patient registered is not found: %v", got)
		}
		if r := c.do("PUT", "/fhir/Patient/legacy-4711", body("legacy-4711", "Chosen-Again")); r.status != 200 || r.header.Get("ETag") != `W/"2"` {
			t.Errorf("update after: %d %s", r.status, r.body)
		}
		if r := c.do("PUT", "/fhir/Patient/legacy-4712", body("legacy-4712", "Guarded"), "If-Match", `W/"1"`); r.status != 412 {
			t.Errorf("update as create with If-Match: %d %s, want 412", r.status, r.body)
		}
		tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + body("legacy-4713", "Bundled") + `,"request":{"method":"PUT","url":"Patient/legacy-4713"}}]}`
		if r := c.do("POST", "/fhir", tx); r.status != 200 || !strings.Contains(string(r.body), `"status":"201 Created"`) {
			t.Errorf("update as create in a transaction: %d %s", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Patient/legacy-4713", ""); r.status != 200 {
			t.Errorf("read of the transaction's patient: %d", r.status)
		}
		// A deleted record's id registers the patient again, its history
		// continued: registered, deleted, registered again.
		if r := c.do("DELETE", "/fhir/Patient/legacy-4713", ""); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		if r := c.do("PUT", "/fhir/Patient/legacy-4713", body("legacy-4713", "Reborn")); r.status != 200 || r.header.Get("ETag") != `W/"3"` {
			t.Errorf("update of a deleted record's id: %d %s %s, want 200 at version 3", r.status, r.header.Get("ETag"), r.body)
		}
		if r := c.do("GET", "/fhir/Patient/legacy-4713", "").json(t); r["name"].([]any)[0].(map[string]any)["family"] != "Reborn" {
			t.Errorf("read after it is registered again: %v", r)
		}
		hist := array(c.do("GET", "/fhir/Patient/legacy-4713/_history", "").json(t)["entry"])
		var methods []string
		for _, e := range hist {
			methods = append(methods, e.(map[string]any)["request"].(map[string]any)["method"].(string))
		}
		if strings.Join(methods, ",") != "PUT,DELETE,POST" {
			t.Errorf("history of the record registered again: %v", methods)
		}
	})
}
