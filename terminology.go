package crs

import (
	"context"

	"github.com/opencrs/crs/nhs"
)

// ConceptKind narrows a search of the terminology to the concepts that
// fit a field of a form: a problem is a disorder or finding, an allergen
// a substance, a reaction a disorder or finding.
type ConceptKind string

// Kinds of concept the clinical record's forms search.
const (
	ConceptAny       ConceptKind = ""
	ConceptProblem   ConceptKind = "problem"   // disorders, findings, situations, events
	ConceptSubstance ConceptKind = "substance" // substances and products an allergy is to
	ConceptReaction  ConceptKind = "reaction"  // disorders and findings a reaction shows as
)

// SemanticTags are the SNOMED CT semantic tags of the concepts of a kind.
func (k ConceptKind) SemanticTags() []string {
	switch k {
	case ConceptProblem:
		return []string{"disorder", "finding", "situation", "event", "morphologic abnormality"}
	case ConceptSubstance:
		return []string{"substance", "product", "medicinal product", "organism"}
	case ConceptReaction:
		return []string{"disorder", "finding"}
	}
	return nil
}

// TerminologyService is a trust's loaded release of SNOMED CT: the
// concepts its clinicians record problems, diagnoses, allergies and
// reactions with, and the search as they type a term.
type TerminologyService interface {
	// LoadSNOMED replaces the trust's SNOMED CT concepts with those of a
	// release (see nhs.ReadRF2); it returns how many it holds.
	LoadSNOMED(ctx context.Context, a Actor, concepts []nhs.Concept) (int, error)
	// FindConcept returns one concept of the trust's release, with what
	// it is directly a kind of (Parents); ENOTFOUND when the release has
	// no active concept with the id.
	FindConcept(ctx context.Context, a Actor, id string) (*nhs.Concept, error)
	// SearchConcepts returns concepts of a kind with a term (preferred or
	// synonym) whose words start with the words given, in any order,
	// shortest term first, at most limit (and at most 1,000); an
	// identifier finds its concept.
	SearchConcepts(ctx context.Context, a Actor, text string, kind ConceptKind, limit int) ([]*nhs.Concept, error)
	// SNOMEDLoaded says whether the trust has loaded a release: only then
	// is a code unknown to it refused.
	SNOMEDLoaded(ctx context.Context, a Actor) (bool, error)
	// Subsumes says whether code is ancestor or, by the release's is-a
	// relationships, a kind of it.
	Subsumes(ctx context.Context, a Actor, ancestor, code string) (bool, error)
	// Descendants returns the concepts that are a kind of ancestor (and
	// ancestor itself when self), in identifier order, at most limit+1:
	// more than limit says there are more.
	Descendants(ctx context.Context, a Actor, ancestor string, self bool, limit int) ([]*nhs.Concept, error)
	// Children returns the concepts directly a kind of code, in
	// identifier order.
	Children(ctx context.Context, a Actor, code string) ([]string, error)
	// Ancestors returns the concepts code is a kind of (and code itself
	// when self), in identifier order.
	Ancestors(ctx context.Context, a Actor, code string, self bool) ([]*nhs.Concept, error)
	// RefsetMembers returns the concepts a simple reference set of the
	// release lists, in identifier order, at most limit+1: more than
	// limit says there are more.
	RefsetMembers(ctx context.Context, a Actor, refset string, limit int) ([]*nhs.Concept, error)
	// InRefset says whether a simple reference set of the release lists
	// code.
	InRefset(ctx context.Context, a Actor, refset, code string) (bool, error)
	// Refsets returns the simple reference sets of the release (those
	// that list a concept), the reference set concepts themselves, in
	// identifier order, at most limit+1: more than limit says there are
	// more.
	Refsets(ctx context.Context, a Actor, limit int) ([]*nhs.Concept, error)
	// IsRefset says whether code is a simple reference set of the
	// release.
	IsRefset(ctx context.Context, a Actor, code string) (bool, error)
}

// ConceptSet is SNOMED CT concepts of a trust's release that a search
// matches a code against where the release is held, without listing
// them: a concept and those that are a kind of it, the concepts a
// reference set lists, the reference sets themselves, or codes named
// one by one; with none of those, every code of SNOMED CT. What any of
// Minus holds is taken away.
type ConceptSet struct {
	// IsA is a concept: the set is it and the concepts that are a kind
	// of it, less IsA itself when Strict.
	IsA    string
	Strict bool
	// Refset is a simple reference set: the set is the concepts it
	// lists.
	Refset string
	// Refsets: the set is the simple reference sets of the release.
	Refsets bool
	// Codes, when not nil, are the concepts named one by one.
	Codes []string
	Minus []ConceptSet
}
