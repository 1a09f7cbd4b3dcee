package fhir

import "testing"

// BenchmarkFHIRPathPatch reads a FHIRPath Patch of three operations
// (replace a birth date, add a telecom, delete one found by where()) and
// applies it to a Patient, as PATCH does before the write.
func BenchmarkFHIRPathPatch(b *testing.B) {
	patient := []byte(`{"resourceType":"Patient","id":"p1","name":[{"use":"official","family":"Smith","given":["Ann","Beth"]}],
 "telecom":[{"system":"phone","use":"home","value":"020 7946 0000"},{"system":"phone","use":"mobile","value":"07700 900000"}],
 "gender":"female","birthDate":"1970-05-01","address":[{"line":["1 High Street"],"postalCode":"E1 6AN"}]}`)
	params := []byte(`{"resourceType":"Parameters","parameter":[
 {"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.birthDate"},{"name":"value","valueDate":"1971-06-02"}]},
 {"name":"operation","part":[{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"telecom"},{"name":"value","valueContactPoint":{"system":"email","value":"ann@example.org"}}]},
 {"name":"operation","part":[{"name":"type","valueCode":"delete"},{"name":"path","valueString":"Patient.telecom.where(system='phone' and use='mobile')"}]}]}`)
	b.ReportAllocs()
	for b.Loop() {
		res, err := decodeSent(params)
		if err != nil {
			b.Fatal(err)
		}
		pt, err := patchOf(res, "")
		if err != nil {
			b.Fatal(err)
		}
		doc, err := Decode(patient)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pt.apply(map[string]any(doc), "Patient"); err != nil {
			b.Fatal(err)
		}
	}
}
