package fhir_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestCompositionDocument: Composition/$document answers the
// Composition as an R4 document: a Bundle of type document, the
// Composition first, then every resource it refers to and those refer
// to in turn, each once, with a full URL; an identifier made from the
// versions held (the same for the same versions, another once one
// changes) and the time it was assembled. A Composition it refers to
// and another server's resource are named, not included. It is made
// whole or not at all: a reference to a resource not held, or deleted,
// or of a type the token may not read is refused naming it. The type
// level takes id; persist=true (POST) stores it as a Bundle; another
// trust's Composition is not found; bad parameters are refused naming
// them.
func TestCompositionDocument(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		pat := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Docu","given":["Ann"]}]}`)
		doc := create(t, c, "Practitioner", `{"resourceType":"Practitioner","name":[{"family":"Author","given":["Jo"]}]}`)
		org := create(t, c, "Organization", `{"resourceType":"Organization","name":"Rivermead Hospital"}`)
		enc := create(t, c, "Encounter", fmt.Sprintf(`{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/%s"},"serviceProvider":{"reference":"Organization/%s"}}`, pat, org))
		obs := func(text string) string {
			return create(t, c, "Observation", fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"text":%q},"subject":{"reference":"Patient/%s"},"encounter":{"reference":"Encounter/%s"},"performer":[{"reference":"Practitioner/%s"}],"valueQuantity":{"value":72}}`, text, pat, enc, doc))
		}
		pulse, sodium := obs("Pulse"), obs("Sodium")
		report := create(t, c, "DiagnosticReport", fmt.Sprintf(`{"resourceType":"DiagnosticReport","status":"final","code":{"text":"U&E"},"subject":{"reference":"Patient/%s"},"result":[{"reference":"Observation/%s"}]}`, pat, sodium))
		earlier := create(t, c, "Composition", composition(pat, doc, "", nil, ""))
		comp := create(t, c, "Composition", composition(pat, doc, org, []string{"DiagnosticReport/" + report, "Observation/" + pulse, f.base + "/fhir/Observation/" + pulse},
			fmt.Sprintf(`,"encounter":{"reference":"Encounter/%s"},"relatesTo":[{"code":"replaces","targetReference":{"reference":"Composition/%s"}}],"attester":[{"mode":"legal","party":{"reference":"https://other.example.org/fhir/Practitioner/elsewhere"}}]`, enc, earlier)))

		get := func(t *testing.T, path string) map[string]any {
			t.Helper()
			r := c.do("GET", path, "")
			if r.status != 200 {
				t.Fatalf("GET %s: %d %s", path, r.status, r.body)
			}
			return r.json(t)
		}
		b := get(t, "/fhir/Composition/"+comp+"/$document")
		if b["resourceType"] != "Bundle" || b["type"] != "document" || b["timestamp"] != clock.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00") {
			t.Errorf("document: %v %v %v", b["resourceType"], b["type"], b["timestamp"])
		}
		ident, _ := b["identifier"].(map[string]any)
		if ident["system"] != "urn:ietf:rfc:3986" || !strings.HasPrefix(fmt.Sprint(ident["value"]), "urn:uuid:") {
			t.Errorf("identifier %v", ident)
		}
		want := []string{"Composition/" + comp, "DiagnosticReport/" + report, "Encounter/" + enc, "Observation/" + pulse, "Observation/" + sodium,
			"Organization/" + org, "Patient/" + pat, "Practitioner/" + doc}
		got := documentEntries(t, f.base, b)
		if got[0] != "Composition/"+comp {
			t.Errorf("first entry %s, want the Composition", got[0])
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("entries %v\nwant %v", got, want)
		}

		// The same versions give the same identifier, at the type level
		// by id as by the instance; a version changed gives another.
		for _, id := range []string{comp, "Composition/" + comp, f.base + "/fhir/Composition/" + comp} {
			again := get(t, "/fhir/Composition/$document?id="+url.QueryEscape(id))
			if fmt.Sprint(again["identifier"]) != fmt.Sprint(b["identifier"]) {
				t.Errorf("id=%s: identifier %v, want %v", id, again["identifier"], b["identifier"])
			}
		}
		clock.Advance(time.Minute)
		if r := c.do("PUT", "/fhir/Practitioner/"+doc, fmt.Sprintf(`{"resourceType":"Practitioner","id":%q,"name":[{"family":"Author","given":["Joanna"]}]}`, doc)); r.status != 200 {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		if changed := get(t, "/fhir/Composition/"+comp+"/$document"); fmt.Sprint(changed["identifier"]) == fmt.Sprint(b["identifier"]) {
			t.Errorf("a resource changed, the identifier did not: %v", changed["identifier"])
		}

		// persist=true stores the document (a POST), answering where.
		r := c.do("POST", "/fhir/Composition/"+comp+"/$document?persist=true", "")
		if r.status != 201 || !strings.HasPrefix(r.header.Get("Location"), f.base+"/fhir/Bundle/") {
			t.Fatalf("persist: %d %s %s", r.status, r.header.Get("Location"), r.body)
		}
		stored := get(t, strings.TrimPrefix(r.header.Get("Location"), f.base))
		// Asked again, the same document is not stored twice.
		again := c.do("POST", "/fhir/Composition/"+comp+"/$document?persist=true", "")
		if again.status != 200 || again.header.Get("Location") != r.header.Get("Location") {
			t.Errorf("persist again: %d %s, want 200 and %s", again.status, again.header.Get("Location"), r.header.Get("Location"))
		}
		if ids := c.searchIDs(t, "/fhir/Bundle?type=document"); len(ids) != 1 {
			t.Errorf("documents stored: %v, want one", ids)
		}
		if stored["type"] != "document" || len(documentEntries(t, f.base, stored)) != len(want) {
			t.Errorf("stored document: %v, %d entries", stored["type"], len(documentEntries(t, f.base, stored)))
		}
		if r := c.do("POST", "/fhir/Composition/$document", fmt.Sprintf(`{"resourceType":"Parameters","parameter":[{"name":"id","valueUri":"Composition/%s"}]}`, comp), "Content-Type", fhir.ContentType); r.status != 200 {
			t.Errorf("POST with Parameters: %d %s", r.status, r.body)
		}

		// An entry of a batch.
		batch := c.do("POST", "/fhir", fmt.Sprintf(`{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Composition/%s/$document"}}]}`, comp))
		if entries, _ := batch.json(t)["entry"].([]any); batch.status != 200 || len(entries) != 1 ||
			entries[0].(map[string]any)["resource"].(map[string]any)["type"] != "document" {
			t.Errorf("$document in a batch: %d %.300s", batch.status, batch.body)
		}

		refused := func(t *testing.T, method, path string, status int, says ...string) {
			t.Helper()
			r := c.do(method, path, "")
			if r.status != status || !isOutcome(r) {
				t.Fatalf("%s %s: %d %s, want %d OperationOutcome", method, path, r.status, r.body, status)
			}
			for _, s := range says {
				if !strings.Contains(string(r.body), s) {
					t.Errorf("%s %s: %s does not say %q", method, path, r.body, s)
				}
			}
		}
		refused(t, "GET", "/fhir/Composition/"+comp+"/$document?persist=true", 400, "POST")
		refused(t, "GET", "/fhir/Composition/"+comp+"/$document?identifier=x", 400, "identifier")
		refused(t, "GET", "/fhir/Composition/"+comp+"/$document?graph=GraphDefinition/g", 400, "graph")
		refused(t, "GET", "/fhir/Composition/$document", 400, `"expression":["id"]`)
		refused(t, "GET", "/fhir/Composition/$document?id=https://other.example.org/fhir/Composition/"+comp, 400, "names no Composition")
		refused(t, "GET", "/fhir/Composition/no-such/$document", 404)
		if r := f.b.do("GET", "/fhir/Composition/"+comp+"/$document", ""); r.status != 404 {
			t.Errorf("another trust's Composition: %d %s", r.status, r.body)
		}

		// Whole or not at all.
		missing := create(t, c, "Composition", composition(pat, doc, "", []string{"Observation/not-held"}, ""))
		refused(t, "GET", "/fhir/Composition/"+missing+"/$document", 422, "Observation/not-held", "does not hold")
		gone := obs("Temperature")
		withGone := create(t, c, "Composition", composition(pat, doc, "", []string{"Observation/" + gone}, ""))
		if r := c.do("DELETE", "/fhir/Observation/"+gone, ""); r.status != 200 && r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		refused(t, "GET", "/fhir/Composition/"+withGone+"/$document", 422, "Observation/"+gone, "deleted")
		erroneous := create(t, c, "Composition", strings.Replace(composition(pat, doc, "", nil, ""), `"status":"final"`, `"status":"entered-in-error"`, 1))
		refused(t, "GET", "/fhir/Composition/"+erroneous+"/$document", 422, "entered in error")

		auth := f.server.Auth.(bearerAuth)
		scopes, _ := fhir.ParseScopes("system/Composition.read system/Patient.read system/Observation.read system/DiagnosticReport.read system/Encounter.read system/Organization.read")
		auth["no-practitioners"] = &fhir.Principal{Actor: f.trustA.Actor(crs.RoleInterface), Scopes: scopes}
		narrow := &client{t, f.base, "no-practitioners"}
		if r := narrow.do("GET", "/fhir/Composition/"+comp+"/$document", ""); r.status != 403 || !strings.Contains(string(r.body), "Practitioner/"+doc) {
			t.Errorf("a type the token may not read: %d %s, want 403 naming Practitioner/%s", r.status, r.body, doc)
		}
		if r := (&client{t, f.base, "a-patient-read"}).do("GET", "/fhir/Composition/"+comp+"/$document", ""); r.status != 403 {
			t.Errorf("a token that may not read Compositions: %d %s", r.status, r.body)
		}
		if r := narrow.do("POST", "/fhir/Composition/"+comp+"/$document?persist=true", ""); r.status != 403 {
			t.Errorf("persist without a write scope: %d %s", r.status, r.body)
		}
	})
}

