package fhir

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// maxSNOMEDExpansion is the most concepts of the trust's SNOMED CT
// release one expansion of a value set that takes SNOMED CT whole
// lists: those whose terms match its filter, shortest term first.
const maxSNOMEDExpansion = 1000

// opParams are the parameters of a terminology operation: those of the
// query, and those of the Parameters a POST carries.
type opParams struct {
	op    string // the operation, $expand, named in errors
	query url.Values
	body  []map[string]any
}

// readOpParams reads an operation's parameters from the query and,
// for a POST with a body, from the Parameters it sends.
func readOpParams(r *http.Request, op string) (*opParams, error) {
	o := &opParams{op: op, query: r.URL.Query()}
	if r.Method != http.MethodPost {
		return o, nil
	}
	body, err := readBody(r)
	if err != nil || len(strings.TrimSpace(string(body))) == 0 {
		return o, err
	}
	params, err := Decode(body)
	if err != nil {
		return nil, err
	}
	if params.Type() != "Parameters" {
		return nil, invalid("invalid", "resourceType", "%s takes a Parameters, not a %s", op, params.Type())
	}
	for _, pm := range array(params["parameter"]) {
		m, _ := pm.(map[string]any)
		o.body = append(o.body, m)
	}
	return o, nil
}

// str returns the parameter name as text (a string, uri, code or
// canonical), and where it was given; "" when it is not.
func (o *opParams) str(name string) (string, string) {
	if v := o.query.Get(name); v != "" {
		return v, name
	}
	for i, m := range o.body {
		if m["name"] != name {
			continue
		}
		if v, k, ok := parameterText(m); ok && textValues[k] {
			return v, fmt.Sprintf("Parameters.parameter[%d].%s", i, k)
		}
	}
	return "", name
}

// textValues are the value[x] a terminology operation's parameter
// given as text may have.
var textValues = map[string]bool{"valueUri": true, "valueString": true, "valueCode": true, "valueCanonical": true, "valueUrl": true, "valueBoolean": true, "valueDate": true}

// parameterText is the value[x] of a Parameters' parameter as text, and
// its element's name, when it is of a primitive type.
func parameterText(m map[string]any) (string, string, bool) {
	for k, v := range m {
		if !strings.HasPrefix(k, "value") {
			continue
		}
		switch v := v.(type) {
		case string:
			return v, k, true
		case json.Number:
			return v.String(), k, true
		case bool:
			return strconv.FormatBool(v), k, true
		}
	}
	return "", "", false
}

// integer returns the parameter name as a whole number not below zero,
// or def when it is not given.
func (o *opParams) integer(name string, def int) (int, error) {
	if v := o.query.Get(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, invalid("invalid", name, "%s: the parameter %s is a whole number, not %q", o.op, name, v)
		}
		return n, nil
	}
	for i, m := range o.body {
		if m["name"] != name {
			continue
		}
		n, ok := m["valueInteger"].(json.Number)
		v, err := n.Int64()
		if !ok || err != nil || v < 0 {
			return 0, invalid("invalid", fmt.Sprintf("Parameters.parameter[%d].valueInteger", i), "%s: the parameter %s is a whole number (valueInteger)", o.op, name)
		}
		return int(v), nil
	}
	return def, nil
}

// boolean returns the parameter name as true or false, false when it
// is not given.
func (o *opParams) boolean(name string) (bool, error) {
	v, where := o.str(name)
	switch v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, invalid("invalid", where, "%s: the parameter %s is true or false, not %q", o.op, name, v)
}

// all returns every value of the parameter name given as text, from the
// query and the Parameters (a repeated parameter, such as $lookup's
// property).
func (o *opParams) all(name string) []string {
	out := slices.Clone(o.query[name])
	for _, m := range o.body {
		if m["name"] != name {
			continue
		}
		if v, k, ok := parameterText(m); ok && textValues[k] {
			out = append(out, v)
		}
	}
	return out
}

// complex returns the parameter name of a complex type (valueCoding,
// valueCodeableConcept) from the Parameters, and where it was given.
func (o *opParams) complex(name, key string) (map[string]any, string) {
	for i, m := range o.body {
		if m["name"] == name {
			v, _ := m[key].(map[string]any)
			return v, fmt.Sprintf("Parameters.parameter[%d].%s", i, key)
		}
	}
	return nil, ""
}

