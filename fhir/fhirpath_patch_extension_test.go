package fhir_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// birthTime is the id and extensions of a birth date: the time of birth.
const birthTime = `{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1970-05-02T10:30:00+01:00"}]}`

// TestFHIRPathPatchExtensions patches with values that carry an id or
// extensions: a primitive's beside it (_valueDate), which land in the
// element's _element sibling, kept in step with a repeating primitive's
// list by add, insert, replace and delete; a complex value's in its
// parts. The result is a valid R4 resource; what is malformed is
// refused naming the operation.
func TestFHIRPathPatchExtensions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Smith","given":["Ann"]}],"birthDate":"1970-05-01"}`)
		const nickname = `{"id":"n1","extension":[{"url":"http://example.org/nickname","valueBoolean":true}]}`
		tests := []struct {
			name    string
			op      string
			status  int
			element string // the element of the result compared with want
			want    string
		}{
			{"replace a primitive with its extension",
				fpOp("replace", "Patient.birthDate", `{"name":"value","valueDate":"1970-05-02","_valueDate":`+birthTime+`}`),
				200, "_birthDate", birthTime},
			{"the value kept beside its extension", "", 200, "birthDate", `"1970-05-02"`},
			{"add to a repeating primitive", fpOp("add", "Patient.name[0]", `{"name":"name","valueString":"given"}`, `{"name":"value","valueString":"Jo","_valueString":`+nickname+`}`),
				200, "name", `[{"family":"Smith","given":["Ann","Jo"],"_given":[null,` + nickname + `]}]`},
			{"insert without one keeps the list in step", fpOp("insert", "Patient.name[0].given", `{"name":"index","valueInteger":0}`, `{"name":"value","valueString":"Al"}`),
				200, "name", `[{"family":"Smith","given":["Al","Ann","Jo"],"_given":[null,null,` + nickname + `]}]`},
			{"insert with one", fpOp("insert", "Patient.name[0].given", `{"name":"index","valueInteger":1}`, `{"name":"value","valueString":"Bo","_valueString":{"id":"b"}}`),
				200, "name", `[{"family":"Smith","given":["Al","Bo","Ann","Jo"],"_given":[null,{"id":"b"},null,` + nickname + `]}]`},
			{"replace an item of the list with one", fpOp("replace", "Patient.name[0].given[0]", `{"name":"value","valueString":"Alan","_valueString":{"id":"a"}}`),
				200, "name", `[{"family":"Smith","given":["Alan","Bo","Ann","Jo"],"_given":[{"id":"a"},{"id":"b"},null,` + nickname + `]}]`},
			{"replace an item of the list without one", fpOp("replace", "Patient.name[0].given[1]", `{"name":"value","valueString":"Bob"}`),
				200, "name", `[{"family":"Smith","given":["Alan","Bob","Ann","Jo"],"_given":[{"id":"a"},null,null,` + nickname + `]}]`},
			{"delete keeps the list in step", fpOp("delete", "Patient.name[0].given[0]"),
				200, "name", `[{"family":"Smith","given":["Bob","Ann","Jo"],"_given":[null,null,` + nickname + `]}]`},
			{"the last extension deleted", fpOp("delete", "Patient.name[0].given[2]"),
				200, "name", `[{"family":"Smith","given":["Bob","Ann"]}]`},
			{"a primitive known by its extensions alone", fpOp("add", "Patient", `{"name":"name","valueString":"gender"}`,
				`{"name":"value","_valueCode":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"asked-declined"}]}}`),
				200, "_gender", `{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"asked-declined"}]}`},
			{"a complex value's id and extension as parts", fpOp("add", "Patient", `{"name":"name","valueString":"telecom"}`, `{"name":"value","part":[
				{"name":"id","valueString":"t1"},{"name":"system","valueCode":"phone"},{"name":"value","valueString":"020 7946 0001"},
				{"name":"extension","part":[{"name":"url","valueUri":"http://example.org/best-time"},{"name":"value","valueString":"mornings"}]}]}`),
				200, "telecom", `[{"id":"t1","system":"phone","value":"020 7946 0001","extension":[{"url":"http://example.org/best-time","valueString":"mornings"}]}]`},
			{"a part's primitive with its extension", fpOp("add", "Patient", `{"name":"name","valueString":"name"}`, `{"name":"value","part":[
				{"name":"family","valueString":"Berg","_valueString":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/humanname-own-prefix","valueString":"van den"}]}},
				{"name":"given","valueString":"Eva"},{"name":"given","valueString":"Lotte","_valueString":{"id":"g2"}}]}`),
				200, "name", `[{"family":"Smith","given":["Bob","Ann"]},{"family":"Berg","_family":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/humanname-own-prefix","valueString":"van den"}]},"given":["Eva","Lotte"],"_given":[null,{"id":"g2"}]}]`},

			{"extensions beside another type", fpOp("replace", "Patient.birthDate", `{"name":"value","valueDate":"1970-05-03","_valueString":{"id":"x"}}`),
				400, "", ""},
			{"extensions beside a complex value", fpOp("add", "Patient", `{"name":"name","valueString":"maritalStatus"}`, `{"name":"value","valueCodeableConcept":{"text":"M"},"_valueCodeableConcept":{"id":"x"}}`),
				400, "", ""},
			{"extensions that are not an object", fpOp("replace", "Patient.birthDate", `{"name":"value","valueDate":"1970-05-03","_valueDate":"x"}`),
				400, "", ""},
			{"an extension without its url", fpOp("replace", "Patient.birthDate", `{"name":"value","valueDate":"1970-05-03","_valueDate":{"extension":[{"valueString":"x"}]}}`),
				400, "", ""},
		}
		version := 1
		var last map[string]any
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if tc.op != "" {
					r := c.do("PATCH", "/fhir/Patient/"+pid, fhirPatch(tc.op), "Content-Type", "application/fhir+json")
					if r.status != tc.status {
						t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
					}
					if r.status != 200 {
						if !isOutcome(r) {
							t.Errorf("not an OperationOutcome: %s", r.body)
						}
						return
					}
					version++
					last = r.json(t)
				}
				var want any
				if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
					t.Fatal(err)
				}
				got, _ := json.Marshal(last[tc.element])
				var gotV any
				json.Unmarshal(got, &gotV)
				if diff := cmp.Diff(want, gotV); diff != "" {
					t.Errorf("%s (-want +got):\n%s", tc.element, diff)
				}
			})
		}
		// What was stored reads back as answered, and validates.
		r := c.do("GET", "/fhir/Patient/"+pid, "")
		var stored map[string]any
		json.Unmarshal(r.body, &stored)
		for _, k := range []string{"_birthDate", "name", "_gender", "telecom"} {
			if diff := cmp.Diff(last[k], stored[k]); diff != "" {
				t.Errorf("stored %s (-answered +stored):\n%s", k, diff)
			}
		}
		if r := c.do("POST", "/fhir/Patient/$validate", string(r.body)); r.status != 200 || !isOutcome(r) || strings.Contains(string(r.body), `"severity":"error"`) {
			t.Errorf("the patched Patient does not validate: %d %s", r.status, r.body)
		}

	})
}

// TestFHIRPathPatchExtensionsPMI patches a patient of the PMI with a
// value that carries an extension: the extension is kept beside the
// record, the value changes the record.
func TestFHIRPathPatchExtensionsPMI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		zoe := create(t, f.a, "Patient", ukPatient)
		r := f.a.do("PATCH", "/fhir/Patient/"+zoe, fhirPatch(fpOp("replace", "Patient.birthDate", `{"name":"value","valueDate":"1970-05-02","_valueDate":`+birthTime+`}`)), "Content-Type", "application/fhir+json")
		if r.status != 200 {
			t.Fatalf("patch of the PMI's patient: %d %s", r.status, r.body)
		}
		got := f.a.do("GET", "/fhir/Patient/"+zoe, "").json(t)
		var want any
		json.Unmarshal([]byte(birthTime), &want)
		if diff := cmp.Diff(want, got["_birthDate"]); diff != "" || got["birthDate"] != "1970-05-02" {
			t.Errorf("the PMI's patient after the patch: birthDate %v, _birthDate (-want +got):\n%s", got["birthDate"], diff)
		}
	})
}
