package fhir

// ValueSetInclude is one include of a value set's compose: the codes of
// a code system it names one by one, or the code system whole (Codes
// nil, any code of System).
type ValueSetInclude struct {
	System string
	Codes  []string
}
