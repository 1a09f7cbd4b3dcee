package fhir

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// lastNCanonical is the canonical of the operation, as the
// CapabilityStatement lists it.
const lastNCanonical = "http://hl7.org/fhir/OperationDefinition/Observation-lastn"

// handleLastN answers Observation/$lastn: of the Observations a search
// with the same parameters matches, the most recent max (default 1) of
// each code, as a searchset Bundle ordered by code, newest first within
// a code. Each coding of Observation.code (system|code) is a code; the
// most recent is by the effective time (effectiveDateTime, the start of
// effectivePeriod, effectiveInstant), else by when it was last written.
// A patient (patient or subject) must be named. It is checked and
// audited as a search of Observation; a large answer is paged by
// _count with _offset.
func (s *Server) handleLastN(w http.ResponseWriter, r *http.Request, p *Principal) error {
	const typ = "Observation"
	if err := p.allow(typ, false); err != nil {
		return err
	}
	vals, err := lastNValues(r)
	if err != nil {
		return err
	}
	max := 1
	if v, ok := vals["max"]; ok {
		if len(v) != 1 {
			return invalid("invalid", "max", "parameter max of $lastn is given %d times; give it once", len(v))
		}
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 {
			return invalid("invalid", "max", "parameter max of $lastn: %q is not a positive whole number", v[0])
		}
		max = n
		delete(vals, "max")
	}
	if !namesPatient(vals) {
		return invalid("required", "patient", "$lastn needs the patient whose observations it answers: give patient or subject")
	}
	for _, k := range []string{"_sort", "_cursor"} {
		if vals.Has(k) {
			return invalid("not-supported", k, "parameter %s is not supported by $lastn: its answer is ordered by code and time, and paged by _offset", k)
		}
	}
	q, err := s.prepareSearch(r, p, typ, vals)
	if err != nil {
		return err
	}
	if len(q.checks) > 0 {
		// A check made on each page would take a resource off after it
		// was counted among the most recent of its code.
		return invalid("not-supported", q.checks[0].param, "search parameter %s is not supported by $lastn", q.checks[0].param)
	}
	q.query.LastN = &crs.ResourceLastN{Max: max, Group: "code", By: "date"}
	q.params.Set("max", strconv.Itoa(max))

	base := baseURL(r)
	b := &bundle{ResourceType: "Bundle", Type: "searchset"}
	self := q.params
	if vals.Has("_count") || vals.Has("_offset") {
		self = maps.Clone(q.params)
		for _, k := range []string{"_count", "_offset"} {
			if v := vals[k]; v != nil {
				self[k] = v
			}
		}
	}
	b.Link = append(b.Link, bundleLink{"self", base + "/" + typ + "/$lastn?" + self.Encode()})
	if q.none {
		if q.countOnly || q.total {
			b.Total = intPtr(0)
		}
		return s.writeSearchset(w, r, p, q, b, nil)
	}
	if q.countOnly || q.total {
		total, err := s.countMatches(r.Context(), p.Actor, q)
		if err != nil {
			return err
		}
		b.Total = intPtr(total)
		if q.countOnly {
			writeJSON(w, http.StatusOK, b.servedJSON())
			return nil
		}
	}
	found, err := s.searchPage(r, p, q, b, base+"/"+typ+"/$lastn")
	if err != nil {
		return err
	}
	return s.writeSearchset(w, r, p, q, b, found)
}

// namesPatient reports whether a search's parameters name the patient
// or subject it is about, with a type, identifier or chain
// (subject:Patient, patient.identifier); :missing names none.
func namesPatient(vals url.Values) bool {
	for k, v := range vals {
		name, modifier, _ := strings.Cut(k, ":")
		name, _, _ = strings.Cut(name, ".")
		if (name == "patient" || name == "subject") && modifier != "missing" && len(v) > 0 && v[0] != "" {
			return true
		}
	}
	return false
}

// lastNValues reads $lastn's parameters: those of the query, with a
// POSTed search form's or a POSTed Parameters' (each parameter a search
// parameter of Observation or max, its value a primitive).
func lastNValues(r *http.Request) (url.Values, error) {
	if r.Method != http.MethodPost || mediaType(r.Header.Get("Content-Type")) == "application/x-www-form-urlencoded" {
		return searchValues(r)
	}
	o, err := readOpParams(r, "$lastn")
	if err != nil {
		return nil, err
	}
	vals := o.query
	for i, m := range o.body {
		name, _ := m["name"].(string)
		v, _, ok := parameterText(m)
		if name == "" || !ok {
			return nil, invalid("invalid", fmt.Sprintf("Parameters.parameter[%d]", i), "a parameter of $lastn is a search parameter of Observation or max, named, with a value of a primitive type (valueString, valueInteger...)")
		}
		vals.Add(name, v)
	}
	return vals, nil
}
