package fhir

// DecodeJSON is decodeJSON, for the tests of package fhir_test.
var DecodeJSON = decodeJSON
