package fhir_test

import (
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestValidateSent: a resource sent to be written is refused with an
// OperationOutcome naming the element when a primitive is not in its
// type's format or an element its type requires is missing; resources
// made right are written.
func TestValidateSent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		const subject = `"subject":{"reference":"Patient/p1"}`
		for _, tc := range []struct {
			name, typ, body, expr string
		}{
			{"date not a date", "Condition", `{"resourceType":"Condition",` + subject + `,"recordedDate":"yesterday"}`, "Condition.recordedDate"},
			{"month 13", "Condition", `{"resourceType":"Condition",` + subject + `,"onsetDateTime":"2020-13-45"}`, "Condition.onsetDateTime"},
			{"time without seconds", "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectiveDateTime":"2020-01-01T10:00Z"}`, "Observation.effectiveDateTime"},
			{"instant without time", "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"issued":"2020-01-01"}`, "Observation.issued"},
			{"code with spaces around", "Observation", `{"resourceType":"Observation","status":" final","code":{"text":"x"}}`, "Observation.status"},
			{"uri with a space", "Observation", `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc .org","code":"1"}]}}`, "Observation.code.coding[0].system"},
			{"positiveInt 0", "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueSampledData":{"origin":{"value":0},"period":1,"dimensions":0,"data":"1"}}`, "Observation.valueSampledData.dimensions"},
			{"status not a code of its value set", "Observation", `{"resourceType":"Observation","status":"done","code":{"text":"x"}}`, "Observation.status"},
			{"a code in a data type", "Condition", `{"resourceType":"Condition",` + subject + `,"identifier":[{"use":"primary","value":"1"}]}`, "Condition.identifier[0].use"},
			{"required subject", "Condition", `{"resourceType":"Condition","code":{"text":"x"}}`, "Condition.subject"},
			{"required status", "Observation", `{"resourceType":"Observation","code":{"text":"x"}}`, "Observation.status"},
			{"required in a backbone", "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"component":[{"valueString":"x"}]}`, "Observation.component[0].code"},
			{"required extension url", "Condition", `{"resourceType":"Condition",` + subject + `,"extension":[{"valueString":"x"}]}`, "Condition.extension[0].url"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, path := range []string{"/fhir/" + tc.typ, "/fhir"} {
					body := tc.body
					if path == "/fhir" {
						body = `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + tc.body + `,"request":{"method":"POST","url":"` + tc.typ + `"}}]}`
					}
					r := c.do("POST", path, body)
					expr := tc.expr // in a Bundle, Bundle.entry[0].resource.subject
					if path == "/fhir" {
						expr = "Bundle.entry[0].resource" + strings.TrimPrefix(expr, tc.typ)
					}
					if r.status != 400 || !isOutcome(r) || !strings.Contains(string(r.body), expr) {
						t.Errorf("POST %s: %d %s, want 400 naming %s", path, r.status, r.body, expr)
					}
				}
			})
		}
		for _, body := range []string{
			`{"resourceType":"Condition",` + subject + `,"recordedDate":"2020-02","onsetDateTime":"2020-01-01T10:00:00.123+01:00","_recordedDate":{"extension":[{"url":"http://x","valueString":"x"}]}}`,
			`{"resourceType":"Observation","_status":{"extension":[{"url":"http://x","valueCode":"unknown"}]},"code":{"text":"x"},"effectiveDateTime":"2020","issued":"2020-01-01T10:00:00Z","valueQuantity":{"value":1}}`,
		} {
			typ := "Condition"
			if strings.Contains(body, "Observation") {
				typ = "Observation"
			}
			if r := c.do("POST", "/fhir/"+typ, body); r.status != 201 {
				t.Errorf("valid %s: %d %s", typ, r.status, r.body)
			}
		}
	})
}

// TestSentEmptiesLeftOut checks that the empty objects and arrays some
// systems write (`"telecom":[{}]`), which R4's JSON leaves out, are
// taken out of a resource written rather than refusing it: what is
// stored and served has none, and a primitive's extensions stay paired
// with its values.
func TestSentEmptiesLeftOut(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		r := c.do("POST", "/fhir/Observation", `{"resourceType":"Observation","status":"final","extension":[],"identifier":[{}],
			"code":{"coding":[{}],"text":"Pulse"},"note":[{"text":"a","extension":[{}]}],"category":[{"coding":[]}],
			"subject":{"reference":"Patient/p1","identifier":{}},"meta":{"tag":[]},
			"component":[{"code":{"text":"x"},"interpretation":[{"coding":[{}]}]}]}`)
		if r.status != 201 {
			t.Fatalf("create with empties: %d %s", r.status, r.body)
		}
		got := c.do("GET", "/fhir/Observation/"+r.json(t)["id"].(string), "")
		for _, empty := range []string{"[]", "{}", `"extension"`, `"identifier"`, `"category"`, `"interpretation"`} {
			if strings.Contains(string(got.body), empty) {
				t.Errorf("served with %s: %s", empty, got.body)
			}
		}
		if !strings.Contains(string(got.body), `"note":[{"text":"a"}]`) || !strings.Contains(string(got.body), `"code":{"text":"Pulse"}`) {
			t.Errorf("what the empties were beside is not kept: %s", got.body)
		}
		// A primitive's extensions are kept as sent, paired with its
		// values by position.
		p := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"given":["A","B"],"_given":[null,{"extension":[{"url":"urn:x","valueString":"y"}]}]}]}`)
		if p.status != 201 || !strings.Contains(string(p.body), `"_given":[null,{"extension":[{"url":"urn:x","valueString":"y"}]}]`) {
			t.Errorf("a primitive's extensions: %d %s", p.status, p.body)
		}
	})
}
