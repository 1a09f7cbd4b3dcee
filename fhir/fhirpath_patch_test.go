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

// fhirPatch is a FHIRPath Patch: a Parameters of the operations given.
func fhirPatch(ops ...string) string {
	return `{"resourceType":"Parameters","parameter":[` + strings.Join(ops, ",") + `]}`
}

// fpOp is one operation of a FHIRPath Patch: its type, its path and its
// other parts, each a part's JSON.
func fpOp(typ, path string, parts ...string) string {
	ps := append([]string{`{"name":"type","valueCode":"` + typ + `"}`, `{"name":"path","valueString":"` + path + `"}`}, parts...)
	return `{"name":"operation","part":[` + strings.Join(ps, ",") + `]}`
}

const notedCondition = `{"resourceType":"Condition","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
 "code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003","display":"Hypertension"},{"system":"http://hl7.org/fhir/sid/icd-10","code":"I10"}]},
 "subject":{"reference":"Patient/%s"},"note":[{"text":"first"},{"text":"second"}]}`

// TestFHIRPathPatch applies FHIRPath Patches to resources of the
// resource store: each operation type, paths with where(), indexers,
// first() and choices, the refusals naming the operation, all or none,
// If-Match, Prefer and a patch sent in FHIR XML.
func TestFHIRPathPatch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Smith"}]}`)
		obs := create(t, c, "Observation", fmt.Sprintf(observation, pid, "2024-03-01T10:00:00Z", "72"))
		cond := create(t, c, "Condition", fmt.Sprintf(notedCondition, pid))
		version := map[string]int{"Observation/" + obs: 1, "Condition/" + cond: 1}
		tests := []struct {
			name   string
			target string // Type/id
			body   string
			status int
			want   []string // in the resource answered, or the OperationOutcome
			absent []string // not in the resource answered
		}{
			{"replace a primitive", "Observation/" + obs, fhirPatch(fpOp("replace", "Observation.status", `{"name":"value","valueCode":"amended"}`)),
				200, []string{`"status":"amended"`}, nil},
			{"replace inside a choice", "Observation/" + obs, fhirPatch(fpOp("replace", "Observation.value.ofType(Quantity).value", `{"name":"value","valueDecimal":75.5}`)),
				200, []string{`"value":75.5`}, nil},
			{"replace a choice by another type", "Observation/" + obs, fhirPatch(fpOp("replace", "Observation.value", `{"name":"value","valueString":"regular"}`)),
				200, []string{`"valueString":"regular"`}, []string{"valueQuantity"}},
			{"add to a list", "Condition/" + cond, fhirPatch(fpOp("add", "Condition", `{"name":"name","valueString":"note"}`, `{"name":"value","valueAnnotation":{"text":"third"}}`)),
				200, []string{`{"text":"first"},{"text":"second"},{"text":"third"}`}, nil},
			{"add a choice", "Condition/" + cond, fhirPatch(fpOp("add", "Condition", `{"name":"name","valueString":"onset"}`, `{"name":"value","valueDateTime":"2020-01-01"}`)),
				200, []string{`"onsetDateTime":"2020-01-01"`}, nil},
			{"add a value of parts", "Condition/" + cond, fhirPatch(fpOp("add", "Condition", `{"name":"name","valueString":"stage"}`,
				`{"name":"value","part":[{"name":"summary","valueCodeableConcept":{"text":"early"}},{"name":"type","valueCodeableConcept":{"text":"clinical"}}]}`)),
				200, []string{`"stage":[{"summary":{"text":"early"},"type":{"text":"clinical"}}]`}, nil},
			{"insert", "Condition/" + cond, fhirPatch(fpOp("insert", "Condition.note", `{"name":"index","valueInteger":1}`, `{"name":"value","valueAnnotation":{"text":"inserted"}}`)),
				200, []string{`{"text":"first"},{"text":"inserted"},{"text":"second"}`}, nil},
			{"move, by a path from the resource", "Condition/" + cond, fhirPatch(fpOp("move", "note", `{"name":"source","valueInteger":3}`, `{"name":"destination","valueInteger":0}`)),
				200, []string{`"note":[{"text":"third"},{"text":"first"}`}, nil},
			{"delete by where", "Condition/" + cond, fhirPatch(fpOp("delete", "Condition.note.where(text='inserted')")),
				200, []string{`"note":[{"text":"third"},{"text":"first"},{"text":"second"}]`}, []string{"inserted"}},
			{"delete by system and code", "Condition/" + cond, fhirPatch(fpOp("delete", "Condition.code.coding.where(system='http://hl7.org/fhir/sid/icd-10' and code='I10')")),
				200, nil, []string{"I10"}},
			{"replace by indexer and first()", "Condition/" + cond, fhirPatch(
				fpOp("replace", "Condition.note[1].text", `{"name":"value","valueMarkdown":"one"}`),
				fpOp("replace", "Condition.code.coding.first().display", `{"name":"value","valueString":"Essential hypertension"}`)),
				200, []string{`{"text":"third"},{"text":"one"}`, `"display":"Essential hypertension"`}, nil},
			{"delete of nothing", "Condition/" + cond, fhirPatch(fpOp("delete", "Condition.abatementDateTime")), 200, nil, nil},
			{"several in order", "Condition/" + cond, fhirPatch(
				fpOp("delete", "Condition.note.last()"),
				fpOp("replace", "Condition.note.last().text", `{"name":"value","valueString":"last"}`)),
				200, []string{`"note":[{"text":"third"},{"text":"last"}]`}, nil},

			{"replace of nothing", "Condition/" + cond, fhirPatch(fpOp("replace", "Condition.severity", `{"name":"value","valueCodeableConcept":{"text":"mild"}}`)),
				422, []string{"operation 0", "Condition.severity", "nothing"}, nil},
			{"replace of several", "Condition/" + cond, fhirPatch(fpOp("replace", "Condition.note", `{"name":"value","valueAnnotation":{"text":"x"}}`)),
				422, []string{"operation 0", "matches 2"}, nil},
			{"delete of several", "Condition/" + cond, fhirPatch(fpOp("delete", "Condition.note")),
				422, []string{"operation 0", "Condition.note", "matches 2"}, nil},
			{"a value of the wrong type", "Observation/" + obs, fhirPatch(fpOp("replace", "Observation.status", `{"name":"value","valueInteger":5}`)),
				422, []string{"operation 0", "Observation.status"}, nil},
			{"a code R4 does not take", "Observation/" + obs, fhirPatch(fpOp("replace", "Observation.status", `{"name":"value","valueCode":"done"}`)),
				422, []string{"operation 0", "done"}, nil},
			{"a complex value of the wrong type", "Condition/" + cond, fhirPatch(fpOp("add", "Condition", `{"name":"name","valueString":"note"}`, `{"name":"value","valueCoding":{"code":"x"}}`)),
				422, []string{"operation 0", "Annotation"}, nil},
			{"an element R4 does not define", "Condition/" + cond, fhirPatch(fpOp("add", "Condition", `{"name":"name","valueString":"colour"}`, `{"name":"value","valueString":"red"}`)),
				422, []string{"operation 0", "colour"}, nil},
			{"add to a single element present", "Observation/" + obs, fhirPatch(fpOp("add", "Observation", `{"name":"name","valueString":"status"}`, `{"name":"value","valueCode":"final"}`)),
				422, []string{"operation 0", "replace"}, nil},
			{"insert past the end", "Condition/" + cond, fhirPatch(fpOp("insert", "Condition.note", `{"name":"index","valueInteger":9}`, `{"name":"value","valueAnnotation":{"text":"x"}}`)),
				422, []string{"operation 0", "index 9"}, nil},
			{"all or none", "Condition/" + cond, fhirPatch(
				fpOp("replace", "Condition.note[0].text", `{"name":"value","valueString":"kept?"}`),
				fpOp("replace", "Condition.recorder", `{"name":"value","valueReference":{"reference":"Practitioner/x"}}`)),
				422, []string{"operation 1", "Condition.recorder"}, nil},
			{"not an operation", "Condition/" + cond, `{"resourceType":"Parameters","parameter":[{"name":"op","valueString":"add"}]}`,
				400, []string{"parameter 0", "operation"}, nil},
			{"no such type", "Condition/" + cond, fhirPatch(fpOp("frobnicate", "Condition.note")), 400, []string{"operation 0", "frobnicate"}, nil},
			{"no value", "Condition/" + cond, fhirPatch(fpOp("replace", "Condition.note[0]")), 400, []string{"operation 0", "no value"}, nil},
			{"a path a patch does not take", "Condition/" + cond, fhirPatch(fpOp("delete", "Condition.note.resolve()")), 400, []string{"operation 0", "resolve"}, nil},
			{"not a Parameters", "Condition/" + cond, `{"resourceType":"Basic","code":{"text":"x"}}`, 400, []string{"Parameters"}, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := c.do("PATCH", "/fhir/"+tc.target, tc.body, "Content-Type", "application/fhir+json")
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				if tc.status == 200 {
					version[tc.target]++
					if e := fmt.Sprintf(`W/"%d"`, version[tc.target]); r.header.Get("ETag") != e {
						t.Errorf("ETag %s, want %s", r.header.Get("ETag"), e)
					}
				} else if !isOutcome(r) {
					t.Errorf("not an OperationOutcome: %s", r.body)
				}
				for _, w := range tc.want {
					if !strings.Contains(string(r.body), w) {
						t.Errorf("answer %s does not hold %s", r.body, w)
					}
				}
				for _, a := range tc.absent {
					if strings.Contains(string(r.body), a) {
						t.Errorf("answer %s still holds %s", r.body, a)
					}
				}
			})
		}
		got := c.do("GET", "/fhir/Condition/"+cond, "")
		if e := fmt.Sprintf(`W/"%d"`, version["Condition/"+cond]); got.header.Get("ETag") != e || strings.Contains(string(got.body), "kept?") {
			t.Errorf("after the patches: %s %s, want version %s without the refused changes", got.header.Get("ETag"), got.body, e)
		}
		if h := c.do("GET", "/fhir/Condition/"+cond+"/_history", "").json(t); len(h["entry"].([]any)) != version["Condition/"+cond] {
			t.Errorf("history of %d versions, want %d", len(h["entry"].([]any)), version["Condition/"+cond])
		}

		// If-Match and Prefer as any update.
		replace := fhirPatch(fpOp("replace", "Observation.status", `{"name":"value","valueCode":"corrected"}`))
		if r := c.do("PATCH", "/fhir/Observation/"+obs, replace, "If-Match", `W/"1"`); r.status != 412 || !isOutcome(r) {
			t.Errorf("stale If-Match: %d %s, want 412", r.status, r.body)
		}
		n := version["Observation/"+obs]
		r := c.do("PATCH", "/fhir/Observation/"+obs, replace, "If-Match", fmt.Sprintf(`W/"%d"`, n), "Prefer", "return=minimal")
		if r.status != 200 || len(r.body) != 0 || r.header.Get("ETag") != fmt.Sprintf(`W/"%d"`, n+1) {
			t.Errorf("If-Match of the current version, return=minimal: %d %q %s", r.status, r.body, r.header.Get("ETag"))
		}
		// A FHIRPath Patch in FHIR XML.
		xmlPatch := `<Parameters xmlns="http://hl7.org/fhir"><parameter><name value="operation"/>
 <part><name value="type"/><valueCode value="replace"/></part><part><name value="path"/><valueString value="Observation.status"/></part>
 <part><name value="value"/><valueCode value="final"/></part></parameter></Parameters>`
		r = c.do("PATCH", "/fhir/Observation/"+obs, xmlPatch, "Content-Type", "application/fhir+xml")
		if r.status != 200 || r.json(t)["status"] != "final" {
			t.Errorf("patch in XML: %d %s", r.status, r.body)
		}
		if r := c.do("PATCH", "/fhir/Observation/"+obs, `[{"op":"replace","path":"/status","value":"amended"}]`, "Content-Type", "application/json"); r.status != 200 || r.json(t)["status"] != "amended" {
			t.Errorf("a JSON Patch sent as application/json: %d %s", r.status, r.body)
		}
		if r := c.do("PATCH", "/fhir/Observation/"+obs, replace, "Content-Type", "text/plain"); r.status != 415 || !isOutcome(r) {
			t.Errorf("patch as text: %d, want 415", r.status)
		}
		if r := c.do("PATCH", "/fhir/Observation/nope", replace); r.status != 404 || !isOutcome(r) {
			t.Errorf("patch of no resource: %d %s, want 404", r.status, r.body)
		}
	})
}

