package fhir_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// transaction is a transaction Bundle of entries.
func transaction(entries ...string) string {
	return `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`
}

// statusesOf are the status codes of a Bundle's entries' responses, without
// their reason phrases, joined by commas.
func statusesOf(t *testing.T, r response) string {
	t.Helper()
	var out []string
	for _, e := range entryResponses(t, r) {
		code, _, _ := strings.Cut(e["status"].(string), " ") // "201 Created"
		out = append(out, code)
	}
	return strings.Join(out, ",")
}

// TestTransactionOrderConditionalPut: a transaction's conditional PUT is
// matched after its DELETEs and POSTs, as the specification orders them.
// A POST and a conditional PUT of the same identifier make one resource,
// the PUT updating what the POST created (201, then 200 at version 2), and
// a reference to the PUT's fullUrl names it, whether the entry that
// refers is another type or the PUT's own; a conditional DELETE does not
// see the POST, which survives it, and a PUT after both updates the
// POSTed resource; a POST that refers to the PUT and that the PUT's query
// matches cannot be ordered and is refused, naming both entries.
func TestTransactionOrderConditionalPut(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		const putURN, panelURN = "urn:uuid:7f3a9c20-0000-4000-8000-00000000000a", "urn:uuid:7f3a9c20-0000-4000-8000-00000000000b"
		obs := func(value, text, extra string) string {
			return `{"resourceType":"Observation","status":"final","identifier":[{"system":"urn:test:lab","value":"` + value + `"}],"code":{"text":"` + text + `"},"subject":{"reference":"Patient/p1"}` + extra + `}`
		}
		post := func(res string) string {
			return `{"resource":` + res + `,"request":{"method":"POST","url":"Observation"}}`
		}
		put := func(value, text string) string {
			return `{"fullUrl":"` + putURN + `","resource":` + obs(value, text, "") + `,"request":{"method":"PUT","url":"Observation?identifier=urn:test:lab|` + value + `"}}`
		}
		report := `{"resource":{"resourceType":"DiagnosticReport","status":"final","code":{"text":"lipids"},"subject":{"reference":"Patient/p1"},"result":[{"reference":"` + putURN + `"}]},
			"request":{"method":"POST","url":"DiagnosticReport"}}`
		panel := `{"fullUrl":"` + panelURN + `","resource":{"resourceType":"Observation","status":"final","code":{"text":"panel"},"subject":{"reference":"Patient/p1"},"hasMember":[{"reference":"` + putURN + `"}]},
			"request":{"method":"POST","url":"Observation"}}`
		referenceIn := func(r response, i int, path ...string) string {
			t.Helper()
			loc := entryResponses(t, r)[i]["location"].(string)
			var v any = c.do("GET", "/fhir/"+strings.Join(strings.Split(loc, "/")[:2], "/"), "").json(t)
			for _, k := range path {
				if l, ok := v.([]any); ok {
					v = l[0]
				}
				v = v.(map[string]any)[k]
			}
			return v.(string)
		}

		// POST then conditional PUT of the same identifier: one Observation,
		// updated; the report and the panel name it.
		r := c.do("POST", "/fhir", transaction(report, post(obs("1", "first", "")), panel, put("1", "second")))
		if r.status != 200 || statusesOf(t, r) != "201,201,201,200" {
			t.Fatalf("POST and conditional PUT of one identifier: %d %s, want 201,201,201,200", r.status, r.body)
		}
		found := matches(t, c, "Observation?identifier=urn:test:lab|1")
		if len(found) != 1 {
			t.Fatalf("%d Observations with the identifier, want 1", len(found))
		}
		id := found[0]["id"].(string)
		if v := found[0]["meta"].(map[string]any)["versionId"]; v != "2" || found[0]["code"].(map[string]any)["text"] != "second" {
			t.Errorf("the Observation is version %v, %v; want version 2, second", v, found[0]["code"])
		}
		if loc := entryResponses(t, r)[3]["location"]; loc != "Observation/"+id+"/_history/2" {
			t.Errorf("the PUT's location %v, want Observation/%s/_history/2", loc, id)
		}
		if ref := referenceIn(r, 0, "result", "reference"); ref != "Observation/"+id {
			t.Errorf("the report's result names %s, want Observation/%s", ref, id)
		}
		if ref := referenceIn(r, 2, "hasMember", "reference"); ref != "Observation/"+id {
			t.Errorf("the panel's member is %s, want Observation/%s", ref, id)
		}

		// A conditional DELETE does not see the POST after it; a PUT after
		// both updates the POSTed Observation.
		r = c.do("POST", "/fhir", transaction(post(obs("1", "again", "")), `{"request":{"method":"DELETE","url":"Observation?identifier=urn:test:lab|1"}}`, put("1", "changed")))
		if r.status != 200 || statusesOf(t, r) != "201,204,200" {
			t.Fatalf("DELETE, POST and PUT of one identifier: %d %s, want 201,204,200", r.status, r.body)
		}
		found = matches(t, c, "Observation?identifier=urn:test:lab|1")
		if len(found) != 1 || found[0]["id"] == id || found[0]["code"].(map[string]any)["text"] != "changed" || found[0]["meta"].(map[string]any)["versionId"] != "2" {
			t.Errorf("after DELETE, POST and PUT: %v, want the POSTed Observation alone, updated to version 2", found)
		}
		r = c.do("POST", "/fhir", transaction(`{"request":{"method":"DELETE","url":"Observation?identifier=urn:test:lab|1"}}`, post(obs("1", "kept", ""))))
		if r.status != 200 || statusesOf(t, r) != "204,201" {
			t.Fatalf("DELETE and POST of one identifier: %d %s, want 204,201", r.status, r.body)
		}
		if found = matches(t, c, "Observation?identifier=urn:test:lab|1"); len(found) != 1 || found[0]["code"].(map[string]any)["text"] != "kept" {
			t.Errorf("after DELETE and POST: %v, want the POSTed Observation alone", found)
		}

		// The POST refers to the PUT, which would match it: refused whole.
		circular := `{"resource":` + obs("2", "circular", `,"hasMember":[{"reference":"`+putURN+`"}]`) + `,"request":{"method":"POST","url":"Observation"}}`
		r = c.do("POST", "/fhir", transaction(report, circular, put("2", "never")))
		if r.status != 400 || !isOutcome(r) || !strings.Contains(string(r.body), "Bundle.entry[2]") || !strings.Contains(string(r.body), "entry 1") {
			t.Errorf("a circular POST and conditional PUT: %d %s, want 400 naming entries 2 and 1", r.status, r.body)
		}
		if found := matches(t, c, "Observation?identifier=urn:test:lab|2"); len(found) != 0 {
			t.Errorf("the refused transaction created %v", found)
		}
	})
}

