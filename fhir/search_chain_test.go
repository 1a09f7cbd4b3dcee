package fhir_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSearchChaining: chained and reverse-chained parameters,
// _include and _revinclude with :iterate, and _elements.
func TestSearchChaining(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		mk := func(typ, body string) string { t.Helper(); return create(t, c, typ, body) }
		org := mk("Organization", `{"resourceType":"Organization","name":"St Elsewhere Hospital"}`)
		p1 := mk("Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Zoë"}],"birthDate":"1970-05-01","managingOrganization":{"reference":"Organization/`+org+`"}}`)
		p2 := mk("Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"name":[{"family":"Smith"}],"birthDate":"1985-11-20"}`)
		o1 := mk("Observation", fmt.Sprintf(observation, p1, "2024-03-01T10:00:00Z", "72"))
		o2 := mk("Observation", fmt.Sprintf(observation, p2, "2024-03-02T10:00:00Z", "60"))
		loc := mk("Location", `{"resourceType":"Location","name":"Smith Ward"}`)
		o3 := mk("Observation", `{"resourceType":"Observation","status":"final","code":{"text":"room temperature"},"subject":{"reference":"Location/`+loc+`"}}`)

		ids := func(q string) string {
			t.Helper()
			out := c.searchIDs(t, "/fhir/"+q)
			sort.Strings(out)
			return strings.Join(out, ",")
		}
		j := func(s ...string) string { sort.Strings(s); return strings.Join(s, ",") }
		tests := []struct{ q, want string }{
			{"Observation?subject:Patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", o1},
			{"Observation?subject:Patient.identifier=9990000099", ""},
			{"Observation?subject.name=smith", j(o2, o3)},
			{"Observation?subject:Patient.name=smith", o2},
			{"Observation?patient.birthdate=1970", o1},
			{"Observation?subject:Patient.organization.name=st%20else", o1},
			{"Observation?subject:Patient.organization:Organization._id=" + org, o1},
			{"Patient?_has:Observation:patient:code=8867-4", j(p1, p2)},
			{"Patient?_has:Observation:patient:value-quantity=gt70", p1},
			{"Patient?_has:Observation:subject:value-quantity=gt100", ""},
			{"Organization?_has:Patient:organization:_has:Observation:patient:code=8867-4", org},
			{"Observation?_id=" + o1 + "&_include=Observation:subject&_include:iterate=Patient:organization", j(o1, p1, org)},
			{"Observation?_id=" + o1 + "&_include=Observation:subject&_include=Patient:organization", ""},
			{"Organization?_id=" + org + "&_revinclude=Patient:organization&_revinclude:iterate=Observation:subject", j(org, p1, o1)},
			{"Organization?_id=" + org + "&_revinclude=Patient:organization&_revinclude=Observation:subject", j(org, p1)},
		}
		for _, tc := range tests {
			if tc.want == "" && strings.Contains(tc.q, "_include=Patient") {
				// _include of another type without :iterate is refused.
				if r := c.do("GET", "/fhir/"+tc.q, ""); r.status != 400 || !isOutcome(r) {
					t.Errorf("%s: %d, want 400", tc.q, r.status)
				}
				continue
			}
			if got := ids(tc.q); got != tc.want {
				t.Errorf("%s = [%s], want [%s]", tc.q, got, tc.want)
			}
		}
		// _elements cuts the matches (to those asked and those every
		// Observation has, as its code) and marks them SUBSETTED.
		r := c.do("GET", "/fhir/Observation?_id="+o1+"&_elements=status,value", "")
		body := string(r.body)
		if r.status != 200 || !strings.Contains(body, `"valueQuantity"`) || !strings.Contains(body, `"status"`) || !strings.Contains(body, `"code":{`) || strings.Contains(body, `"subject"`) || !strings.Contains(body, "SUBSETTED") {
			t.Errorf("_elements: %d %s", r.status, body)
		}
		for _, bad := range []string{
			"Observation?subject.colour=red",
			"Observation?subject:Nope.name=x",
			"Observation?code.name=x",
			"Patient?_has:Nope:patient:code=x",
			"Patient?_has:Observation:code:code=x",
			"Patient?_has:Observation:patient=x",
			"Observation?subject._count=3",
			"Observation?_elements=colour",
		} {
			if r := c.do("GET", "/fhir/"+bad, ""); r.status != 400 || !isOutcome(r) {
				t.Errorf("%s: %d %s, want 400 OperationOutcome", bad, r.status, r.body)
			}
		}
		// A type the parameter cannot refer to is refused, naming those
		// it can: a chain through it would search that type for nothing.
		for _, bad := range []string{
			"Observation?subject:Encounter=x",
			"Observation?subject:Encounter.status=finished",
			"OrganizationAffiliation?network:Encounter._lastUpdated=sa2000",
		} {
			if r := c.do("GET", "/fhir/"+bad, ""); r.status != 400 || !strings.Contains(string(r.body), "not Encounter") {
				t.Errorf("%s: %d %.300s, want 400 saying what the parameter refers to", bad, r.status, r.body)
			}
		}
		if got := ids("Observation?subject:Location=" + loc); got != o3 {
			t.Errorf("subject:Location = [%s], want [%s]", got, o3)
		}
	})
}

