package fhir

// ValueSetInclude is one include of a value set's compose: the codes of
// a code system it names one by one (or that filters of a stored
// CodeSystem's hierarchy select), the SNOMED CT concepts below one
// (a filter concept is-a or descendent-of) or that a reference set
// lists (concept in, memberOf), or the code system whole (Codes nil,
// IsA and Refset "", any code of System).
type ValueSetInclude struct {
	System string
	Codes  []string
	// IsA is the SNOMED CT concept of a filter: the include is the
	// concepts that are a kind of it, and it itself unless Strict (the
	// filter descendent-of).
	IsA    string
	Strict bool
	// Refset is the SNOMED CT simple reference set of a filter: the
	// include is the concepts it lists.
	Refset string
	// Refsets: the include is the simple reference sets of the trust's
	// release, the reference set concepts themselves (SNOMED CT's own
	// value set ?fhir_vs=refset).
	Refsets bool
	// Minus is what an expression constraint's MINUS takes away: the
	// include holds its concepts less those any of Minus holds.
	Minus []ValueSetInclude
	// Filter, on the codes of a CodeSystem the trust stores that filters
	// of its hierarchy select, names the filters as written, for a
	// sentence.
	Filter string
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

// byRelease says whether an include holds the SNOMED CT concepts the
// trust's release says: those below a concept, a reference set's, or
// the reference sets themselves.
func (in ValueSetInclude) byRelease() bool { return in.IsA != "" || in.Refset != "" || in.Refsets }

// what names the SNOMED CT concepts an include holds, for a sentence:
// the concepts below one, a reference set's members, or those it names.
func (in ValueSetInclude) what() string {
	switch {
	case in.Refset != "":
		return "the members of the SNOMED CT reference set " + in.Refset
	case in.IsA != "":
		return "the SNOMED CT concepts below " + in.IsA
	case in.Refsets:
		return "the reference sets of the SNOMED CT release"
	}
	return "SNOMED CT concepts it names"
}
