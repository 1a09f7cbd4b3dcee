package fhir

import (
	"encoding/json"
	"strconv"
	"testing"
)

// FuzzFHIRPathPatch applies one FHIRPath Patch operation, its path and
// value as a client may send them, to a Patient: whatever they are,
// reading and applying never panics, and what is applied leaves a
// Patient.
func FuzzFHIRPathPatch(f *testing.F) {
	for _, s := range [][2]string{
		{"Patient.telecom.where(system='phone' and use='mobile')", `{"name":"value","valueContactPoint":{"system":"email","value":"a@b"}}`},
		{"Patient.name[0].given.first()", `{"name":"value","valueString":"Jo"}`},
		{"Patient.name.where(given.where($this='Ann').exists() or family='x')", `{"name":"value","part":[{"name":"family","valueString":"Z"}]}`},
		{"Patient.extension('http://e').value", `{"name":"value","valueCode":"A"}`},
		{"Patient.deceased", `{"name":"value","valueBoolean":true}`},
		{"Patient.contact[0].telecom", `{"name":"value","part":[{"name":"value","valueString":"1"}]}`},
		{"Patient.name.given", `{"name":"value","valueInteger":1}`},
	} {
		f.Add("replace", s[0], s[1], "given", 1)
		f.Add("add", s[0], s[1], "telecom", 0)
		f.Add("insert", s[0], s[1], "", 2)
		f.Add("delete", s[0], s[1], "", 0)
		f.Add("move", s[0], s[1], "", 1)
	}
	f.Fuzz(func(t *testing.T, typ, path, value, name string, n int) {
		doc, err := decodeSent([]byte(`{"resourceType":"Patient","id":"p1",
 "extension":[{"url":"http://e","valueCode":"B"}],
 "name":[{"family":"Smith","given":["Ann","Beth"],"_given":[null,{"id":"g2"}]},{"text":"Ann Smith"}],
 "telecom":[{"system":"phone","use":"home","value":"1"},{"system":"phone","use":"mobile","value":"2"}],
 "deceasedBoolean":false,
 "contact":[{"telecom":[{"system":"phone","value":"3"}]}]}`))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := decodeJSON([]byte(value))
		part, _ := v.(map[string]any)
		jsonInt := func(n int) json.Number { return json.Number(strconv.Itoa(n)) }
		parts := []any{
			map[string]any{"name": "type", "valueCode": typ},
			map[string]any{"name": "path", "valueString": path},
			map[string]any{"name": "name", "valueString": name},
			map[string]any{"name": "index", "valueInteger": jsonInt(n)},
			map[string]any{"name": "source", "valueInteger": jsonInt(n)},
			map[string]any{"name": "destination", "valueInteger": jsonInt(n / 2)},
		}
		if part != nil {
			parts = append(parts, part)
		}
		ops, err := fhirPathPatch(Resource{"resourceType": "Parameters", "parameter": []any{map[string]any{"name": "operation", "part": parts}}})
		if err != nil {
			return
		}
		if err := applyFHIRPathPatch(map[string]any(doc), "Patient", ops); err != nil {
			return
		}
		if doc.Type() != "Patient" || doc.ID() != "p1" {
			t.Fatalf("the patch left %v", doc)
		}
	})
}