// TestConditionalPatientPutTransaction: a conditional PUT of a Patient of
// the patient index (Patient?identifier=NHS number) in a transaction
// registers the patient when none matches, with the registration event
// of the PMI, and changes the demographics of the one that matches; with
// a POST of the same patient before it in the Bundle, the PUT changes
// the patient the POST registered.
func TestConditionalPatientPutTransaction(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pmi := store.NewPatientService(db)
		actor := f.trustA.Actor(crs.RoleClerk)
		patient := func(nhs, family, birth string) string {
			return `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"name":[{"family":"` + family + `","given":["Ann"]}],"gender":"female","birthDate":"` + birth + `"}`
		}
		put := func(nhs, family, birth string) string {
			return `{"fullUrl":"urn:uuid:2b8d6e31-0000-4000-8000-00000000000a","resource":` + patient(nhs, family, birth) + `,"request":{"method":"PUT","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|` + nhs + `"}}`
		}
		post := func(nhs, family, birth string) string {
			return `{"resource":` + patient(nhs, family, birth) + `,"request":{"method":"POST","url":"Patient"}}`
		}
		obs := `{"resource":{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"urn:uuid:2b8d6e31-0000-4000-8000-00000000000a"}},"request":{"method":"POST","url":"Observation"}}`
		held := func(nhs string) *crs.Patient {
			t.Helper()
			p, err := pmi.FindPatientByIdentifier(t.Context(), actor, "nhs", nhs)
			if err != nil {
				t.Fatalf("the PMI holds no patient %s: %v", nhs, err)
			}
			return p
		}

		// None matches: registered, with its event.
		r := c.do("POST", "/fhir", transaction(put("9990001006", "Mills", "1961-04-05")))
		if r.status != 200 || statusesOf(t, r) != "201" {
			t.Fatalf("conditional PUT of a new patient: %d %s, want 201", r.status, r.body)
		}
		p := held("9990001006")
		if loc := entryResponses(t, r)[0]["location"]; loc != "Patient/"+p.ID+"/_history/1" {
			t.Errorf("the PUT's location %v, want Patient/%s/_history/1", loc, p.ID)
		}
		hist, err := pmi.PatientHistory(t.Context(), actor, p.ID)
		if err != nil || len(hist) != 1 || hist[0].Type != crs.EventPatientRegistered {
			t.Errorf("the patient's events %v, %v; want its registration", hist, err)
		}

		// One matches: its demographics changed, and the Observation's
		// subject is the patient.
		r = c.do("POST", "/fhir", transaction(obs, put("9990001006", "Mills-Hart", "1961-04-06")))
		if r.status != 200 || statusesOf(t, r) != "201,200" {
			t.Fatalf("conditional PUT of a held patient: %d %s, want 201,200", r.status, r.body)
		}
		if got := held("9990001006"); got.ID != p.ID || got.FamilyName != "Mills-Hart" || got.BirthDate.Format("2006-01-02") != "1961-04-06" || got.Version != 2 {
			t.Errorf("after the update the PMI holds %s %s %s version %d, want %s Mills-Hart 1961-04-06 version 2", got.ID, got.FamilyName, got.BirthDate.Format("2006-01-02"), got.Version, p.ID)
		}
		oid := strings.Split(entryResponses(t, r)[0]["location"].(string), "/")[1]
		if ref := c.do("GET", "/fhir/Observation/"+oid, "").json(t)["subject"].(map[string]any)["reference"]; ref != "Patient/"+p.ID {
			t.Errorf("the Observation's subject %v, want Patient/%s", ref, p.ID)
		}

		// A POST and a conditional PUT of one new patient: registered
		// once, then changed; the Observation names that patient.
		r = c.do("POST", "/fhir", transaction(obs, put("9990001014", "Vance", "1975-09-10"), post("9990001014", "Vane", "1975-09-01")))
		if r.status != 200 || statusesOf(t, r) != "201,200,201" {
			t.Fatalf("POST and conditional PUT of one new patient: %d %s, want 201,200,201", r.status, r.body)
		}
		q := held("9990001014")
		if q.FamilyName != "Vance" || q.Version != 2 {
			t.Errorf("the PMI holds %s version %d, want Vance version 2", q.FamilyName, q.Version)
		}
		hist, err = pmi.PatientHistory(t.Context(), actor, q.ID)
		var types []string
		for _, e := range hist {
			if strings.HasPrefix(e.Type, "patient.") {
				types = append(types, e.Type)
			}
		}
		if want := crs.EventPatientUpdated + "," + crs.EventPatientRegistered; err != nil || strings.Join(types, ",") != want {
			t.Errorf("the patient's events %v, %v; want %s", types, err, want)
		}
		oid = strings.Split(entryResponses(t, r)[0]["location"].(string), "/")[1]
		if ref := c.do("GET", "/fhir/Observation/"+oid, "").json(t)["subject"].(map[string]any)["reference"]; ref != "Patient/"+q.ID {
			t.Errorf("the Observation's subject %v, want Patient/%s", ref, q.ID)
		}
	})
}

