package fhir_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestHistoryBundleReplicates posts one trust's _history, a history
// Bundle, to the base as another trust: it is accepted and applied as a
// transaction, the versions oldest first, so each resource is at its
// newest version (a deleted one deleted) with every version before it in
// its history, and it is answered as a transaction-response with an
// entry for each entry in the Bundle's order. A history Bundle with an
// entry that cannot be applied writes nothing. The CapabilityStatement
// says the base takes one.
func TestHistoryBundleReplicates(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		src, dst := f.a, f.b
		pid := create(t, src, "Patient", `{"resourceType":"Patient","name":[{"family":"Copied","given":["Ann"]}],"birthDate":"1970-05-01"}`)
		oid := create(t, src, "Observation", fmt.Sprintf(observation, pid, "2024-03-01T10:00:00Z", "70"))
		gone := create(t, src, "Observation", fmt.Sprintf(observation, pid, "2024-03-01T11:00:00Z", "90"))
		clock.Advance(time.Minute)
		upd := fmt.Sprintf(`{"resourceType":"Observation","id":"%s","status":"amended","code":{"text":"HR"},"subject":{"reference":"Patient/%s"},"effectiveDateTime":"2024-03-01T10:00:00Z","valueQuantity":{"value":75}}`, oid, pid)
		if r := src.do("PUT", "/fhir/Observation/"+oid, upd); r.status != 200 {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		clock.Advance(time.Minute)
		if r := src.do("PATCH", "/fhir/Observation/"+oid, `[{"op":"replace","path":"/valueQuantity/value","value":77}]`, "Content-Type", "application/json-patch+json"); r.status != 200 {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		if r := src.do("DELETE", "/fhir/Observation/"+gone, ""); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		h := src.do("GET", "/fhir/_history", "")
		if h.status != 200 {
			t.Fatalf("history: %d %s", h.status, h.body)
		}
		var methods []string
		for _, e := range h.json(t)["entry"].([]any) {
			methods = append(methods, e.(map[string]any)["request"].(map[string]any)["method"].(string))
		}
		if want := "DELETE,PATCH,PUT,POST,POST,POST"; strings.Join(methods, ",") != want {
			t.Fatalf("the history's methods are %v, want %s", methods, want)
		}

		r := dst.do("POST", "/fhir", string(h.body))
		if r.status != 200 {
			t.Fatalf("history Bundle posted: %d %s", r.status, r.body)
		}
		resp := r.json(t)
		if resp["type"] != "transaction-response" {
			t.Errorf("answered with a %v, want a transaction-response", resp["type"])
		}
		var statuses []string
		for _, e := range resp["entry"].([]any) {
			statuses = append(statuses, fmt.Sprint(e.(map[string]any)["response"].(map[string]any)["status"]))
		}
		// In the Bundle's order: the delete, then the updates and creates
		// of the versions each wrote.
		if want := "204 No Content,200 OK,200 OK,201 Created,201 Created,201 Created"; strings.Join(statuses, ",") != want {
			t.Errorf("entries answered %v, want %s", statuses, want)
		}
		got := dst.do("GET", "/fhir/Observation/"+oid, "")
		if got.status != 200 || got.header.Get("ETag") != `W/"3"` || !strings.Contains(string(got.body), `"value":77`) || !strings.Contains(string(got.body), `"reference":"Patient/`+pid+`"`) {
			t.Errorf("the copied Observation: %d %s %s, want its third version, 77, of Patient/%s", got.status, got.header.Get("ETag"), got.body, pid)
		}
		if r := dst.do("GET", "/fhir/Observation/"+oid+"/_history/1", ""); r.status != 200 || !strings.Contains(string(r.body), `"value":70`) {
			t.Errorf("the copied Observation's first version: %d %s, want 70", r.status, r.body)
		}
		if r := dst.do("GET", "/fhir/Observation/"+gone, ""); r.status != 410 {
			t.Errorf("the copied deleted Observation: %d %s, want 410", r.status, r.body)
		}
		if r := dst.do("GET", "/fhir/Patient/"+pid, ""); r.status != 200 || !strings.Contains(string(r.body), "Copied") {
			t.Errorf("the copied Patient: %d %s", r.status, r.body)
		}

		// All or nothing: the first version written, then a newer one
		// whose conditional reference finds no patient.
		bad := `{"resourceType":"Bundle","type":"history","entry":[
 {"fullUrl":"` + f.base + `/fhir/Observation/h-new","resource":{"resourceType":"Observation","id":"h-new","status":"final","code":{"text":"new"},"subject":{"reference":"Patient?identifier=urn:test:none|1"}},"request":{"method":"PUT","url":"Observation/h-new"},"response":{"status":"200"}},
 {"fullUrl":"` + f.base + `/fhir/Observation/h-new","resource":{"resourceType":"Observation","id":"h-new","status":"final","code":{"text":"new"}},"request":{"method":"POST","url":"Observation"},"response":{"status":"201"}}]}`
		if r := dst.do("POST", "/fhir", bad); r.status != 412 || !isOutcome(r) || !strings.Contains(string(r.body), "entry 0") {
			t.Errorf("a history Bundle with an entry that fails: %d %s, want 412 naming entry 0", r.status, r.body)
		}
		if r := dst.do("GET", "/fhir/Observation/h-new", ""); r.status != 404 {
			t.Errorf("the good entry of a refused history Bundle: %d, want 404", r.status)
		}

		// The CapabilityStatement says the base takes a history Bundle.
		rest := src.do("GET", "/fhir/metadata", "").json(t)["rest"].([]any)[0].(map[string]any)
		var doc string
		for _, in := range rest["interaction"].([]any) {
			if in := in.(map[string]any); in["code"] == "transaction" {
				doc, _ = in["documentation"].(string)
			}
		}
		if !strings.Contains(doc, "history") {
			t.Errorf("the transaction interaction's documentation %q says nothing of a history Bundle", doc)
		}
	})
}
