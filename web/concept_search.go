package web

import (
	"encoding/json"
	"net/http"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// errNoClinicalLists is the error of a problem, allergy or timeline page
// on a server set up without them.
var errNoClinicalLists = crs.Errorf(crs.ENOTFOUND, "The problem list and allergies are not switched on in this service.")

// conceptField is a SNOMED CT field of a clinical form
// (templates/_concept.html): the words typed to search, the concept
// chosen, and the matches to choose from. Without the script the search
// button posts the form, which comes back with the matches; with it the
// matches come as the user types (handleConceptSearch).
type conceptField struct {
	Name, Label, Hint string
	Kind              crs.ConceptKind
	Query             string // the words typed (input <Name>_q)
	Code, Display     string // the concept chosen (radio <Name>)
	Matches           []*nhs.Concept
	Searched          bool // a search was run: say so when it found nothing
	Optional          bool // the field may be left empty: offer "None"
	p                 *pageData
}

// Err is the problem with the field, from its page's errors.
func (f *conceptField) Err() string {
	if f.p == nil {
		return ""
	}
	return f.p.Err(f.Name)
}

// readConcept reads a concept field of a posted form; when the user asked
// to search it (search=<name>), or typed words but chose nothing, it
// finds the matches.
func (s *Server) readConcept(r *http.Request, p pager, name, label, hint string, kind crs.ConceptKind) (*conceptField, error) {
	f := &conceptField{Name: name, Label: label, Hint: hint, Kind: kind, Query: form(r, name+"_q"), Code: form(r, name), p: p.page()}
	if f.Code != "" {
		if c, err := s.Terminology.FindConcept(r.Context(), actorOf(r), f.Code); err == nil {
			f.Display = c.Term
		} else if crs.ErrorCode(err) != crs.ENOTFOUND {
			return nil, err
		}
	}
	if form(r, "search") == name || (f.Code == "" && f.Query != "") {
		if err := s.searchConcept(r, f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (s *Server) searchConcept(r *http.Request, f *conceptField) error {
	var err error
	f.Matches, err = s.Terminology.SearchConcepts(r.Context(), actorOf(r), f.Query, f.Kind, 15)
	f.Searched = true
	return err
}

// conceptOf is a concept field showing a concept already recorded.
func conceptOf(p pager, name, label, hint string, kind crs.ConceptKind, code, display string) *conceptField {
	return &conceptField{Name: name, Label: label, Hint: hint, Kind: kind, Code: code, Display: display, p: p.page()}
}

// conceptsPage is the fragment of a concept search: the matches as radio
// buttons of the field they are for.
type conceptsPage struct {
	pageData
	Field *conceptField
}

// conceptJSON is one match of a concept search as JSON.
type conceptJSON struct {
	Code     string   `json:"code"`
	Term     string   `json:"term"`
	FSN      string   `json:"fsn"`
	Synonyms []string `json:"synonyms,omitempty"`
}

// handleConceptSearch answers search as you type of the trust's SNOMED CT
// release: ?q=words&kind=problem|substance|reaction&name=field. It
// answers the radio buttons of the matches for the form field name (an
// HTML fragment the script swaps in), or JSON when asked for with
// Accept: application/json.
func (s *Server) handleConceptSearch(w http.ResponseWriter, r *http.Request) error {
	if s.Terminology == nil {
		return errNoClinicalLists
	}
	q := r.URL.Query()
	kind := crs.ConceptKind(q.Get("kind"))
	switch kind {
	case crs.ConceptAny, crs.ConceptProblem, crs.ConceptSubstance, crs.ConceptReaction:
	default:
		return crs.Errorf(crs.EINVALID, "kind %q is not problem, substance or reaction", kind)
	}
	name := q.Get("name")
	if name != "code" && name != "substance" && name != "reaction" {
		name = "code"
	}
	f := &conceptField{Name: name, Kind: kind, Query: q.Get("q"), Optional: name == "reaction"}
	if c, err := s.Terminology.FindConcept(r.Context(), actorOf(r), q.Get("selected")); err == nil {
		f.Code, f.Display = c.ID, c.Term
	}
	if err := s.searchConcept(r, f); err != nil {
		return err
	}
	if r.Header.Get("Accept") == "application/json" {
		out := []conceptJSON{}
		for _, c := range f.Matches {
			out = append(out, conceptJSON{Code: c.ID, Term: c.Term, FSN: c.FSN, Synonyms: c.Synonyms})
		}
		w.Header().Set("Content-Type", "application/json")
		return json.NewEncoder(w).Encode(out)
	}
	return s.renderPartial(w, r, "concepts", "concept_matches", &conceptsPage{Field: f})
}