// TestTransactionOrderConditionalCreatePatch: a transaction's conditional
// create (ifNoneExist) finds what there is after its DELETEs, so a
// resource the transaction deletes is not found and a new one is
// created; a conditional PATCH finds what there is after its POSTs, so
// it patches the resource the transaction creates.
func TestTransactionOrderConditionalCreatePatch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		obs := func(value, text string) string {
			return `{"resourceType":"Observation","status":"final","identifier":[{"system":"urn:test:lab","value":"` + value + `"}],"code":{"text":"` + text + `"},"subject":{"reference":"Patient/p1"}}`
		}
		old := create(t, c, "Observation", obs("3", "old"))
		r := c.do("POST", "/fhir", transaction(
			`{"resource":`+obs("3", "new")+`,"request":{"method":"POST","url":"Observation","ifNoneExist":"identifier=urn:test:lab|3"}}`,
			`{"request":{"method":"DELETE","url":"Observation?identifier=urn:test:lab|3"}}`))
		if r.status != 200 || statusesOf(t, r) != "201,204" {
			t.Fatalf("conditional create and DELETE of one identifier: %d %s, want 201,204", r.status, r.body)
		}
		found := matches(t, c, "Observation?identifier=urn:test:lab|3")
		if len(found) != 1 || found[0]["id"] == old || found[0]["code"].(map[string]any)["text"] != "new" {
			t.Errorf("after the conditional create and DELETE: %v, want the new Observation alone", found)
		}

		patch := base64.StdEncoding.EncodeToString([]byte(`[{"op":"replace","path":"/status","value":"amended"}]`))
		r = c.do("POST", "/fhir", transaction(
			`{"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"`+patch+`"},"request":{"method":"PATCH","url":"Observation?identifier=urn:test:lab|4"}}`,
			`{"resource":`+obs("4", "patched")+`,"request":{"method":"POST","url":"Observation"}}`))
		if r.status != 200 || statusesOf(t, r) != "200,201" {
			t.Fatalf("conditional PATCH and POST of one identifier: %d %s, want 200,201", r.status, r.body)
		}
		found = matches(t, c, "Observation?identifier=urn:test:lab|4")
		if len(found) != 1 || found[0]["status"] != "amended" || found[0]["meta"].(map[string]any)["versionId"] != "2" {
			t.Errorf("after the conditional PATCH and POST: %v, want the POSTed Observation, patched to version 2", found)
		}
	})
}

