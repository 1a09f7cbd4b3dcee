package fhir

import (
	"net/http"
	"net/url"
	"strings"
)

// A search in a patient's compartment (GET /fhir/Patient/[id]/Observation?code=...)
// is the search of that type by the patient: the records of the type
// whose patient search parameter names the patient, narrowed by the
// search's own parameters. It is answered, checked and audited as that
// search is; its links are those of the search.

// handleCompartmentSearch answers GET /fhir/[type]/[id]/[type2] and
// POST /fhir/[type]/[id]/[type2]/_search for the Patient compartment,
// and names what it cannot answer: another compartment, all of a
// compartment's types (*), an operation OpenCRS does not answer on an
// instance, a type outside the compartment.
func (s *Server) handleCompartmentSearch(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ, id, of := r.PathValue("type"), r.PathValue("id"), r.PathValue("of")
	switch {
	case strings.HasPrefix(of, "$"):
		return outcomeOf(http.StatusNotFound, "not-supported", "the operation %s is not supported on %s/%s; the CapabilityStatement (/fhir/metadata) lists the operations this server answers", of, typ, id)
	case typ != "Patient":
		return outcomeOf(http.StatusNotFound, "not-supported", "only a patient's compartment is searched (GET /fhir/Patient/[id]/[type]), not the %s compartment", typ)
	case of == "*":
		return outcomeOf(http.StatusNotFound, "not-supported", "a search of every type of a patient's compartment is not supported: use GET /fhir/Patient/%s/$everything, or name one type", id)
	case !isResource[of]:
		return outcomeOf(http.StatusNotFound, "not-supported", "%s is not an R4 resource type", of)
	}
	if _, ok := SearchParamOf(of, "patient"); !ok {
		return invalid("not-supported", "", "%s is not in a patient's compartment: it has no patient search parameter", of)
	}
	if id == "" || strings.ContainsAny(id, ",|/") {
		return invalid("invalid", "", "%q is not a patient's id", id)
	}
	q := r.URL.Query()
	q.Add("patient", "Patient/"+id)
	c := r.Clone(r.Context())
	c.URL = &url.URL{Path: "/fhir/" + of, RawQuery: q.Encode()}
	c.SetPathValue("type", of)
	return s.handleSearch(w, c, p)
}
