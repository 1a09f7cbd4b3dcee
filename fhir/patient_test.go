package fhir_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

const ukPatient = `{"resourceType":"Patient",
 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018","extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
   "valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland","code":"01"}]}}]}],
 "extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland","code":"A"}]}}],
 "name":[{"use":"official","family":"Zoë","given":["Ann","Marie"],"prefix":["Mrs"]}],
 "telecom":[{"system":"phone","use":"home","value":"020 7946 0000"},{"system":"phone","use":"mobile","value":"07700 900000"}],
 "gender":"female","birthDate":"1970-05-01",
 "address":[{"use":"home","line":["1 High Street","London"],"postalCode":"e16an"}],
 "contact":[{"relationship":[{"text":"Husband"}],"name":{"text":"Bob Zoë"},"telecom":[{"system":"phone","value":"07700 900001"}]}],
 "generalPractitioner":[{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"Y01234"},"display":"High Street Surgery"}],
 "maritalStatus":{"text":"Married"}}`

// TestPatientFromPMI drives Patient as the patient index serves it:
// registration, read, update with If-Match, search, history, refusals
// and tenancy.
func TestPatientFromPMI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		r := c.do("POST", "/fhir/Patient", ukPatient)
		if r.status != 201 {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		pat := r.json(t)
		id := pat["id"].(string)
		// The registration is in the PMI, with its hospital number, and
		// found by the PAS's search.
		pmi := store.NewPatientService(db)
		actor := f.trustA.Actor(crs.RoleClerk)
		found, err := pmi.SearchPatients(t.Context(), actor, crs.PatientQuery{Text: "zoe ann"})
		if err != nil || len(found.Matches) != 1 || found.Matches[0].Patient.ID != id {
			t.Fatalf("PMI search for the registered patient: %v %+v", err, found)
		}
		p, err := pmi.FindPatient(t.Context(), actor, id)
		if err != nil || p.NHSNumberStatus != "01" || p.EthnicCategory != "A" || p.Address.Postcode != "E1 6AN" || p.GPPracticeCode != "Y01234" ||
			p.OtherNames != "Marie" || p.Mobile != "07700 900000" || len(p.Contacts) != 1 || p.Contacts[0].Relationship != "Husband" {
			t.Errorf("the PMI holds %+v (%v)", p, err)
		}
		// Read: meta from the record's version; what the PMI does not
		// hold is kept and served.
		got := c.do("GET", "/fhir/Patient/"+id, "")
		body := string(got.body)
		for _, want := range []string{`"versionId":"1"`, `UKCore-Patient"`, `"maritalStatus":{"text":"Married"}`, `"value":"` + p.MRN, `"code":"01"`, `"postalCode":"E1 6AN"`, `"reference":"Organization/gp-Y01234"`} {
			if !strings.Contains(body, want) {
				t.Errorf("read lacks %s: %s", want, body)
			}
		}
		if got.status != 200 || got.header.Get("ETag") != `W/"1"` {
			t.Errorf("read: %d %s", got.status, got.header.Get("ETag"))
		}
		// Update through the PMI with If-Match; a stale version is 412.
		upd := strings.Replace(strings.Replace(ukPatient, `"Zoë"`, `"Zoë-Smith"`, 1), `{"resourceType":"Patient",`, `{"resourceType":"Patient","id":"`+id+`",`, 1)
		if r := c.do("PUT", "/fhir/Patient/"+id, upd, "If-Match", `W/"1"`); r.status != 200 || r.header.Get("ETag") != `W/"2"` {
			t.Errorf("update: %d %s %s", r.status, r.header.Get("ETag"), r.body)
		}
		if r := c.do("PUT", "/fhir/Patient/"+id, upd, "If-Match", `W/"1"`); r.status != 412 || !isOutcome(r) {
			t.Errorf("stale If-Match: %d %s", r.status, r.body)
		}
		if p, _ := pmi.FindPatient(t.Context(), actor, id); p.FamilyName != "Zoë-Smith" || p.Version != 2 {
			t.Errorf("after update the PMI holds %s version %d", p.FamilyName, p.Version)
		}
		h := c.do("GET", "/fhir/Patient/"+id+"/_history", "").json(t)
		if es := h["entry"].([]any); len(es) != 2 {
			t.Errorf("history: %d versions, want 2", len(es))
		}
		if r := c.do("GET", "/fhir/Patient/"+id+"/_history/1", ""); r.status != 200 || !strings.Contains(string(r.body), `"family":"Zoë"`) {
			t.Errorf("vread 1: %d %s", r.status, r.body)
		}
		// A second patient, then searches through the PMI.
		other := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"family":"Smith","given":["Bob"]}],"gender":"male","birthDate":"1985-11-20","address":[{"postalCode":"SW1A 1AA"}]}`)
		if other.status != 201 {
			t.Fatalf("register another: %d %s", other.status, other.body)
		}
		bob := other.json(t)["id"].(string)
		ids := func(q string) string {
			t.Helper()
			r := c.do("GET", "/fhir/Patient?"+q, "")
			if r.status != 200 {
				t.Fatalf("%s: %d %s", q, r.status, r.body)
			}
			var out []string
			es, _ := r.json(t)["entry"].([]any)
			for _, e := range es {
				out = append(out, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
			}
			return strings.Join(out, ",")
		}
		for _, tc := range []struct{ q, want string }{
			{"identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", id},
			{"identifier=9990000018", id},
			{"identifier=https://opencrs.org/Id/hospital-number|" + p.MRN, id},
			{"identifier=https://fhir.nhs.uk/Id/nhs-number|9990000026", ""},
			{"family=zoe", id},
			{"family=smith", bob},
			{"name=zoe&given=marie", id},
			{"family=smith&gender=female", ""},
			{"birthdate=1985-11-20", bob},
			{"family=smith&birthdate=lt1980", ""},
			{"family=smith&address-postalcode=SW1A", bob},
			{"_id=" + bob, bob},
		} {
			if got := ids(tc.q); got != tc.want {
				t.Errorf("Patient?%s = [%s], want [%s]", tc.q, got, tc.want)
			}
		}
		// Gender alone scans the index: Bob, the one male patient.
		if got := ids("gender=male"); got != bob {
			t.Errorf("Patient?gender=male = [%s], want [%s]", got, bob)
		}
		// What the PMI cannot take is refused, naming the element.
		for _, tc := range []struct{ body, expr string }{
			{`{"resourceType":"Patient","name":[{"family":"X","given":["Y"]}],"birthDate":"1990-01-01","contact":[{"name":{"text":"Z"},"address":{"line":["1 Road"]}}]}`, "Patient.contact[0].address"},
			{`{"resourceType":"Patient","name":[{"family":"X","given":["Y"]}],"birthDate":"1990"}`, "Patient.birthDate"},
			{`{"resourceType":"Patient","name":[{"family":"X"}],"birthDate":"1990-01-01"}`, "Patient.name[0].given"},
			{`{"resourceType":"Patient","name":[{"family":"X","given":["Y"]}],"birthDate":"1990-01-01","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000019"}]}`, "Patient.identifier[0].value"},
		} {
			r := c.do("POST", "/fhir/Patient", tc.body)
			if r.status != 422 || !strings.Contains(string(r.body), `"expression":["`+tc.expr+`"]`) {
				t.Errorf("refusal naming %s: %d %s", tc.expr, r.status, r.body)
			}
		}
		// A name's suffix, which the PMI does not hold, is kept with the
		// name and served while the PMI's name agrees.
		suffixed := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"use":"official","family":"Moss","given":["Kay"],"suffix":["PhD"]}],"birthDate":"1990-01-01"}`)
		if suffixed.status != 201 || !strings.Contains(string(suffixed.body), `"name":[{"family":"Moss","given":["Kay"],"suffix":["PhD"],"use":"official"}]`) {
			t.Errorf("a name with a suffix: %d %s", suffixed.status, suffixed.body)
		}
		if r := c.do("DELETE", "/fhir/Patient/"+id, ""); r.status != 405 || !isOutcome(r) {
			t.Errorf("delete a patient: %d %s", r.status, r.body)
		}
		// A merged record links to the one that stays.
		if err := pmi.MergePatients(t.Context(), f.trustA.Actor(crs.RoleAnalyst), id, bob, "duplicate"); err != nil {
			t.Fatal(err)
		}
		if r := c.do("GET", "/fhir/Patient/"+bob, ""); !strings.Contains(string(r.body), `"link":[{"other":{"reference":"Patient/`+id+`"},"type":"replaced-by"}]`) || !strings.Contains(string(r.body), `"active":false`) {
			t.Errorf("merged patient: %s", r.body)
		}
		major := c.do("GET", "/fhir/Patient/"+id, "")
		if !strings.Contains(string(major.body), `"link":[{"other":{"reference":"Patient/`+bob+`"},"type":"replaces"}]`) || !strings.Contains(string(major.body), `"active":true`) {
			t.Errorf("the record that stays: %s", major.body)
		}
		// What is read can be written back unchanged.
		if r := c.do("PUT", "/fhir/Patient/"+id, string(major.body), "If-Match", major.header.Get("ETag")); r.status != 200 {
			t.Errorf("update with the record as read: %d %s", r.status, r.body)
		}
		// Tenancy: trust B reaches nothing of trust A's patients.
		if r := f.b.do("GET", "/fhir/Patient/"+id, ""); r.status != 404 {
			t.Errorf("trust B read trust A's patient: %d", r.status)
		}
		if got := f.b.do("GET", "/fhir/Patient?identifier=9990000018", "").json(t)["total"]; fmt.Sprint(got) != "0" {
			t.Errorf("trust B finds %v of trust A's patients", got)
		}
		if r := f.b.do("PUT", "/fhir/Patient/"+id, upd); r.status != 404 {
			t.Errorf("trust B update of trust A's patient: %d %s", r.status, r.body)
		}
	})
}

// TestPatientConditionalCreateConcurrent registers one patient many
// times at once with If-None-Exist on the NHS number: one registration.
func TestPatientConditionalCreateConcurrent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		body := `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000034"}],"name":[{"family":"Cole","given":["Ada"]}],"birthDate":"1960-02-03"}`
		postConcurrently(t, f, body, "identifier=https://fhir.nhs.uk/Id/nhs-number|9990000034")
	})
}