// TestTransactionRelativeReferences: a relative reference (Type/id)
// resolves against the base of its entry's fullUrl, as R4 reads a
// Bundle, so it names the new resource of the entry whose fullUrl it
// stands for: one created, one created by a conditional update, one
// matched by it; a reference from an entry with a urn:uuid fullUrl
// resolves against the server's base, and one naming a conditional
// update's fullUrl whole names what it matched. A plain update keeps
// its id.
func TestTransactionRelativeReferences(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		const other = "http://other.example/fhir"
		device := func(serial string) string {
			return `{"resourceType":"Device","serialNumber":"` + serial + `","identifier":[{"system":"urn:test:device","value":"` + serial + `"}]}`
		}
		matchedID := create(t, c, "Device", device("held"))
		r := c.do("POST", "/fhir", transaction(
			`{"fullUrl":"`+other+`/Condition/c1","resource":{"resourceType":"Condition","code":{"text":"asthma"},"subject":{"reference":"Patient/p1"}},"request":{"method":"POST","url":"Condition"}}`,
			`{"fullUrl":"`+c.base+`/fhir/Condition/c2","resource":{"resourceType":"Condition","code":{"text":"eczema"},"subject":{"reference":"Patient/p1"}},"request":{"method":"POST","url":"Condition"}}`,
			`{"fullUrl":"`+other+`/Device/d1","resource":`+device("new")+`,"request":{"method":"PUT","url":"Device?identifier=urn:test:device|new"}}`,
			`{"fullUrl":"`+other+`/Device/d2","resource":`+device("held")+`,"request":{"method":"PUT","url":"Device?identifier=urn:test:device|held"}}`,
			`{"fullUrl":"`+other+`/Condition/kept","resource":{"resourceType":"Condition","id":"kept","code":{"text":"rhinitis"},"subject":{"reference":"Patient/p1"}},"request":{"method":"PUT","url":"Condition/kept"}}`,
			`{"fullUrl":"`+other+`/Observation/o1","resource":{"resourceType":"Observation","status":"final","code":{"text":"peak flow"},"subject":{"reference":"Patient/p1"},
			  "focus":[{"reference":"Condition/c1"},{"reference":"Condition/kept"},{"reference":"Condition/c2"}],"device":{"reference":"Device/d1"}},"request":{"method":"POST","url":"Observation"}}`,
			`{"fullUrl":"urn:uuid:5b1e2c3d-0000-4000-8000-000000000001","resource":{"resourceType":"Observation","status":"final","code":{"text":"wheeze"},"subject":{"reference":"Patient/p1"},
			  "focus":[{"reference":"Condition/c2"},{"reference":"Condition/c1"}],"device":{"reference":"`+other+`/Device/d2"}},"request":{"method":"POST","url":"Observation"}}`))
		if r.status != 200 {
			t.Fatalf("transaction: %d %s", r.status, r.body)
		}
		es := entryResponses(t, r)
		idOf := func(i int) string { return strings.Split(es[i]["location"].(string), "/")[1] }
		refsOf := func(i int) []string {
			t.Helper()
			obs := c.do("GET", "/fhir/Observation/"+idOf(i), "").json(t)
			var out []string
			for _, f := range obs["focus"].([]any) {
				out = append(out, f.(map[string]any)["reference"].(string))
			}
			return append(out, obs["device"].(map[string]any)["reference"].(string))
		}
		if es[3]["status"] != "200 OK" || idOf(3) != matchedID {
			t.Fatalf("the conditional update of the held device: %v, want 200 at Device/%s", es[3], matchedID)
		}
		want := []string{"Condition/" + idOf(0), "Condition/kept", "Condition/c2", "Device/" + idOf(2)}
		if got := refsOf(5); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("references from %s/Observation/o1: %v, want %v", other, got, want)
		}
		want = []string{"Condition/" + idOf(1), "Condition/c1", "Device/" + matchedID}
		if got := refsOf(6); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("references from a urn:uuid entry: %v, want %v", got, want)
		}
	})
}

