package fhir_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// matchParams is a $match's Parameters: the Patient as resource, then
// the other parameters as written.
func matchParams(patient string, more ...string) string {
	ps := append([]string{`{"name":"resource","resource":` + patient + `}`}, more...)
	return `{"resourceType":"Parameters","parameter":[` + strings.Join(ps, ",") + `]}`
}

// matched is one entry of a $match's answer: the patient, its score as
// written and its grade.
type matched struct{ id, score, grade string }

// matchAnswer reads a $match's answer, which must be a searchset of
// patients each with mode match, a score and a grade, with a self link
// naming the operation (a searchset says what the search was).
func matchAnswer(t *testing.T, r response) []matched {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("$match: %d %s", r.status, r.body)
	}
	b := r.json(t)
	if b["resourceType"] != "Bundle" || b["type"] != "searchset" {
		t.Fatalf("$match answered %v %v, want a searchset Bundle: %s", b["resourceType"], b["type"], r.body)
	}
	self := ""
	links, _ := b["link"].([]any)
	for _, l := range links {
		if l := l.(map[string]any); l["relation"] == "self" {
			self, _ = l["url"].(string)
		}
	}
	if !strings.HasPrefix(self, "http") || !strings.HasSuffix(self, "/fhir/Patient/$match") {
		t.Errorf("$match answered links %v, want a self link to the operation", b["link"])
	}
	var out []matched
	es, _ := b["entry"].([]any)
	for _, e := range es {
		e := e.(map[string]any)
		res := e["resource"].(map[string]any)
		if res["resourceType"] != "Patient" || !strings.HasSuffix(e["fullUrl"].(string), "/fhir/Patient/"+res["id"].(string)) {
			t.Errorf("entry %v is not a Patient at its fullUrl", e)
		}
		s, _ := e["search"].(map[string]any)
		exts, _ := s["extension"].([]any)
		grade := ""
		if len(exts) == 1 && exts[0].(map[string]any)["url"] == "http://hl7.org/fhir/StructureDefinition/match-grade" {
			grade, _ = exts[0].(map[string]any)["valueCode"].(string)
		}
		if s["mode"] != "match" {
			t.Errorf("entry of Patient/%s has search %v, want mode match", res["id"], s)
		}
		out = append(out, matched{res["id"].(string), fmt.Sprint(s["score"]), grade})
	}
	return out
}

