package fhir_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPatientPartsUnknown checks that a system registers and changes a
// Patient with no name or no date of birth, as UK Core's Patient allows
// (an unidentified patient in A&E; a record of another system that
// lacks them): the PMI holds it, served without the parts it lacks and
// with a name written only as text kept as sent.
func TestPatientPartsUnknown(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := startPAS(t, db, clock).a
		tests := []struct {
			name, sent string
			name0      string // the first name served, as JSON; "" for none
			birthDate  string
		}{
			{"nothing but the type", `{"resourceType":"Patient"}`, "", ""},
			{"a family name", `{"resourceType":"Patient","name":[{"family":"Test"}]}`, `{"family":"Test","use":"official"}`, ""},
			{"a given name", `{"resourceType":"Patient","name":[{"given":["Create"]}],"gender":"female"}`, `{"given":["Create"],"use":"official"}`, ""},
			{"both names", `{"resourceType":"Patient","name":[{"family":"Test","given":["Both"]}]}`, `{"family":"Test","given":["Both"],"use":"official"}`, ""},
			{"a date of birth", `{"resourceType":"Patient","birthDate":"1990-01-01"}`, "", "1990-01-01"},
			{"a name as text", `{"resourceType":"Patient","name":[{"text":"Unknown male, about 40"}],"gender":"male"}`, `{"text":"Unknown male, about 40"}`, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := c.do("POST", "/fhir/Patient", tc.sent)
				if r.status != 201 {
					t.Fatalf("create: %d %s", r.status, r.body)
				}
				id := r.json(t)["id"].(string)
				got := c.do("GET", "/fhir/Patient/"+id, "").json(t)
				name0 := ""
				if names, ok := got["name"].([]any); ok {
					b, _ := json.Marshal(names[0])
					name0 = string(b)
				}
				if name0 != tc.name0 {
					t.Errorf("name served %s, want %s", name0, tc.name0)
				}
				if b, _ := got["birthDate"].(string); b != tc.birthDate {
					t.Errorf("birthDate %q, want %q", b, tc.birthDate)
				}
				if ids, _ := got["identifier"].([]any); len(ids) == 0 {
					t.Fatalf("no hospital number: %s", b0(got))
				} else if mrn := ids[0].(map[string]any); mrn["value"] == "" {
					t.Errorf("no hospital number: %v", mrn)
				}
				if div := got["text"].(map[string]any)["div"].(string); strings.Contains(div, "<td>, ") || strings.Contains(div, "<td></td>") {
					t.Errorf("the narrative shows an empty part: %s", div)
				}
				// A change that still lacks them is taken.
				got["gender"] = "other"
				b, _ := json.Marshal(got)
				if u := c.do("PUT", "/fhir/Patient/"+id, string(b)); u.status != 200 {
					t.Errorf("update: %d %s", u.status, u.body)
				}
			})
		}
		// What the record holds is not removed by a change that leaves
		// it out; it may be corrected, and a part not known added.
		whole := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"family":"Kept","given":["Kim"]}],"birthDate":"1980-02-03"}`)
		if whole.status != 201 {
			t.Fatalf("register: %d %s", whole.status, whole.body)
		}
		wid := whole.json(t)["id"].(string)
		for _, tc := range []struct{ sent, expr string }{
			{`{"resourceType":"Patient","id":"` + wid + `","name":[{"family":"Kept","given":["Kim"]}]}`, "Patient.birthDate"},
			{`{"resourceType":"Patient","id":"` + wid + `","name":[{"given":["Kim"]}],"birthDate":"1980-02-03"}`, "Patient.name[0].family"},
			{`{"resourceType":"Patient","id":"` + wid + `","birthDate":"1980-02-03"}`, "Patient.name[0].given"},
		} {
			if r := c.do("PUT", "/fhir/Patient/"+wid, tc.sent); r.status != 422 || !strings.Contains(string(r.body), `"`+tc.expr+`"`) {
				t.Errorf("a change leaving out %s: %d %s", tc.expr, r.status, r.body)
			}
		}
		if r := c.do("PUT", "/fhir/Patient/"+wid, `{"resourceType":"Patient","id":"`+wid+`","name":[{"family":"Kemp","given":["Kim"]}],"birthDate":"1980-03-02"}`); r.status != 200 {
			t.Errorf("a correction: %d %s", r.status, r.body)
		}
		// A partial date of birth is still refused: the PMI holds a whole one.
		if r := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","birthDate":"1990-05"}`); r.status != 422 || !strings.Contains(string(r.body), "Patient.birthDate") {
			t.Errorf("a partial date of birth: %d %s", r.status, r.body)
		}
	})
}

func b0(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestPatientIdentifiersAnded checks that identifiers of other systems
// asked in two parameters must both be held (AND), and in one parameter
// either (OR): a patient holding one was found by both.
func TestPatientIdentifiersAnded(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := startPAS(t, db, clock).a
		register := func(ids string) string {
			r := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"family":"Ands","given":["Al"]}],"birthDate":"1970-01-01","identifier":[`+ids+`]}`)
			if r.status != 201 {
				t.Fatalf("register: %d %s", r.status, r.body)
			}
			return r.json(t)["id"].(string)
		}
		mrn, ssn := `{"system":"http://example.com/id/mrn","value":"12345"}`, `{"system":"http://example.com/id/ssn","value":"987-65-4321"}`
		both, one := register(mrn+","+ssn), register(mrn)
		for _, tc := range []struct{ q, want string }{
			{"identifier=http://example.com/id/mrn|12345&identifier=http://example.com/id/ssn|987-65-4321", both},
			{"identifier=http://example.com/id/ssn|987-65-4321&identifier=http://example.com/id/mrn|12345", both},
			{"identifier=http://example.com/id/mrn|12345", both + "," + one},
			{"identifier=http://example.com/id/ssn|987-65-4321,http://example.com/id/mrn|12345", both + "," + one},
			{"identifier=http://example.com/id/mrn|12345&identifier=http://example.com/id/ssn|000", ""},
		} {
			var got []string
			for _, e := range array(c.do("GET", "/fhir/Patient?"+tc.q, "").json(t)["entry"]) {
				got = append(got, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
			}
			slices.Sort(got)
			want := strings.Split(tc.want, ",")
			if tc.want == "" {
				want = nil
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("Patient?%s: %v, want %v", tc.q, got, want)
			}
		}
	})
}
