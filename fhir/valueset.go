package fhir

// ValueSetInclude is one include of a value set's compose: the codes of
// a code system it names one by one, the SNOMED CT concepts below one
// (a filter concept is-a or descendent-of), or the code system whole
// (Codes nil and IsA "", any code of System).
type ValueSetInclude struct {
	System string
	Codes  []string
	// IsA is the SNOMED CT concept of a filter: the include is the
	// concepts that are a kind of it, and it itself unless Strict (the
	// filter descendent-of).
	IsA    string
	Strict bool
	// Filters, in the tables generated from UK Core's definitions, are
	// the include's filters as the definition gives them, read as a
	// stored value set's are (conceptFilter).
	Filters []ValueSetFilter
	// Displays, in the tables generated from R4's and UK Core's
	// definitions, is what the value set calls each of Codes ("" where
	// it does not say); nil when it names none.
	Displays []string
	// Display is what the value set calls its codes, where it names them
	// (a compose's concept display, an expansion's contains display).
	Display map[string]string
}

// ValueSetFilter is one filter of a value set's include: property, op
// and value.
type ValueSetFilter struct{ Property, Op, Value string }

// modelCodeSystem is a code system of R4 or UK Core whose definition
// lists its concepts whole (administrative-gender, UK Core's ethnic
// categories): its name for people, its version and its concepts.
type modelCodeSystem struct {
	Name, Version string
	Concepts      []modelConcept
}

// modelConcept is a concept of an R4 or UK Core code system: its code
// and what it is called. Its other names are in conceptDesignations,
// and whether it is no longer active in inactiveConcepts.
type modelConcept struct {
	Code, Display string
}