// TestPatientMatch drives Patient/$match on the patient index: an exact
// NHS number is a certain match and first, the same names and date of
// birth a probable one, a near name a possible one; onlyCertainMatches
// and count narrow the answer; no match is an empty searchset; the
// reads are audited; and what is wrong with the parameters is refused
// 400 naming the parameter.
func TestPatientMatch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		john := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],
			"name":[{"family":"Smith","given":["John"]}],"gender":"male","birthDate":"1980-02-03","address":[{"postalCode":"LS1 4AB"}],
			"maritalStatus":{"text":"Married"}}`)
		jon := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Smith","given":["Jon"]}],"gender":"male","birthDate":"1980-02-03"}`)
		peter := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Smith","given":["Peter"]}],"gender":"male","birthDate":"1980-02-03"}`)
		mary := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],
			"name":[{"family":"Jones","given":["Mary"]}],"gender":"female","birthDate":"1990-01-01"}`)

		exact := `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"999 000 0018"}],
			"name":[{"family":"Smith","given":["John"]}],"gender":"male","birthDate":"1980-02-03"}`
		near := `{"resourceType":"Patient","name":[{"family":"Smyth","given":["John"]}],"gender":"male","birthDate":"1980-02-03"}`
		none := `{"resourceType":"Patient","name":[{"family":"Nobody","given":["Else"]}],"gender":"female","birthDate":"2001-01-01"}`
		certain := `{"name":"onlyCertainMatches","valueBoolean":true}`
		count := func(n int) string { return fmt.Sprintf(`{"name":"count","valueInteger":%d}`, n) }

		views := func(patientID string) int {
			t.Helper()
			if err := db.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.Reader().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM audit_trail WHERE org_id = $1 AND patient_id = $2 AND action = $3`,
				f.trustA.Org.ID, patientID, crs.AuditView).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := map[string]int{}
		for _, id := range []string{john, jon, peter, mary} {
			before[id] = views(id)
		}

		for _, tc := range []struct {
			name, client, body string
			want               []matched
		}{
			// The same NHS number is certain; without one, the same names
			// and date of birth are probable, a given name that sounds
			// alike too, another given name possible.
			{"exact", "a", matchParams(exact), []matched{{john, "1", "certain"}, {jon, "0.82", "probable"}, {peter, "0.65", "possible"}}},
			{"exact, the Patient alone", "a", exact, []matched{{john, "1", "certain"}, {jon, "0.82", "probable"}, {peter, "0.65", "possible"}}},
			{"near", "a", matchParams(near), []matched{{john, "0.81", "probable"}, {jon, "0.78", "possible"}, {peter, "0.61", "possible"}}},
			{"only certain", "a", matchParams(exact, certain), []matched{{john, "1", "certain"}}},
			{"only certain, none", "a", matchParams(near, certain), nil},
			{"only certain false", "a", matchParams(near, `{"name":"onlyCertainMatches","valueBoolean":false}`), []matched{{john, "0.81", "probable"}, {jon, "0.78", "possible"}, {peter, "0.61", "possible"}}},
			{"count", "a", matchParams(exact, count(2)), []matched{{john, "1", "certain"}, {jon, "0.82", "probable"}}},
			{"count 1", "a", matchParams(near, count(1)), []matched{{john, "0.81", "probable"}}},
			{"no match", "a", matchParams(none), nil},
			// Another trust's patients are not its matches.
			{"other trust", "b", matchParams(exact), nil},
			// A token that may read patients may match them.
			{"Patient.read", "a-patient-read", matchParams(exact, count(1)), []matched{{john, "1", "certain"}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := (&client{t, f.base, tc.client}).do("POST", "/fhir/Patient/$match", tc.body)
				got := matchAnswer(t, r)
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("$match = %v, want %v", got, tc.want)
				}
			})
		}

		// Each patient answered is served as a read serves it, with what
		// is kept beside the record, and the read is audited.
		r := c.do("POST", "/fhir/Patient/$match", matchParams(exact, count(1)))
		read := c.do("GET", "/fhir/Patient/"+john, "")
		if e := r.json(t)["entry"].([]any)[0].(map[string]any)["resource"]; fmt.Sprint(e) != fmt.Sprint(read.json(t)) {
			t.Errorf("$match served\n%v\nwhere a read serves\n%v", e, read.json(t))
		}
		for _, id := range []string{john, jon, peter} {
			if views(id) == before[id] {
				t.Errorf("Patient/%s answered by $match: no read audited", id)
			}
		}
		if views(mary) != before[mary] {
			t.Errorf("Patient/%s, no match, was audited as read", mary)
		}

		// What is wrong is refused 400, naming the parameter.
		for _, tc := range []struct{ name, body, at, says string }{
			{"no body", "", "Parameters.parameter", "resource"},
			{"no resource", `{"resourceType":"Parameters","parameter":[` + count(2) + `]}`, "Parameters.parameter", "resource"},
			{"not a Patient", matchParams(`{"resourceType":"Observation","status":"final","code":{"text":"pulse"}}`), "Parameters.parameter[0].resource.resourceType", "Observation"},
			{"not R4", matchParams(`{"resourceType":"Patient","colour":"blue"}`), "Parameters.parameter[0].resource.colour", "colour"},
			{"bad NHS number", matchParams(`{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000017"}]}`),
				"Parameters.parameter[0].resource.identifier[0].value", "9990000017"},
			{"count 0", matchParams(none, count(0)), "Parameters.parameter[1]", "count"},
			{"count as text", matchParams(none, `{"name":"count","valueString":"2"}`), "Parameters.parameter[1]", "count"},
			{"onlyCertainMatches as text", matchParams(none, `{"name":"onlyCertainMatches","valueString":"yes"}`), "Parameters.parameter[1]", "onlyCertainMatches"},
			{"two resources", matchParams(none, `{"name":"resource","resource":`+none+`}`), "Parameters.parameter[1]", "second"},
			{"unknown parameter", matchParams(none, `{"name":"onlySingleMatch","valueBoolean":true}`), "Parameters.parameter[1].name", "onlySingleMatch"},
			{"a Bundle", `{"resourceType":"Bundle","type":"collection"}`, "resourceType", "Bundle"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := c.do("POST", "/fhir/Patient/$match", tc.body)
				if r.status != 400 || !isOutcome(r) {
					t.Fatalf("%d %s, want 400 and an OperationOutcome", r.status, r.body)
				}
				issue := r.json(t)["issue"].([]any)[0].(map[string]any)
				expr, _ := issue["expression"].([]any)
				if len(expr) != 1 || expr[0] != tc.at || !strings.Contains(fmt.Sprint(issue["diagnostics"]), tc.says) {
					t.Errorf("issue %v, want at %s saying %s", issue, tc.at, tc.says)
				}
			})
		}

		// A system without Patient.read may not match patients.
		obs, _ := fhir.ParseScopes("system/Observation.read")
		f.server.Auth.(bearerAuth)["a-obs"] = &fhir.Principal{Actor: f.trustA.Actor(crs.RoleInterface), Scopes: obs}
		if r := (&client{t, f.base, "a-obs"}).do("POST", "/fhir/Patient/$match", matchParams(exact)); r.status != 403 || !isOutcome(r) {
			t.Errorf("without Patient.read: %d %s, want 403", r.status, r.body)
		}

		// The CapabilityStatement names the operation on Patient.
		cs := string(c.do("GET", "/fhir/metadata", "").body)
		if !strings.Contains(cs, `{"name":"match","definition":"http://hl7.org/fhir/OperationDefinition/Patient-match"}`) {
			t.Errorf("the CapabilityStatement does not name $match")
		}
	})
}