// composition is a Composition of a patient by a practitioner, with a
// custodian (when org is not ""), a section of the entries given and a
// nested section repeating the first, and more members (a JSON tail).
func composition(patient, author, org string, entries []string, more string) string {
	var refs []string
	for _, e := range entries {
		refs = append(refs, fmt.Sprintf(`{"reference":%q}`, e))
	}
	section := ""
	if len(refs) > 0 {
		section = fmt.Sprintf(`,"section":[{"title":"Results","entry":[%s],"section":[{"title":"Again","entry":[%s]}]}]`, strings.Join(refs, ","), refs[0])
	}
	custodian := ""
	if org != "" {
		custodian = fmt.Sprintf(`,"custodian":{"reference":"Organization/%s"}`, org)
	}
	return fmt.Sprintf(`{"resourceType":"Composition","status":"final","type":{"coding":[{"system":"http://snomed.info/sct","code":"373942005","display":"Discharge summary"}]},
 "subject":{"reference":"Patient/%s"},"date":"2026-03-01T10:00:00Z","author":[{"reference":"Practitioner/%s"}],"title":"Discharge summary"%s%s%s}`, patient, author, custodian, section, more)
}

// documentEntries are the Type/id of a document's entries, in order,
// each checked to have its full URL under base.
func documentEntries(t *testing.T, base string, b map[string]any) []string {
	t.Helper()
	var out []string
	for _, e := range b["entry"].([]any) {
		e := e.(map[string]any)
		res := e["resource"].(map[string]any)
		ref := fmt.Sprintf("%s/%s", res["resourceType"], res["id"])
		if e["fullUrl"] != base+"/fhir/"+ref {
			t.Errorf("entry %s: fullUrl %v", ref, e["fullUrl"])
		}
		out = append(out, ref)
	}
	return out
}