// TestFHIRPathPatchPMI patches a Patient of the patient index with a
// FHIRPath Patch: the change goes through the PMI's demographics change,
// as an update's does.
func TestFHIRPathPatchPMI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pmi := store.NewPatientService(db)
		actor := f.trustA.Actor(crs.RoleClerk)
		zoe := create(t, c, "Patient", ukPatient)
		body := fhirPatch(
			fpOp("replace", "Patient.birthDate", `{"name":"value","valueDate":"1971-06-02"}`),
			fpOp("add", "Patient", `{"name":"name","valueString":"telecom"}`, `{"name":"value","valueContactPoint":{"system":"email","value":"zoe@example.org"}}`),
			fpOp("delete", "Patient.telecom.where(system='phone' and use='mobile')"),
			fpOp("delete", "Patient.name.where(use='official').given.where($this='Marie')"),
		)
		r := c.do("PATCH", "/fhir/Patient/"+zoe, body, "If-Match", `W/"1"`)
		if r.status != 200 || r.header.Get("ETag") != `W/"2"` {
			t.Fatalf("patch: %d %s %s", r.status, r.header.Get("ETag"), r.body)
		}
		p, err := pmi.FindPatient(t.Context(), actor, zoe)
		if err != nil || p.BirthDate.String() != "1971-06-02" || p.Email != "zoe@example.org" || p.Mobile != "" || p.Phone != "020 7946 0000" || p.GivenName != "Ann" || p.OtherNames != "" || p.Version != 2 {
			t.Errorf("after the patch the PMI holds %+v (%v)", p, err)
		}
		got := string(c.do("GET", "/fhir/Patient/"+zoe, "").body)
		if !strings.Contains(got, `"birthDate":"1971-06-02"`) || !strings.Contains(got, "zoe@example.org") || strings.Contains(got, "07700 900000") {
			t.Errorf("served after the patch: %s", got)
		}
		if r := c.do("PATCH", "/fhir/Patient/"+zoe, body, "If-Match", `W/"1"`); r.status != 412 || !isOutcome(r) {
			t.Errorf("stale If-Match: %d %s, want 412", r.status, r.body)
		}
		bad := fhirPatch(fpOp("replace", "Patient.birthDate", `{"name":"value","valueString":"June 1971"}`))
		if r := c.do("PATCH", "/fhir/Patient/"+zoe, bad); r.status != 422 || !strings.Contains(string(r.body), "operation 0") || !strings.Contains(string(r.body), "Patient.birthDate") {
			t.Errorf("a birth date that is not a date: %d %s, want 422 naming operation 0", r.status, r.body)
		}
		if p, _ := pmi.FindPatient(t.Context(), actor, zoe); p.Version != 2 {
			t.Errorf("a refused patch changed the PMI: version %d", p.Version)
		}
	})
}