// codeEntry is one code of an expansion or a code system: its system,
// code, what it is called and its other names, and whether it is no
// longer active.
type codeEntry struct {
	System, Code, Display string
	Designations          []string
	Inactive              bool
	Parents               []string // what it is directly a kind of, where the system says (SNOMED CT)
}

// handleValueSetExpand answers ValueSet/$expand and ValueSet/[id]/$expand:
// the value set (the one stored at id, or the one at url: the trust's or
// one of R4's or UK Core's) with an expansion listing its codes with
// what they are called, those whose display has words starting with
// each word of filter, count of them from offset; with activeOnly those
// still active, with includeDesignations each with its other names. A
// value set that takes SNOMED CT whole is expanded
// from the trust's release only with a filter; one that includes
// SNOMED CT concepts by a filter is expanded from the release's
// hierarchy and reference sets, a filter of another form refused.
func (s *Server) handleValueSetExpand(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := p.allow("ValueSet", false); err != nil {
		return err
	}
	o, err := readOpParams(r, "$expand")
	if err != nil {
		return err
	}
	vs, where, err := s.operandValueSet(r, p, o)
	if err != nil {
		return err
	}
	filter, _ := o.str("filter")
	count, err := o.integer("count", -1)
	if err != nil {
		return err
	}
	offset, err := o.integer("offset", 0)
	if err != nil {
		return err
	}
	activeOnly, err := o.boolean("activeOnly")
	if err != nil {
		return err
	}
	designations, err := o.boolean("includeDesignations")
	if err != nil {
		return err
	}
	codes, err := s.expansion(r.Context(), p, vs, filter, where)
	if err != nil {
		return err
	}
	if activeOnly {
		codes = slices.DeleteFunc(codes, func(c codeEntry) bool { return c.Inactive })
	}
	page := codes[min(offset, len(codes)):]
	if count >= 0 && count < len(page) {
		page = page[:count]
	}
	contains := make([]any, 0, len(page))
	for _, c := range page {
		m := map[string]any{"system": c.System, "code": c.Code}
		if c.Inactive {
			m["inactive"] = true
		}
		if c.Display != "" {
			m["display"] = c.Display
		}
		if designations && len(c.Designations) > 0 {
			ds := make([]any, len(c.Designations))
			for i, d := range c.Designations {
				ds[i] = map[string]any{"value": d}
			}
			m["designation"] = ds
		}
		contains = append(contains, m)
	}
	exp := map[string]any{"identifier": "urn:uuid:" + crs.NewID(), "timestamp": s.Store.Now().UTC().Format(instant),
		"total": len(codes), "offset": offset}
	var used []any
	if filter != "" {
		used = append(used, map[string]any{"name": "filter", "valueString": filter})
	}
	if count >= 0 {
		used = append(used, map[string]any{"name": "count", "valueInteger": count})
	}
	if activeOnly {
		used = append(used, map[string]any{"name": "activeOnly", "valueBoolean": true})
	}
	if designations {
		used = append(used, map[string]any{"name": "includeDesignations", "valueBoolean": true})
	}
	if used != nil {
		exp["parameter"] = used
	}
	if len(contains) > 0 {
		exp["contains"] = contains
	}
	out := Resource{}
	for k, v := range vs {
		out[k] = v
	}
	out["expansion"] = exp
	body, err := json.Marshal(out)
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "write the expansion: %w", err)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// operandValueSet returns the value set an operation is on: the one
// stored at the id of the path, else the one at the parameter url (with
// valueSetVersion), else the one a POST sends as valueSet; and where it
// was named, for errors.
func (s *Server) operandValueSet(r *http.Request, p *Principal, o *opParams) (Resource, string, error) {
	if id := r.PathValue("id"); id != "" {
		res, err := s.readAny(r.Context(), p, "ValueSet", id, 0)
		if err != nil {
			return nil, "", err
		}
		if res.Deleted {
			return nil, "", outcomeOf(http.StatusGone, "deleted", "ValueSet/%s was deleted (version %d)", id, res.Version)
		}
		vs, err := Decode(res.Body)
		return vs, "ValueSet/" + id, err
	}
	if vs, where := o.complex("valueSet", "resource"); vs != nil {
		if Resource(vs).Type() != "ValueSet" {
			return nil, "", invalid("invalid", where, "%s: the parameter valueSet is a ValueSet, not a %s", o.op, Resource(vs).Type())
		}
		return vs, where, nil
	}
	canonical, where := o.str("url")
	if canonical == "" {
		return nil, "", invalid("required", "url", "%s takes the value set: its url, ValueSet/[id]/%s, or a POST of the parameter valueSet", o.op, o.op)
	}
	if v, _ := o.str("valueSetVersion"); v != "" && !strings.Contains(canonical, "|") {
		canonical += "|" + v
	}
	vs, err := s.findValueSet(r.Context(), p, canonical)
	if err != nil {
		return nil, "", &Outcome{Status: http.StatusNotFound, Issues: []Issue{{Severity: "error", Code: "not-found", Expression: where,
			Diagnostics: fmt.Sprintf("%s: the value set %s %v", o.op, canonical, err)}}}
	}
	return vs, where, nil
}

