package fhir

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// A search in a compartment (GET /fhir/Encounter/[id]/Observation?code=...)
// is the search of that type narrowed to the records in the compartment
// of the resource named: those that any of the type's parameters R4's
// CompartmentDefinition names (compartments) refers to it, the
// compartment's own resource (compartmentDef.own) by its id. It is
// answered, checked and audited as that search is; its links name the
// compartment. The
// compartment's resource must be one the token may read: one that is
// not, or is not the trust's, is answered as its read is (403, 404).
//
// A patient's compartment is searched by the type's patient parameter
// where it has one (Observation?patient=Patient/[id]), as the type's own
// search of the patient's records is, with its access rules and audit;
// a type of the compartment without one by R4's parameters.
//
// All of a compartment's types (GET /fhir/Patient/[id]/*) is the search
// of the system narrowed to the compartment's types (searchTypes).

// compartment is the compartment a search is narrowed to.
type compartment struct {
	typ, id string
	params  []string // the searched type's parameters that put a record in it
	own     bool     // the searched type is the compartment's: its resource is in it
}

type compartmentKey struct{}

// handleCompartmentSearch answers GET /fhir/[type]/[id]/[type2] and
// POST /fhir/[type]/[id]/[type2]/_search for R4's compartments, and
// GET /fhir/[type]/[id]/* for all of a compartment's types; it names
// what it cannot answer: an operation OpenCRS does not answer on an
// instance, a type that is not a compartment, a type outside the
// compartment.
func (s *Server) handleCompartmentSearch(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ, id, of := r.PathValue("type"), r.PathValue("id"), r.PathValue("of")
	def, isCompartment := compartments[typ]
	switch {
	case strings.HasPrefix(of, "$"):
		return outcomeOf(http.StatusNotFound, "not-supported", "the operation %s is not supported on %s/%s; the CapabilityStatement (/fhir/metadata) lists the operations this server answers", of, typ, id)
	case !isCompartment:
		return outcomeOf(http.StatusNotFound, "not-supported", "%s is not a compartment: R4 defines those of Patient, Encounter, Practitioner, RelatedPerson and Device (GET /fhir/[compartment]/[id]/[type])", typ)
	case of != "*" && !isResource[of]:
		return outcomeOf(http.StatusNotFound, "not-supported", "%s is not an R4 resource type", of)
	}
	if id == "" || strings.ContainsAny(id, ",|/") {
		return invalid("invalid", "", "%q is not the id of a %s", id, typ)
	}
	if of == "*" {
		if _, err := s.innerGet(r, typ+"/"+id, typ); err != nil {
			return err
		}
		return s.searchTypes(w, r, p, typ+"/"+id)
	}
	if _, ok := SearchParamOf(of, "patient"); ok && typ == "Patient" {
		q := r.URL.Query()
		q.Add("patient", "Patient/"+id)
		return s.searchAs(w, r.Clone(r.Context()), p, of, q.Encode())
	}
	params, own := def.types[of], def.own && of == typ
	if len(params) == 0 && !own {
		return invalid("not-supported", "", "%s is not in the %s compartment: R4's CompartmentDefinition puts no %s in it", of, typ, of)
	}
	if _, err := s.innerGet(r, typ+"/"+id, typ); err != nil {
		return err
	}
	in := &compartment{typ: typ, id: id, params: params, own: own}
	return s.searchAs(w, r.Clone(context.WithValue(r.Context(), compartmentKey{}, in)), p, of, r.URL.RawQuery)
}

// searchAs answers c, a copy of a request, as the search of typ by the
// parameters of raw (and of c's form body).
func (s *Server) searchAs(w http.ResponseWriter, c *http.Request, p *Principal, typ, raw string) error {
	c.URL = &url.URL{Path: "/fhir/" + typ, RawQuery: raw}
	c.SetPathValue("type", typ)
	return s.handleSearch(w, c, p)
}

// compartmentOf returns the compartment a search is narrowed to, or nil.
func compartmentOf(ctx context.Context) *compartment {
	in, _ := ctx.Value(compartmentKey{}).(*compartment)
	return in
}

// narrow narrows a search to the compartment: its records are those
// any of the parameters refers to the compartment's resource by, and
// that resource itself where the compartment's type is searched.
func (in *compartment) narrow(q *search, now time.Time) error {
	q.in = in.typ + "/" + in.id
	if in.own {
		if len(q.query.IDs) > 0 && !slices.Contains(q.query.IDs, in.id) {
			q.none = true
		}
		q.query.IDs = []string{in.id}
	}
	var refs []crs.ResourceCondition
	for _, name := range in.params {
		c, err := condition(name, "reference", "", in.typ+"/"+in.id, now)
		if err != nil {
			return crs.Errorf(crs.EINTERNAL, "the %s compartment's parameter %s: %w", in.typ, name, err)
		}
		refs = append(refs, c)
	}
	if len(refs) > 0 {
		q.query.All = append(q.query.All, refs)
	}
	return nil
}

// compartmentTypes lists, alphabetically, the types of a compartment a
// search can name.
func compartmentTypes(typ string) []string {
	def := compartments[typ]
	types := slices.Collect(maps.Keys(def.types))
	if def.own {
		types = append(types, typ)
	}
	slices.Sort(types)
	var out []string
	for _, t := range types {
		if slices.Contains(searchedTypes(), t) {
			out = append(out, t)
		}
	}
	return out
}
