package fhir_test

import (
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestValidateOperation: $validate checks a resource as its create,
// update or delete would be checked, writes nothing, and answers 200
// with an OperationOutcome saying what is wrong or that nothing is.
func TestValidateOperation(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pid := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990001014"}],"name":[{"family":"Valid","given":["Ann"]}],"gender":"female","birthDate":"1970-05-01"}`)
		obs := `{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"Patient/` + pid + `"}}`
		observed := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Observed","given":["Oz"]}],"birthDate":"1971-05-01"}`)
		create(t, c, "Observation", strings.Replace(obs, pid, observed, 1))
		for _, tc := range []struct {
			name, path, body string
			want             []string // in the answer, in order
		}{
			{"a valid Observation", "/fhir/Observation/$validate", obs, []string{`"severity":"information"`}},
			{"an element R4 does not know", "/fhir/Observation/$validate", `{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"colour":"red"}`, []string{`"severity":"error"`, `Observation.colour`}},
			{"a required element missing", "/fhir/Observation/$validate", `{"resourceType":"Observation","code":{"text":"pulse"}}`, []string{`"severity":"error"`, `Observation.status`}},
			{"not JSON", "/fhir/Observation/$validate", `{"resourceType":`, []string{`"severity":"error"`}},
			{"another type", "/fhir/Condition/$validate", obs, []string{`"severity":"error"`, `resourceType`}},
			{"as a Parameters", "/fhir/Observation/$validate", `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":` + obs + `}]}`, []string{`"severity":"information"`}},
			{"a Parameters holding a bad one", "/fhir/Observation/$validate", `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":{"resourceType":"Observation","status":"done","code":{"text":"pulse"}}}]}`, []string{`"severity":"error"`, `resource.status`}},
			{"a profile not held", "/fhir/Observation/$validate?profile=http://example.org/StructureDefinition/x", obs, []string{`"severity":"warning"`, `http://example.org/StructureDefinition/x`, `"severity":"information"`}},
			{"a valid Patient", "/fhir/Patient/$validate", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990002010"}],"name":[{"family":"New","given":["Bea"]}],"gender":"female","birthDate":"1980-01-01"}`, []string{`"severity":"information"`}},
			{"a Patient the PMI cannot take", "/fhir/Patient/$validate", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990001015"}],"name":[{"family":"New","given":["Bea"]}],"birthDate":"1980-01"}`, []string{`"severity":"error"`, `Patient.`}},
			{"an update naming another id", "/fhir/Patient/" + pid + "/$validate?mode=update", `{"resourceType":"Patient","id":"other","name":[{"family":"Valid","given":["Ann"]}],"birthDate":"1970-05-01"}`, []string{`"severity":"error"`, `Patient.id`}},
			{"deleting a registration made in error", "/fhir/Patient/" + pid + "/$validate?mode=delete", ``, []string{`"severity":"information"`}},
			{"deleting a patient with a clinical record", "/fhir/Patient/" + observed + "/$validate?mode=delete", ``, []string{`"severity":"error"`, `has resources of the clinical record (Observation)`, `merge`}},
		} {
			r := c.do("POST", tc.path, tc.body)
			body := string(r.body)
			if r.status != 200 || !isOutcome(r) {
				t.Errorf("%s: %d %s, want 200 and an OperationOutcome", tc.name, r.status, body)
				continue
			}
			at := 0
			for _, w := range tc.want {
				i := strings.Index(body[at:], w)
				if i < 0 {
					t.Errorf("%s: %s lacks %s (in order)", tc.name, body, w)
					break
				}
				at += i
			}
			if tc.want[0] == `"severity":"information"` && strings.Contains(body, `"severity":"error"`) {
				t.Errorf("%s: %s", tc.name, body)
			}
		}
		// Nothing was written, nor deleted.
		if n := c.do("GET", "/fhir/Observation?_summary=count", "").json(t)["total"]; n != nil && n.(interface{ String() string }).String() != "1" {
			t.Errorf("$validate wrote %v Observations, want the one written before", n)
		}
		if r := c.do("GET", "/fhir/Patient/"+pid, ""); r.status != 200 {
			t.Errorf("$validate mode=delete deleted the patient: %d", r.status)
		}
		for _, path := range []string{"/fhir/Patient/$validate?mode=update", "/fhir/Patient/$validate?mode=delete"} {
			if r := c.do("POST", path, `{"resourceType":"Patient"}`); r.status != 400 || !isOutcome(r) {
				t.Errorf("%s: %d %s, want 400: the request names no resource", path, r.status, r.body)
			}
		}
		if es, _ := c.do("GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990002010", "").json(t)["entry"].([]any); len(es) != 0 {
			t.Errorf("$validate registered the patient")
		}
		if !strings.Contains(string(c.do("GET", "/fhir/metadata", "").body), "Resource-validate") {
			t.Errorf("the CapabilityStatement does not list $validate")
		}
	})
}