// TestPatchInBundle sends PATCH entries in transactions and batches: a
// Binary holding a JSON Patch, a Parameters holding a FHIRPath Patch, a
// conditional one, a patient of the PMI; a failing patch rolls a
// transaction back and fails only its own entry of a batch.
func TestPatchInBundle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		zoe := create(t, c, "Patient", ukPatient)
		obs := create(t, c, "Observation", fmt.Sprintf(observation, zoe, "2024-03-01T10:00:00Z", "72"))
		cond := create(t, c, "Condition", fmt.Sprintf(notedCondition, zoe))
		jsonPatch := base64.StdEncoding.EncodeToString([]byte(`[{"op":"replace","path":"/status","value":"amended"}]`))
		binary := `{"resourceType":"Binary","contentType":"application/json-patch+json","data":"` + jsonPatch + `"}`
		bundle := func(kind string, entries ...string) string {
			return `{"resourceType":"Bundle","type":"` + kind + `","entry":[` + strings.Join(entries, ",") + `]}`
		}
		entry := func(method, url, resource string, more ...string) string {
			req := `"method":"` + method + `","url":"` + url + `"`
			for i := 0; i+1 < len(more); i += 2 {
				req += `,"` + more[i] + `":"` + more[i+1] + `"`
			}
			return `{"resource":` + resource + `,"request":{` + req + `}}`
		}
		responses := func(r response) []map[string]any { return entryResponses(t, r) }

		tx := bundle("transaction",
			entry("PATCH", "Observation/"+obs, binary, "ifMatch", `W/\"1\"`),
			entry("PATCH", "Condition/"+cond, fhirPatch(fpOp("delete", "Condition.note.where(text='first')"))),
			entry("PATCH", "Patient/"+zoe, fhirPatch(fpOp("replace", "Patient.birthDate", `{"name":"value","valueDate":"1971-06-02"}`))),
			entry("POST", "Observation", fmt.Sprintf(observation, zoe, "2024-03-02T10:00:00Z", "80")),
			`{"fullUrl":"urn:uuid:5f0c0a52-0000-4000-8000-000000000001","resource":{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"}},"request":{"method":"POST","url":"Encounter"}}`,
			entry("PATCH", "Condition/"+cond, fhirPatch(fpOp("add", "Condition", `{"name":"name","valueString":"encounter"}`, `{"name":"value","valueReference":{"reference":"urn:uuid:5f0c0a52-0000-4000-8000-000000000001"}}`))))
		r := c.do("POST", "/fhir", tx)
		if r.status != 200 {
			t.Fatalf("transaction: %d %s", r.status, r.body)
		}
		rs := responses(r)
		for i, want := range []string{"Observation/" + obs + "/_history/2", "Condition/" + cond + "/_history/2", "Patient/" + zoe + "/_history/2"} {
			if rs[i]["status"] != "200 OK" || rs[i]["location"] != want || rs[i]["etag"] != `W/"2"` || rs[i]["lastModified"] == nil {
				t.Errorf("entry %d: %v, want 200 at %s", i, rs[i], want)
			}
		}
		if rs[3]["status"] != "201 Created" || rs[4]["status"] != "201 Created" || rs[5]["status"] != "200 OK" || rs[5]["etag"] != `W/"3"` {
			t.Errorf("the POSTs beside the patches, and the second patch of the Condition: %v %v %v", rs[3], rs[4], rs[5])
		}
		enc, _ := rs[4]["location"].(string)
		if got := c.do("GET", "/fhir/Condition/"+cond, "").json(t)["encounter"]; !strings.HasPrefix(enc, fmt.Sprint(asMap(got)["reference"])+"/_history/") {
			t.Errorf("the patch's reference to the new Encounter became %v, want %s", got, enc)
		}
		if got := c.do("GET", "/fhir/Observation/"+obs, "").json(t)["status"]; got != "amended" {
			t.Errorf("the Binary JSON Patch left status %v", got)
		}
		if got := string(c.do("GET", "/fhir/Condition/"+cond, "").body); strings.Contains(got, `"first"`) {
			t.Errorf("the FHIRPath Patch left %s", got)
		}
		if got := c.do("GET", "/fhir/Patient/"+zoe, "").json(t)["birthDate"]; got != "1971-06-02" {
			t.Errorf("the patient's birth date is %v", got)
		}

		// A failing patch rolls the whole transaction back, naming its entry.
		count := func() string {
			return fmt.Sprint(c.do("GET", "/fhir/Observation?_summary=count", "").json(t)["total"])
		}
		before := count()
		bad := bundle("transaction",
			entry("POST", "Observation", fmt.Sprintf(observation, zoe, "2024-03-03T10:00:00Z", "90")),
			entry("PATCH", "Observation/"+obs, fhirPatch(fpOp("replace", "Observation.status", `{"name":"value","valueCode":"final"}`))),
			entry("PATCH", "Condition/"+cond, fhirPatch(fpOp("replace", "Condition.severity", `{"name":"value","valueCodeableConcept":{"text":"mild"}}`))))
		r = c.do("POST", "/fhir", bad)
		if r.status != 422 || !isOutcome(r) || !strings.Contains(string(r.body), "entry 2") || !strings.Contains(string(r.body), "Condition.severity") {
			t.Errorf("failing transaction: %d %s, want 422 naming entry 2 and the path", r.status, r.body)
		}
		if got := count(); got != before {
			t.Errorf("the failed transaction left %s observations, want %s", got, before)
		}
		if got := c.do("GET", "/fhir/Observation/"+obs, ""); got.json(t)["status"] != "amended" || got.header.Get("ETag") != `W/"2"` {
			t.Errorf("the failed transaction patched the observation: %s %s", got.header.Get("ETag"), got.body)
		}
		stale := bundle("transaction", entry("PATCH", "Observation/"+obs, binary, "ifMatch", `W/\"1\"`))
		if r := c.do("POST", "/fhir", stale); r.status != 412 || !strings.Contains(string(r.body), "entry 0") {
			t.Errorf("stale ifMatch: %d %s, want 412 naming entry 0", r.status, r.body)
		}

		// In a batch the failing patch is its own entry's error only.
		r = c.do("POST", "/fhir", strings.Replace(bad, `"transaction"`, `"batch"`, 1))
		rs = responses(r)
		if r.status != 200 || rs[0]["status"] != "201 Created" || rs[1]["status"] != "200 OK" || rs[2]["status"] != "422 Unprocessable Entity" || rs[2]["outcome"] == nil {
			t.Errorf("batch: %d %s", r.status, r.body)
		}
		if got := c.do("GET", "/fhir/Observation/"+obs, "").json(t)["status"]; got != "final" {
			t.Errorf("the batch's good patch left status %v", got)
		}

		// A conditional PATCH entry, and a malformed one refused 400.
		code := "code=http://snomed.info/sct|38341003"
		r = c.do("POST", "/fhir", bundle("transaction", entry("PATCH", "Condition?"+code, fhirPatch(fpOp("add", "Condition", `{"name":"name","valueString":"onset"}`, `{"name":"value","valueDateTime":"2020-01-01"}`)))))
		if rs := responses(r); r.status != 200 || rs[0]["location"] != "Condition/"+cond+"/_history/4" {
			t.Errorf("conditional PATCH entry: %d %s", r.status, r.body)
		}
		r = c.do("POST", "/fhir", bundle("transaction", entry("PATCH", "Condition/"+cond, `{"resourceType":"Binary","contentType":"text/plain","data":"eA=="}`)))
		if r.status != 400 || !strings.Contains(string(r.body), "Bundle.entry[0].resource") {
			t.Errorf("a Binary that is not a JSON Patch: %d %s, want 400 naming the entry", r.status, r.body)
		}
	})
}

