package fhir_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestConditionalPatientInBundle drives conditional update and delete of
// a Patient of the PMI inside batch and transaction Bundles: no match
// registers the patient (the index gives the id, references to the
// entry's fullUrl resolve to it), one match changes its demographics,
// several answer 412, a failing entry rolls the registration back, and a
// conditional delete is refused as it is outside a Bundle.
func TestConditionalPatientInBundle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pmi := store.NewPatientService(db)
		actor := f.trustA.Actor(crs.RoleClerk)
		patient := func(nhs, family string) string {
			return `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"name":[{"family":"` + family + `","given":["Ann"]}],"gender":"female","birthDate":"1980-02-03"}`
		}
		put := func(nhs, family, fullURL string) string {
			return `{"fullUrl":"` + fullURL + `","resource":` + patient(nhs, family) + `,"request":{"method":"PUT","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|` + nhs + `"}}`
		}
		obs := func(subject string) string {
			return `{"fullUrl":"urn:uuid:8c1b5a4e-0000-4000-8000-00000000000b","resource":{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"` + subject + `"}},"request":{"method":"POST","url":"Observation"}}`
		}
		bundle := func(kind string, entries ...string) string {
			return `{"resourceType":"Bundle","type":"` + kind + `","entry":[` + strings.Join(entries, ",") + `]}`
		}
		responses := func(r response) []map[string]any { return entryResponses(t, r) }
		const urn = "urn:uuid:8c1b5a4e-0000-4000-8000-00000000000a"

		// No match: the transaction registers the patient, and the
		// Observation's reference to the entry names the new patient.
		r := c.do("POST", "/fhir", bundle("transaction", obs(urn), put("9990000042", "Jones", urn)))
		if r.status != 200 {
			t.Fatalf("transaction registering by conditional update: %d %s", r.status, r.body)
		}
		got := responses(r)
		if got[0]["status"] != "201 Created" || got[1]["status"] != "201 Created" {
			t.Fatalf("statuses %v, %v, want 201, 201", got[0]["status"], got[1]["status"])
		}
		pat, err := pmi.FindPatientByIdentifier(t.Context(), actor, "nhs", "9990000042")
		if err != nil {
			t.Fatalf("the transaction registered no one: %v", err)
		}
		if loc := got[1]["location"]; loc != "Patient/"+pat.ID+"/_history/1" {
			t.Errorf("the Patient entry's location %v, want Patient/%s/_history/1", loc, pat.ID)
		}
		oid := strings.Split(got[0]["location"].(string), "/")[1]
		o := c.do("GET", "/fhir/Observation/"+oid, "").json(t)
		if ref := o["subject"].(map[string]any)["reference"]; ref != "Patient/"+pat.ID {
			t.Errorf("the Observation refers to %v, want Patient/%s", ref, pat.ID)
		}

		// One match: the transaction changes that patient's demographics.
		r = c.do("POST", "/fhir", bundle("transaction", put("9990000042", "Jones-Smith", urn), obs(urn)))
		if got := responses(r); r.status != 200 || got[0]["status"] != "200 OK" || got[0]["location"] != "Patient/"+pat.ID+"/_history/2" {
			t.Fatalf("transaction updating by conditional update: %d %s", r.status, r.body)
		}
		if p, _ := pmi.FindPatient(t.Context(), actor, pat.ID); p.FamilyName != "Jones-Smith" || p.Version != 2 {
			t.Errorf("after the update the PMI holds %s version %d", p.FamilyName, p.Version)
		}
		oid = strings.Split(responses(r)[1]["location"].(string), "/")[1]
		if ref := c.do("GET", "/fhir/Observation/"+oid, "").json(t)["subject"].(map[string]any)["reference"]; ref != "Patient/"+pat.ID {
			t.Errorf("the second Observation refers to %v, want Patient/%s", ref, pat.ID)
		}

		// A failing entry rolls back the registration and the update.
		r = c.do("POST", "/fhir", bundle("transaction", put("9990000050", "Brown", urn), put("9990000042", "Changed", "urn:uuid:8c1b5a4e-0000-4000-8000-00000000000c"),
			`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"urn:uuid:8c1b5a4e-0000-4000-8000-0000000000ff"}},"request":{"method":"POST","url":"Observation"}}`))
		if r.status < 400 || !isOutcome(r) {
			t.Errorf("a transaction with a failing entry: %d %s", r.status, r.body)
		}
		if _, err := pmi.FindPatientByIdentifier(t.Context(), actor, "nhs", "9990000050"); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("the refused transaction registered a patient (%v)", err)
		}
		if p, _ := pmi.FindPatient(t.Context(), actor, pat.ID); p.FamilyName != "Jones-Smith" || p.Version != 2 {
			t.Errorf("the refused transaction changed the patient: %s version %d", p.FamilyName, p.Version)
		}

		// Several match: 412, the transaction whole, the batch's entry alone.
		dup := `{"resourceType":"Patient","identifier":[{"system":"urn:test:pas","value":"dup"}],"name":[{"family":"Twin","given":["Sam"]}],"gender":"male","birthDate":"1990-01-01"}`
		create(t, c, "Patient", dup)
		create(t, c, "Patient", dup)
		twins := `{"resource":` + dup + `,"request":{"method":"PUT","url":"Patient?identifier=urn:test:pas|dup"}}`
		r = c.do("POST", "/fhir", bundle("transaction", put("9990000069", "Green", urn), twins))
		if r.status != 412 || !isOutcome(r) {
			t.Errorf("a transaction whose conditional update matches two patients: %d %s, want 412", r.status, r.body)
		}
		if _, err := pmi.FindPatientByIdentifier(t.Context(), actor, "nhs", "9990000069"); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("the transaction refused 412 registered a patient (%v)", err)
		}
		r = c.do("POST", "/fhir", bundle("batch", put("9990000069", "Green", urn), twins, put("9990000042", "Jones", "urn:uuid:8c1b5a4e-0000-4000-8000-00000000000d")))
		if r.status != 200 {
			t.Fatalf("batch: %d %s", r.status, r.body)
		}
		if got := responses(r); r.status != 200 || got[0]["status"] != "201 Created" || got[1]["status"] != "412 Precondition Failed" || got[2]["status"] != "200 OK" {
			t.Errorf("batch: %d %s, want 201, 412, 200", r.status, r.body)
		}
		if _, err := pmi.FindPatientByIdentifier(t.Context(), actor, "nhs", "9990000069"); err != nil {
			t.Errorf("the batch registered no one: %v", err)
		}
		if p, _ := pmi.FindPatient(t.Context(), actor, pat.ID); p.FamilyName != "Jones" || p.Version != 3 {
			t.Errorf("after the batch the PMI holds %s version %d", p.FamilyName, p.Version)
		}

		// A conditional delete of the patient, whose record holds an
		// Observation, is refused as DELETE Patient?identifier= is
		// outside a Bundle: 409, the same OperationOutcome.
		alone := c.do("DELETE", "/fhir/Patient?identifier=9990000042", "")
		if alone.status != 409 || !strings.Contains(string(alone.body), "Observation") {
			t.Fatalf("conditional delete outside a Bundle: %d %s", alone.status, alone.body)
		}
		del := `{"request":{"method":"DELETE","url":"Patient?identifier=9990000042"}}`
		r = c.do("POST", "/fhir", bundle("transaction", del))
		diag := alone.json(t)["issue"].([]any)[0].(map[string]any)["diagnostics"].(string)
		if r.status != 409 || !strings.Contains(string(r.body), "entry 0: "+diag) || !strings.Contains(string(r.body), `"Bundle.entry[0]"`) {
			t.Errorf("conditional delete in a transaction: %d %s, want 409 naming entry 0 and %s", r.status, r.body, diag)
		}
		r = c.do("POST", "/fhir", bundle("batch", del))
		got = responses(r)
		outcome, _ := json.Marshal(got[0]["outcome"])
		var want, gotOutcome any
		json.Unmarshal(alone.body, &want)
		json.Unmarshal(outcome, &gotOutcome)
		if got[0]["status"] != "409 Conflict" || !cmp.Equal(want, gotOutcome) {
			t.Errorf("conditional delete in a batch: %v %s, want 409 %s", got[0]["status"], outcome, alone.body)
		}
		if _, err := pmi.FindPatient(t.Context(), actor, pat.ID); err != nil {
			t.Errorf("the patient is gone: %v", err)
		}
	})
}

// entryResponses are the responses of a batch or transaction's entries.
func entryResponses(t *testing.T, r response) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, e := range r.json(t)["entry"].([]any) {
		out = append(out, e.(map[string]any)["response"].(map[string]any))
	}
	return out
}
