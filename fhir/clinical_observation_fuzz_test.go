package fhir

import (
	"encoding/json"
	"testing"

	"github.com/opencrs/crs"
)

// FuzzReadParameter reads Observations as a system may post them in a
// transaction Bundle: whatever the JSON, reading never panics, and a
// parameter it reads is one of a set's.
func FuzzReadParameter(f *testing.F) {
	for _, s := range []string{
		`{"code":{"coding":[{"system":"http://loinc.org","code":"9279-1"}]},"valueQuantity":{"value":22}}`,
		`{"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":105}}]}`,
		`{"code":{"coding":[{"system":"http://snomed.info/sct","code":"1104441000000107"}]},"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"130987000"}]}}`,
		`{"code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]},"valueQuantity":{"value":101.2,"code":"[degF]"}}`,
		`{"code":{"coding":[{"system":"http://snomed.info/sct","code":"371825009"}]}}`,
		`{"code":"x","component":[1,"a",null]}`,
	} {
		f.Add(s)
	}
	params := map[string]bool{"": true, "respiration_rate": true, "spo2": true, "air_or_oxygen": true, "systolic": true, "pulse": true, "consciousness": true, "temperature": true}
	f.Fuzz(func(t *testing.T, s string) {
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) != nil {
			return
		}
		var v crs.VitalSigns
		param, _ := readParameter(&v, Resource(m))
		if !params[param] {
			t.Fatalf("read %q, not a parameter of a set", param)
		}
		readScore(Resource(m))
		setOf(Resource(m))
	})
}
