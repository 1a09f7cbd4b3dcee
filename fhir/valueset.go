package fhir

// ValueSetInclude is one include of a value set's compose: the codes of
// a code system it names one by one, or the code system whole (Codes
// nil, any code of System).
type ValueSetInclude struct {
	System string
	Codes  []string
	// Display is what the value set calls its codes, where it names them
	// (a compose's concept display, an expansion's contains display).
	Display map[string]string
}
