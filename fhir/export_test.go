package fhir

// DecodeJSON is decodeJSON, for the tests of package fhir_test.
var DecodeJSON = decodeJSON

// UnstampedTime is the placeholder a prepared create's meta.lastUpdated
// holds until its command stamps it.
const UnstampedTime = unstamped
