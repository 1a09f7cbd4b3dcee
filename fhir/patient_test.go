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
			return strings.Join(c.searchIDs(t, "/fhir/Patient?"+q), ",")
		}
		for _, tc := range []struct{ q, want string }{
			{"identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", id},
			{"identifier=9990000018", id},
			{"identifier=https://opencrs.org/Id/hospital-number|" + p.MRN, id},
			{"identifier=https://fhir.nhs.uk/Id/nhs-number|9990000026", ""},
			{"family=zoe", id},
			{"family=smith", bob + "," + id}, // Zoë-Smith too: the part of her family name
			{"name=zoe&given=marie", id},
			{"family=smith&gender=female", id},
			{"birthdate=1985-11-20", bob},
			{"family=smith&birthdate=lt1980", id},
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
		// What the PMI cannot take is refused, naming the element, with
		// the kind: not held (not-supported), a value that is
		// none of its kind (value), a code its system has not
		// (code-invalid).
		for _, tc := range []struct{ body, expr, code string }{
			{`{"resourceType":"Patient","name":[{"family":"X","given":["Y"]}],"birthDate":"1990-01-01","link":[{"other":{"reference":"Patient/x"},"type":"replaced-by"}]}`, "Patient.link[0]", "not-supported"},
			{`{"resourceType":"Patient","name":[{"family":"X","given":["Y"]}],"birthDate":"1990"}`, "Patient.birthDate", "not-supported"},
			{`{"resourceType":"Patient","name":[{"family":"X"}],"birthDate":"2999-01-01"}`, "Patient.birthDate", ""},
			{`{"resourceType":"Patient","name":[{"family":"X","given":["Y"]}],"birthDate":"1990-01-01","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000019"}]}`, "Patient.identifier[0].value", "value"},
			{`{"resourceType":"Patient","name":[{"family":"X","given":["Y"]}],"birthDate":"1990-01-01","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018","extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland","code":"99"}]}}]}]}`, "Patient.identifier[0].extension[0].valueCodeableConcept", "code-invalid"},
		} {
			r := c.do("POST", "/fhir/Patient", tc.body)
			if r.status != 422 || !strings.Contains(string(r.body), `"expression":["`+tc.expr+`"]`) || tc.code != "" && !strings.Contains(string(r.body), `"code":"`+tc.code+`"`) {
				t.Errorf("refusal naming %s (%s): %d %s", tc.expr, tc.code, r.status, r.body)
			}
		}
		// A name's suffix, which the PMI does not hold, is kept with the
		// name and served while the PMI's name agrees.
		suffixed := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"use":"official","family":"Moss","given":["Kay"],"suffix":["PhD"]}],"birthDate":"1990-01-01"}`)
		if suffixed.status != 201 || !strings.Contains(string(suffixed.body), `"name":[{"family":"Moss","given":["Kay"],"suffix":["PhD"],"use":"official"}]`) {
			t.Errorf("a name with a suffix: %d %s", suffixed.status, suffixed.body)
		}
		// A merged record links to the one that stays.
		if err := pmi.MergePatients(t.Context(), f.trustA.Actor(crs.RoleAnalyst), id, bob, "duplicate"); err != nil {
			t.Fatal(err)
		}
		// Neither is deleted: a delete is of a registration made in error.
		for _, pid := range []string{id, bob} {
			if r := c.do("DELETE", "/fhir/Patient/"+pid, ""); r.status != 409 || !isOutcome(r) || !strings.Contains(string(r.body), "merge") {
				t.Errorf("delete a patient of a merge: %d %s", r.status, r.body)
			}
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
		// An update of trust A's patient by trust B would register a
		// patient of trust B with an id in use: refused, saying nothing
		// of the record; an id no trust uses registers B's patient.
		if r := f.b.do("PUT", "/fhir/Patient/"+id, upd); r.status != 409 || strings.Contains(string(r.body), "Smith") || strings.Contains(string(r.body), "9990000018") {
			t.Errorf("trust B update of trust A's patient: %d %s", r.status, r.body)
		}
		if r := f.b.do("PUT", "/fhir/Patient/nobody", strings.Replace(upd, id, "nobody", 1)); r.status != 201 || r.header.Get("Location") == "" {
			t.Errorf("trust B update as create: %d %s", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Patient/nobody", ""); r.status != 404 {
			t.Errorf("trust A reads trust B's patient: %d", r.status)
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

// fullPatient carries the constructs of R4's own Patient examples that
// the PMI holds only in part: names of several uses, a primitive's
// extension (_birthDate), deceasedBoolean false, a contact with an
// address, gender, period and a name in parts with its own extension,
// managingOrganization, a narrative, a link to another record of the same
// person and a GP by reference.
const fullPatient = `{"resourceType":"Patient","id":"sample",
 "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Ada Lovelace-Byron</div>"},
 "identifier":[{"use":"usual","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},"system":"urn:oid:1.2.3.4","value":"A-77","period":{"start":"2001-05-06"},"assigner":{"display":"Somewhere Clinic"}}],
 "active":true,
 "name":[{"use":"official","family":"Lovelace","given":["Ada","Augusta"]},{"use":"usual","given":["Ada"]},{"use":"maiden","family":"Byron","given":["Ada","Augusta"],"period":{"end":"1835"}}],
 "telecom":[{"use":"home"},{"system":"phone","value":"020 7946 0999","use":"work","rank":1}],
 "gender":"female","birthDate":"1975-12-10",
 "_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1975-12-10T14:35:45+00:00"}]},
 "deceasedBoolean":false,
 "address":[{"use":"home","type":"both","line":["12 Erewhon Street"],"city":"London","postalCode":"E1 6AN","period":{"start":"1975-12-10"}}],
 "contact":[{"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0131","code":"N"}]}],
   "name":{"family":"de Morgan","_family":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/humanname-own-prefix","valueString":"VV"}]},"given":["Sophia"]},
   "telecom":[{"system":"phone","value":"020 7946 0998"}],
   "address":{"use":"home","line":["1 Other Road"],"city":"London","postalCode":"E1 6AN"},"gender":"female","period":{"start":"2012"}}],
 "generalPractitioner":[{"reference":"Practitioner/gp-1","display":"Dr Somerville"}],
 "managingOrganization":{"reference":"Organization/1"},
 "link":[{"other":{"reference":"Patient/elsewhere-1"},"type":"seealso"}]}`

// TestPatientFullR4 registers and updates a Patient with every construct
// of fullPatient: none is refused, the PMI holds what it can, and the rest
// is kept and served back as sent.
func TestPatientFullR4(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		r := c.do("POST", "/fhir/Patient", fullPatient)
		if r.status != 201 {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		id := r.json(t)["id"].(string)
		p, err := store.NewPatientService(db).FindPatient(t.Context(), f.trustA.Actor(crs.RoleClerk), id)
		if err != nil {
			t.Fatal(err)
		}
		want := crs.Contact{Name: "Sophia de Morgan", Phone: "020 7946 0998"}
		if p.FamilyName != "Lovelace" || p.GivenName != "Ada" || p.OtherNames != "Augusta" || len(p.Contacts) != 1 || p.Contacts[0] != want {
			t.Errorf("the PMI holds %s, %s %s, contacts %+v; want Lovelace, Ada Augusta, %+v", p.FamilyName, p.GivenName, p.OtherNames, p.Contacts, want)
		}
		served := func(body []byte) {
			t.Helper()
			for _, want := range []string{
				`"_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime"`,
				`"period":{"start":"2012"}`, `"gender":"female","name":{"_family":{"extension"`, `"address":{"city":"London","line":["1 Other Road"]`,
				`"managingOrganization":{"reference":"Organization/1"}`,
				`{"other":{"reference":"Patient/elsewhere-1"},"type":"seealso"}`,
				`{"display":"Dr Somerville","reference":"Practitioner/gp-1"}`,
				`{"family":"Byron","given":["Ada","Augusta"],"period":{"end":"1835"},"use":"maiden"}`,
				`"value":"A-77"`, `"deceasedBoolean":false`,
			} {
				if !strings.Contains(string(body), want) {
					t.Errorf("served Patient lacks %s: %s", want, body)
				}
			}
		}
		got := c.do("GET", "/fhir/Patient/"+id, "")
		served(got.body)
		// The record as read, and the sent Patient again, update it.
		if r := c.do("PUT", "/fhir/Patient/"+id, string(got.body), "If-Match", got.header.Get("ETag")); r.status != 200 {
			t.Errorf("update with the record as read: %d %s", r.status, r.body)
		}
		again := strings.Replace(fullPatient, `"id":"sample"`, `"id":"`+id+`"`, 1)
		if r := c.do("PUT", "/fhir/Patient/"+id, again); r.status != 200 {
			t.Errorf("update with the Patient as sent: %d %s", r.status, r.body)
		} else {
			served(r.body)
		}
		// Once the PAS changes the contact, its kept copy is not served.
		pmi := store.NewPatientService(db)
		clerk := f.trustA.Actor(crs.RoleClerk)
		p, _ = pmi.FindPatient(t.Context(), clerk, id)
		p.Contacts[0].Phone = "020 7946 0997"
		if err := pmi.UpdatePatient(t.Context(), clerk, p); err != nil {
			t.Fatal(err)
		}
		if r := c.do("GET", "/fhir/Patient/"+id, ""); strings.Contains(string(r.body), `"period":{"start":"2012"}`) || !strings.Contains(string(r.body), `"telecom":[{"system":"phone","value":"020 7946 0997"}]`) {
			t.Errorf("after the PAS changed the contact: %d %s", r.status, r.body)
		}
		// Once the PAS records a death, deceasedBoolean false is not served.
		p, _ = pmi.FindPatient(t.Context(), clerk, id)
		died := clock.Now().Add(-time.Hour)
		p.DeathTime = &died
		if err := pmi.UpdatePatient(t.Context(), clerk, p); err != nil {
			t.Fatal(err)
		}
		if r := c.do("GET", "/fhir/Patient/"+id, ""); strings.Contains(string(r.body), `"deceasedBoolean"`) || !strings.Contains(string(r.body), `"deceasedDateTime"`) {
			t.Errorf("after the PAS recorded a death: %d %s", r.status, r.body)
		}
		// A link that would merge records is still the PAS's to make.
		merge := strings.Replace(again, `"type":"seealso"`, `"type":"replaced-by"`, 1)
		if r := c.do("PUT", "/fhir/Patient/"+id, merge); r.status != 422 || !strings.Contains(string(r.body), `"expression":["Patient.link[0]"]`) {
			t.Errorf("a replaced-by link: %d %s", r.status, r.body)
		}
	})
}

// TestPatientHeldCopies: what a system sends of an element the PMI holds
// beyond what it keeps (a phone's rank and period, an NHS number's use
// and assigner, an address's town, text and type) comes back as sent,
// the mark of the copy never served; once the PAS changes the element,
// the PMI's own is served and the copy is not.
func TestPatientHeldCopies(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		sent := `{"resourceType":"Patient",
 "identifier":[{"use":"official","system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000034","assigner":{"display":"NHS England"}}],
 "name":[{"use":"official","family":"Heldcopy","given":["Hester"]}],
 "telecom":[{"system":"phone","value":"020 7946 0000","use":"home","rank":2,"period":{"start":"2020-01-01"}},{"system":"email","value":"hester@example.org"}],
 "gender":"female","birthDate":"1961-02-03",
 "address":[{"use":"home","type":"physical","text":"1 High Street, Leeds","line":["1 High Street"],"city":"Leeds","postalCode":"LS1 1AA"}]}`
		r := c.do("POST", "/fhir/Patient", sent)
		if r.status != 201 {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		id := r.json(t)["id"].(string)
		body := string(c.do("GET", "/fhir/Patient/"+id, "").body)
		for _, want := range []string{
			`{"period":{"start":"2020-01-01"},"rank":2,"system":"phone","use":"home","value":"020 7946 0000"}`,
			`"assigner":{"display":"NHS England"}`, `"use":"official","value":"9990000034"`,
			`"city":"Leeds"`, `"text":"1 High Street, Leeds"`, `"type":"physical"`, `"line":["1 High Street"]`,
			`"value":"hester@example.org"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("served Patient lacks %s: %s", want, body)
			}
		}
		if strings.Contains(body, "held-copy") || strings.Count(body, "020 7946 0000") != 1 || strings.Count(body, "9990000034") != 1 || strings.Count(body, "Leeds") != 2 {
			t.Errorf("served Patient repeats a held element or shows the copy's mark: %s", body)
		}
		// The PAS changes the phone: its number is served, not the copy.
		pmi := store.NewPatientService(db)
		clerk := f.trustA.Actor(crs.RoleClerk)
		p, err := pmi.FindPatient(t.Context(), clerk, id)
		if err != nil {
			t.Fatal(err)
		}
		p.Phone = "020 7946 0001"
		if err := pmi.UpdatePatient(t.Context(), clerk, p); err != nil {
			t.Fatal(err)
		}
		body = string(c.do("GET", "/fhir/Patient/"+id, "").body)
		if strings.Contains(body, `"rank":2`) || strings.Contains(body, "020 7946 0000") || !strings.Contains(body, `{"system":"phone","use":"home","value":"020 7946 0001"}`) || !strings.Contains(body, `"city":"Leeds"`) {
			t.Errorf("after the PAS changed the phone: %s", body)
		}
	})
}