// TestSearchChainContained: a chain is evaluated inside the resources
// contained in the one searched (R4 search.html#contained), through the
// reference that names them (#id), as it is through a reference to a
// resource stored.
func TestSearchChainContained(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		mk := func(typ, body string) string { t.Helper(); return create(t, c, typ, body) }
		ingredient := func(code string) string {
			return `"ingredient":[{"itemCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"` + code + `"}]}}]`
		}
		maker := mk("Organization", `{"resourceType":"Organization","name":"Generic Pharma"}`)
		med := mk("Medication", `{"resourceType":"Medication",`+ingredient("387517004")+`}`)
		stored := mk("MedicationRequest", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/p1"},"medicationReference":{"reference":"Medication/`+med+`"}}`)
		inside := mk("MedicationRequest", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/p1"},
			"contained":[{"resourceType":"Medication","id":"m1","code":{"text":"Ibuprofen 200mg tablets"},"manufacturer":{"reference":"Organization/`+maker+`"},`+ingredient("387207008")+`}],
			"medicationReference":{"reference":"#m1"}}`)
		// A contained resource the medication does not name is not the
		// medication's.
		aside := mk("MedicationRequest", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/p1"},
			"contained":[{"resourceType":"Medication","id":"m1",`+ingredient("372687004")+`},{"resourceType":"Provenance","id":"pv","target":[{"reference":"#m1"}],"recorded":"2024-01-01T00:00:00Z","agent":[{"who":{"display":"x"}}]}],
			"medicationCodeableConcept":{"text":"Amoxicillin"}}`)

		// One a patient's relative gives is not among that patient's
		// records (the compartment, $everything): its contained
		// resources' references are not its own.
		p1 := mk("Patient", `{"resourceType":"Patient","name":[{"family":"Ashworth"}]}`)
		p2 := mk("Patient", `{"resourceType":"Patient","name":[{"family":"Ashworth"}]}`)
		given := mk("MedicationRequest", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/`+p2+`"},
			"contained":[{"resourceType":"RelatedPerson","id":"r1","patient":{"reference":"Patient/`+p1+`"},"name":[{"family":"Ashworth"}]}],
			"medicationCodeableConcept":{"text":"Sertraline"},"performer":{"reference":"#r1"}}`)

		// Nor is a patient a contained one links to the subject of a
		// reverse chain through the reference to the contained one.
		mk("Observation", `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"https://trust.example/obs","code":"held"}]},
			"contained":[{"resourceType":"Patient","id":"pp","link":[{"other":{"reference":"Patient/`+p1+`"},"type":"seealso"}]}],"subject":{"reference":"#pp"}}`)

		ids := func(q string) string {
			t.Helper()
			out := c.searchIDs(t, "/fhir/"+q)
			sort.Strings(out)
			return strings.Join(out, ",")
		}
		j := func(s ...string) string { sort.Strings(s); return strings.Join(s, ",") }
		for _, tc := range []struct{ q, want string }{
			{"Patient?_has:Observation:subject:code=https://trust.example/obs|held", ""},
			{"Patient/" + p1 + "/MedicationRequest", ""},
			{"Patient/" + p1 + "/$everything?_type=MedicationRequest", ""},
			{"Patient/" + p2 + "/MedicationRequest", given},
			{"MedicationRequest?intended-performer:RelatedPerson.patient=Patient/" + p1, given},
			{"MedicationRequest?medication.ingredient-code=387207008", inside},
			{"MedicationRequest?medication:Medication.ingredient-code=http://snomed.info/sct|387207008", inside},
			{"MedicationRequest?medication.ingredient-code=387517004", stored},
			{"MedicationRequest?medication.ingredient-code=387207008,387517004", j(inside, stored)},
			{"MedicationRequest?medication.code:text=ibuprofen", inside},
			{"MedicationRequest?medication.manufacturer=Organization/" + maker, inside},
			{"MedicationRequest?medication.ingredient-code=372687004", ""},
			{"MedicationRequest?code:text=amoxicillin", aside},
			{"MedicationRequest?medication.ingredient-code=999999", ""},
			{"Organization?_id=" + maker + "&_revinclude=MedicationRequest:medication", maker},
		} {
			if got := ids(tc.q); got != tc.want {
				t.Errorf("%s = [%s], want [%s]", tc.q, got, tc.want)
			}
		}
	})
}