// TestConditionalPatch patches by a query: one match is patched, none is
// 404 and several 412, of the resource store and of the PMI.
func TestConditionalPatch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		zoe := create(t, c, "Patient", ukPatient)
		cond := create(t, c, "Condition", fmt.Sprintf(notedCondition, zoe))
		create(t, c, "Observation", fmt.Sprintf(observation, zoe, "2024-03-01T10:00:00Z", "72"))
		create(t, c, "Observation", fmt.Sprintf(observation, zoe, "2024-03-02T10:00:00Z", "73"))
		status := fhirPatch(fpOp("replace", "Condition.clinicalStatus.coding[0].code", `{"name":"value","valueCode":"resolved"}`))
		r := c.do("PATCH", "/fhir/Condition?code=http://snomed.info/sct|38341003", status)
		if r.status != 200 || r.json(t)["id"] != cond || r.header.Get("ETag") != `W/"2"` || !strings.Contains(string(r.body), `"code":"resolved"`) {
			t.Errorf("one match: %d %s", r.status, r.body)
		}
		if r := c.do("PATCH", "/fhir/Condition?code=http://snomed.info/sct|73211009", status); r.status != 404 || !isOutcome(r) {
			t.Errorf("no match: %d %s, want 404", r.status, r.body)
		}
		jp := `[{"op":"replace","path":"/status","value":"amended"}]`
		if r := c.do("PATCH", "/fhir/Observation?code=http://loinc.org|8867-4", jp, "Content-Type", "application/json-patch+json"); r.status != 412 || !isOutcome(r) {
			t.Errorf("two matches: %d %s, want 412", r.status, r.body)
		}
		if r := c.do("PATCH", "/fhir/Observation", jp, "Content-Type", "application/json-patch+json"); r.status != 400 {
			t.Errorf("no query: %d, want 400", r.status)
		}
		r = c.do("PATCH", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", fhirPatch(fpOp("replace", "Patient.gender", `{"name":"value","valueCode":"other"}`)))
		if r.status != 200 || r.json(t)["id"] != zoe || r.json(t)["gender"] != "other" {
			t.Errorf("a patient of the PMI by NHS number: %d %s", r.status, r.body)
		}
		if r := c.do("PATCH", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000026", jp, "Content-Type", "application/json-patch+json"); r.status != 404 {
			t.Errorf("no patient of the PMI: %d %s, want 404", r.status, r.body)
		}
	})
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
