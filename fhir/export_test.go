package fhir

// DecodeJSON is decodeJSON, for the tests of package fhir_test.
var DecodeJSON = decodeJSON

// UnstampedTime is the placeholder a prepared create's meta.lastUpdated
// holds until its command stamps it.
const UnstampedTime = unstamped

// XMLToJSON and JSONToXML are the FHIR XML reader and writer, for the
// tests of package fhir_test.
var (
	XMLToJSON = xmlToJSON
	JSONToXML = jsonToXML
)