// TestPatientMatchXML sends $match's Parameters in FHIR XML and asks for
// XML: the answer is a searchset in XML with each entry's grade, mode
// and score in R4's order.
func TestPatientMatchXML(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		john := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],
			"name":[{"family":"Smith","given":["John"]}],"gender":"male","birthDate":"1980-02-03"}`)
		body := `<Parameters xmlns="http://hl7.org/fhir"><parameter><name value="resource"/><resource><Patient>
			<identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9990000018"/></identifier>
			<name><family value="Smith"/><given value="John"/></name><gender value="male"/><birthDate value="1980-02-03"/>
			</Patient></resource></parameter><parameter><name value="count"/><valueInteger value="5"/></parameter></Parameters>`
		r := c.do("POST", "/fhir/Patient/$match", body, "Content-Type", fhir.XMLContentType, "Accept", fhir.XMLContentType)
		if r.status != 200 || r.header.Get("Content-Type") != "application/fhir+xml; charset=utf-8" {
			t.Fatalf("$match in XML: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		s := string(r.body)
		want := `<search><extension url="http://hl7.org/fhir/StructureDefinition/match-grade"><valueCode value="certain"/></extension><mode value="match"/><score value="1"/></search>`
		if !strings.HasPrefix(s[strings.Index(s, "<Bundle"):], `<Bundle xmlns="http://hl7.org/fhir">`) || !strings.Contains(s, `<id value="`+john+`"/>`) || !strings.Contains(s, want) {
			t.Errorf("$match in XML lacks the patient or %s:\n%s", want, s)
		}
		// A bad parameter in XML is refused as in JSON.
		bad := strings.Replace(body, `<valueInteger value="5"/>`, `<valueInteger value="0"/>`, 1)
		if r := c.do("POST", "/fhir/Patient/$match", bad, "Content-Type", fhir.XMLContentType); r.status != 400 || !strings.Contains(string(r.body), "Parameters.parameter[1]") {
			t.Errorf("count 0 in XML: %d %s", r.status, r.body)
		}
	})
}

// johnSmith is a patient with an NHS number, names, date of birth and
// postcode, as registered and as a $match asks about him.
const johnSmith = `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],
	"name":[{"family":"Smith","given":["John"]}],"gender":"male","birthDate":"1980-02-03","address":[{"postalCode":"LS1 4AB"}]}`

// TestPatientMatchInBundle: a batch's entry POST Patient/$match, its
// resource the Parameters, is answered as the entry's response, the
// searchset as its resource (200), beside the batch's other entries; a
// bad Parameters fails that entry alone. A transaction may invoke it
// too, for it changes nothing; there a bad one fails the transaction
// naming the entry, and an operation that writes is refused.
func TestPatientMatchInBundle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		john := create(t, c, "Patient", johnSmith)
		exact := johnSmith
		matchEntry := func(params string) string {
			return `{"resource":` + params + `,"request":{"method":"POST","url":"Patient/$match"}}`
		}
		bad := matchEntry(`{"resourceType":"Parameters","parameter":[{"name":"count","valueInteger":0}]}`)
		observation := `{"resource":{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"Patient/` + john + `"}},"request":{"method":"POST","url":"Observation"}}`
		bundle := func(kind string, entries ...string) string {
			return `{"resourceType":"Bundle","type":"` + kind + `","entry":[` + strings.Join(entries, ",") + `]}`
		}
		// entryAnswer is the searchset of the entry i of a Bundle's
		// answer, as a response of its own.
		entryAnswer := func(r response, i int) response {
			t.Helper()
			e := r.json(t)["entry"].([]any)[i].(map[string]any)
			if st := e["response"].(map[string]any)["status"]; st != "200 OK" {
				t.Fatalf("entry %d: status %v, want 200: %s", i, st, r.body)
			}
			body, _ := json.Marshal(e["resource"])
			return response{status: 200, body: body}
		}

		r := c.do("POST", "/fhir", bundle("batch", observation, matchEntry(matchParams(exact)), bad))
		if r.status != 200 {
			t.Fatalf("batch: %d %s", r.status, r.body)
		}
		got := entryResponses(t, r)
		if got[0]["status"] != "201 Created" || got[2]["status"] != "400 Bad Request" {
			t.Errorf("batch: statuses %v and %v, want 201 and 400 beside the $match: %s", got[0]["status"], got[2]["status"], r.body)
		}
		if m := matchAnswer(t, entryAnswer(r, 1)); len(m) != 1 || m[0] != (matched{john, "1", "certain"}) {
			t.Errorf("the batch's $match answered %v, want John, certain", m)
		}
		if o, _ := got[2]["outcome"].(map[string]any); o == nil || !strings.Contains(fmt.Sprint(o), "count") {
			t.Errorf("the bad $match's outcome %v does not name count", got[2]["outcome"])
		}

		r = c.do("POST", "/fhir", bundle("transaction", matchEntry(matchParams(exact)), observation))
		if r.status != 200 {
			t.Fatalf("transaction: %d %s", r.status, r.body)
		}
		if m := matchAnswer(t, entryAnswer(r, 0)); len(m) != 1 || m[0].id != john {
			t.Errorf("the transaction's $match answered %v, want John", m)
		}
		if r := c.do("POST", "/fhir", bundle("transaction", observation, bad)); r.status != 400 || !strings.Contains(string(r.body), "entry 1") {
			t.Errorf("a transaction with a bad $match: %d %s, want 400 naming entry 1", r.status, r.body)
		}
		meta := `{"resource":{"resourceType":"Parameters","parameter":[{"name":"meta","valueMeta":{"tag":[{"system":"urn:test","code":"x"}]}}]},"request":{"method":"POST","url":"Patient/` + john + `/$meta-add"}}`
		if r := c.do("POST", "/fhir", bundle("transaction", meta)); r.status != 400 || !strings.Contains(string(r.body), "Bundle.entry[0].request.url") {
			t.Errorf("a transaction invoking $meta-add: %d %s, want 400 naming the entry's url", r.status, r.body)
		}
	})
}

// TestPatientMatchCertainlyNot: a record alike in names, date of birth
// and postcode but with another NHS number is certainly not the patient
// (the PMI scores it 0): $match answers it last, graded certainly-not
// with score 0, and not with onlyCertainMatches nor for a Patient sent
// without an NHS number, whose match it may be.
func TestPatientMatchCertainlyNot(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		john := create(t, c, "Patient", johnSmith)
		other := create(t, c, "Patient", strings.Replace(johnSmith, "9990000018", "9990000034", 1))
		withNHS := johnSmith
		withoutNHS := strings.Replace(johnSmith, `"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],`, "", 1)
		for _, tc := range []struct {
			name, body string
			want       []matched
		}{
			{"another NHS number", matchParams(withNHS), []matched{{john, "1", "certain"}, {other, "0", "certainly-not"}}},
			{"only certain", matchParams(withNHS, `{"name":"onlyCertainMatches","valueBoolean":true}`), []matched{{john, "1", "certain"}}},
			{"no NHS number sent", matchParams(withoutNHS), []matched{{john, "0.99", "probable"}, {other, "0.99", "probable"}}},
		} {
			got := matchAnswer(t, c.do("POST", "/fhir/Patient/$match", tc.body))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s: $match = %v, want %v", tc.name, got, tc.want)
			}
		}
	})
}