// TestTransactionPreferReturn: a transaction's response entries carry
// what Prefer: return= asks for: the resource each entry wrote
// (representation), an OperationOutcome saying what it did
// (OperationOutcome), or the response alone (minimal, the default).
func TestTransactionPreferReturn(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := startPAS(t, db, clock).a
		id := create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"asthma"},"subject":{"reference":"Patient/p1"}}`)
		bundle := func(n int) string {
			return transaction(
				fmt.Sprintf(`{"fullUrl":"urn:uuid:5b1e2c3d-0000-4000-8000-00000000000%d","resource":{"resourceType":"Condition","code":{"text":"eczema %d"},"subject":{"reference":"Patient/p1"}},"request":{"method":"POST","url":"Condition"}}`, n, n),
				`{"resource":{"resourceType":"Condition","id":"`+id+`","code":{"text":"asthma, severe"},"subject":{"reference":"Patient/p1"}},"request":{"method":"PUT","url":"Condition/`+id+`"}}`,
				`{"resource":{"resourceType":"Condition","code":{"text":"asthma"},"subject":{"reference":"Patient/p1"}},"request":{"method":"POST","url":"Condition","ifNoneExist":"_id=`+id+`"}}`)
		}
		for n, tc := range []struct {
			prefer   string
			resource []string // the code.text of each entry's resource, "" for none
			outcome  []string // what each entry's outcome says it did, "" for none
		}{
			{"", []string{"", "", ""}, []string{"", "", ""}},
			{"return=minimal", []string{"", "", ""}, []string{"", "", ""}},
			{"return=representation", []string{"eczema 2", "asthma, severe", "asthma, severe"}, []string{"", "", ""}},
			{"return=OperationOutcome", []string{"", "", ""}, []string{"created", "updated", "nothing was created"}},
		} {
			var h []string
			if tc.prefer != "" {
				h = []string{"Prefer", tc.prefer}
			}
			r := c.do("POST", "/fhir", bundle(n), h...)
			if r.status != 200 {
				t.Fatalf("Prefer %q: %d %s", tc.prefer, r.status, r.body)
			}
			for i, e := range r.json(t)["entry"].([]any) {
				e := e.(map[string]any)
				text := ""
				if res, ok := e["resource"].(map[string]any); ok {
					text = res["code"].(map[string]any)["text"].(string)
					if res["meta"].(map[string]any)["versionId"] == nil {
						t.Errorf("Prefer %q entry %d: resource without its version: %v", tc.prefer, i, res)
					}
				}
				said := ""
				if o, ok := e["response"].(map[string]any)["outcome"].(map[string]any); ok {
					said = o["issue"].([]any)[0].(map[string]any)["diagnostics"].(string)
				}
				if text != tc.resource[i] || !strings.HasSuffix(said, tc.outcome[i]) || (tc.outcome[i] == "") != (said == "") {
					t.Errorf("Prefer %q entry %d: resource %q, outcome %q; want %q, %q", tc.prefer, i, text, said, tc.resource[i], tc.outcome[i])
				}
			}
		}
		// A patient the PMI registers comes back as the API serves it,
		// by a create or by a conditional update that matches none.
		r := c.do("POST", "/fhir", transaction(`{"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Prefer","given":["Ann"]}],"gender":"female","birthDate":"1970-01-01"},"request":{"method":"POST","url":"Patient"}}`,
			`{"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"name":[{"family":"Prefer","given":["Bea"]}],"gender":"female","birthDate":"1971-01-01"},"request":{"method":"PUT","url":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000026"}}`),
			"Prefer", "return=representation")
		for i, e := range r.json(t)["entry"].([]any) {
			res, _ := e.(map[string]any)["resource"].(map[string]any)
			if r.status != 200 || res == nil || res["resourceType"] != "Patient" || !strings.Contains(fmt.Sprint(res["name"]), "Prefer") {
				t.Errorf("a patient registered in a transaction (entry %d), Prefer: return=representation: %d %s", i, r.status, r.body)
			}
		}
	})
}
