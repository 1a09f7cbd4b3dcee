package fhir

import (
	"encoding/base64"
	"encoding/json"
	"errors"
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
// _count, its next link's _cursor the place of the page's last
// Observation in the answer's order (see lastNCursor); _offset, which
// earlier next links gave, is still taken.
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
	if vals.Has("_sort") {
		return invalid("not-supported", "_sort", "parameter _sort is not supported by $lastn: its answer is ordered by code and time")
	}
	q, err := s.prepareSearch(r, p, typ, vals)
	if err != nil {
		return err
	}
	var after *crs.ResourceLastNPlace
	if q.query.Before != "" {
		return invalid("invalid", "_cursor", "parameter _cursor of $lastn: %q is not a page of its answer; follow the next link", beforeCursor+q.query.Before)
	}
	if c := q.query.After; c != "" {
		// The search's keyset is of ids; $lastn's is a place in its order.
		if after, err = parseLastNCursor(c); err != nil {
			return invalid("invalid", "_cursor", "parameter _cursor of $lastn: %q is not a page of its answer; follow the next link", c)
		}
		q.query.After = ""
	}
	if len(q.checks) > 0 {
		// A check made on each page would take a resource off after it
		// was counted among the most recent of its code.
		return invalid("not-supported", q.checks[0].param, "search parameter %s is not supported by $lastn", q.checks[0].param)
	}
	q.query.LastN = &crs.ResourceLastN{Max: max, Group: "code", By: "date", After: after}
	q.params.Set("max", strconv.Itoa(max))

	base := baseURL(r)
	b := &bundle{ResourceType: "Bundle", Type: "searchset"}
	self := q.params
	if vals.Has("_count") || vals.Has("_cursor") || vals.Has("_offset") {
		self = maps.Clone(q.params)
		for _, k := range []string{"_count", "_cursor", "_offset"} {
			if v := vals[k]; v != nil {
				self[k] = v
			}
		}
	}
	b.Link = append(b.Link, bundleLink{"self", base + "/" + typ + "/$lastn?" + linkQuery(self)})
	if len(q.ignored) > 0 && !q.countOnly {
		b.Entry = append(b.Entry, ignoredOutcome(typ, q.ignored))
	}
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

// lastNCursor returns the _cursor of the page after a $lastn answer's
// resource at place: the place, as JSON, in URL-safe base64, so that
// the page resumes after it however the Observations before it change.
func lastNCursor(place *crs.ResourceLastNPlace) string {
	b, _ := json.Marshal([]string{place.System, place.Code, place.At, place.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseLastNCursor reads a _cursor lastNCursor made.
func parseLastNCursor(c string) (*crs.ResourceLastNPlace, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, err
	}
	var f []string
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	if len(f) != 4 || f[2] == "" || f[3] == "" {
		return nil, errors.New("not a place in a $lastn answer")
	}
	return &crs.ResourceLastNPlace{System: f[0], Code: f[1], At: f[2], ID: f[3]}, nil
}