// expansion lists the codes of a value set whose display (or code, when
// it has none) has words starting with each word of filter, with what
// they are called where the value set, a stored CodeSystem or the
// trust's SNOMED CT release says. where names the value set in errors.
func (s *Server) expansion(ctx context.Context, p *Principal, vs Resource, filter, where string) ([]codeEntry, error) {
	incs, err := s.composed(ctx, p, vs, 0)
	if err != nil {
		return nil, unprocessable("not-supported", where, "the value set %v", err)
	}
	var out []codeEntry
	seen := map[[2]string]bool{}
	add := func(c codeEntry) {
		k := [2]string{c.System, c.Code}
		if !seen[k] && matchesWords(c, filter) {
			seen[k] = true
			out = append(out, c)
		}
	}
	// What the code system says of a code the value set names (what it
	// is called where the value set does not say, its other names,
	// whether it is active): from the trust's SNOMED CT release, or the
	// code system, read once.
	bySystem := map[string]map[string]codeEntry{}
	known := func(system, code string) (codeEntry, error) {
		if system == nhs.SNOMEDSystem {
			c, err := s.findCode(ctx, p, system, code)
			if err != nil && crs.ErrorCode(err) != crs.ENOTFOUND && crs.ErrorCode(err) != crs.EINVALID {
				return codeEntry{}, err
			}
			if c == nil {
				return codeEntry{}, nil
			}
			return *c, nil
		}
		entries, ok := bySystem[system]
		if !ok {
			entries = map[string]codeEntry{}
			all, err := s.codeSystemConcepts(ctx, p, system)
			if err != nil && crs.ErrorCode(err) != crs.EINVALID {
				return codeEntry{}, err
			}
			for _, c := range all {
				entries[c.Code] = c
			}
			bySystem[system] = entries
		}
		return entries[code], nil
	}
	for _, in := range incs {
		if in.byRelease() {
			below, err := s.snomedConcepts(ctx, p, in, maxSNOMEDBelow)
			if err != nil && crs.ErrorCode(err) != crs.EINVALID {
				return nil, err
			} else if err != nil {
				return nil, unprocessable("not-supported", where, "the value set %s includes %s, and %v", where, in.what(), crs.ErrorMessage(err))
			}
			if len(below) > maxSNOMEDBelow {
				if strings.TrimSpace(filter) == "" {
					return nil, unprocessable("too-costly", "filter", "the value set %s includes more than %d SNOMED CT concepts (%s): give a filter, words of the terms to list", where, maxSNOMEDBelow, in.what())
				}
				// Too many to list: the concepts the filter finds that
				// it holds.
				if below, err = s.searchBelow(ctx, p, in, filter); err != nil {
					return nil, err
				}
			}
			for _, c := range below {
				add(conceptEntry(c))
			}
			continue
		}
		if len(in.Minus) > 0 && in.Codes != nil {
			if in.Codes, err = lessMinus(ctx, s, p, in.Minus, in.Codes, func(code string) string { return code }); err != nil && crs.ErrorCode(err) != crs.EINVALID {
				return nil, err
			} else if err != nil {
				return nil, unprocessable("not-supported", where, "the value set %s takes SNOMED CT concepts away, and %v", where, crs.ErrorMessage(err))
			}
		}
		if in.Codes != nil {
			for _, code := range in.Codes {
				var sys codeEntry
				if in.Display[code] == "" || in.System != nhs.SNOMEDSystem {
					// A SNOMED CT code the value set names is called as it
					// says: the release is not read for each.
					var err error
					if sys, err = known(in.System, code); err != nil {
						return nil, err
					}
				}
				add(codeEntry{System: in.System, Code: code, Display: cmp.Or(in.Display[code], sys.Display),
					Designations: sys.Designations, Inactive: sys.Inactive})
			}
			continue
		}
		if in.System == nhs.SNOMEDSystem && s.Terminology != nil {
			if strings.TrimSpace(filter) == "" {
				return nil, unprocessable("too-costly", "filter", "the value set %s takes the whole of SNOMED CT: give a filter, words of the terms to list", where)
			}
			found, err := s.Terminology.SearchConcepts(ctx, p.Actor, filter, crs.ConceptAny, maxSNOMEDExpansion)
			if err != nil {
				return nil, err
			}
			if found, err = lessMinus(ctx, s, p, in.Minus, found, func(c *nhs.Concept) string { return c.ID }); err != nil && crs.ErrorCode(err) != crs.EINVALID {
				return nil, err
			} else if err != nil {
				return nil, unprocessable("not-supported", where, "the value set %s takes SNOMED CT concepts away, and %v", where, crs.ErrorMessage(err))
			}
			for _, c := range found {
				out = append(out, codeEntry{System: nhs.SNOMEDSystem, Code: c.ID, Display: c.Term})
			}
			continue
		}
		all, err := s.codeSystemConcepts(ctx, p, in.System)
		if err != nil {
			return nil, unprocessable("not-supported", where, "the value set %s includes the whole of %s, %v", where, in.System, err)
		}
		for _, c := range all {
			add(c)
		}
	}
	return out, nil
}

