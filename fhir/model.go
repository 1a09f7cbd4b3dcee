package fhir

//go:generate go run ./internal/gen -defs $FHIR_R4_DEFS -ukcore $UKCORE_DEFS -out model_gen.go

// Element is one element of an R4 resource or data type, as the R4
// definitions give it: Patient.birthDate is a date, at most one;
// Observation.valueQuantity is one choice of Observation.value[x].
type Element struct {
	Path       string   // e.g. "Patient.name"
	Min        int      // least number of occurrences
	Max        int      // most occurrences; -1 for many (a JSON array)
	Types      []string // its data types ("HumanName", "BackboneElement", "Reference")
	ContentRef string   // for a repeated definition, the path it repeats (Questionnaire.item.item)
	Choice     bool     // one type of a choice element (value[x])
	Summary    bool     // part of the summary (_summary=true)
}

// SearchParam is one R4 search parameter of a resource type, with the
// element paths it indexes.
type SearchParam struct {
	Base    string   // the resource type it searches ("Resource" for all)
	Name    string   // its name in a query (birthdate)
	Type    string   // token, string, date, reference, number, quantity, uri, composite, special
	URL     string   // its definition's canonical URL (http://hl7.org/fhir/SearchParameter/individual-birthdate)
	Paths   []string // element paths indexed, e.g. Patient.birthDate; a trailing [x] is any choice
	Targets []string // for a reference, the resource types it may point to
	// Components, of a composite, are the parameters it combines, each
	// read below one element at Paths (Observation.component): a value
	// matches when one element matches every component.
	Components []Component
}

// Component is one part of a composite search parameter: a parameter of
// the same base type, and the paths below the composite's element where
// its values are (code, valueQuantity).
type Component struct {
	Param string
	Paths []string
}