// maxSNOMEDBelow bounds the SNOMED CT concepts an is-a include of a
// value set is expanded to whole; with more, only those a filter finds.
const maxSNOMEDBelow = 10000

// searchBelow lists the concepts of the trust's release whose terms match
// filter and that an include held by the release holds.
func (s *Server) searchBelow(ctx context.Context, p *Principal, in ValueSetInclude, filter string) ([]*nhs.Concept, error) {
	found, err := s.Terminology.SearchConcepts(ctx, p.Actor, filter, crs.ConceptAny, maxSNOMEDExpansion)
	if err != nil {
		return nil, err
	}
	var out []*nhs.Concept
	for _, c := range found {
		ok, err := s.snomedHolds(ctx, p, in, c.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// conceptEntry is a concept of the trust's SNOMED CT release as a code
// of an expansion or a look-up: its preferred term, and its fully
// specified name and synonyms as other names.
func conceptEntry(c *nhs.Concept) codeEntry {
	e := codeEntry{System: nhs.SNOMEDSystem, Code: c.ID, Display: c.Term, Parents: c.Parents}
	if c.FSN != "" {
		e.Designations = append(e.Designations, c.FSN)
	}
	e.Designations = append(e.Designations, c.Synonyms...)
	return e
}

// unprocessable is an error of an operation that understood its request
// but cannot do it, answered 422 naming the parameter at fault.
func unprocessable(code, expr, format string, args ...any) *Outcome {
	o := invalid(code, expr, format, args...)
	o.Status = http.StatusUnprocessableEntity
	return o
}

// matchesWords says whether each word of filter starts a word of the
// concept's display (its code when it has none), in any case.
func matchesWords(c codeEntry, filter string) bool {
	text := c.Display
	if text == "" {
		text = c.Code
	}
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127) })
	for _, f := range strings.Fields(strings.ToLower(filter)) {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, f) }) {
			return false
		}
	}
	return true
}
