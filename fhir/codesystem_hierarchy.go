package fhir

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/opencrs/crs"
)

// storedHierarchy lists the concepts of a CodeSystem the trust stores,
// each with the codes it is nested in (or names as its parent): the
// hierarchy value set filters and searches read for a system other
// than SNOMED CT. An error says the system has none this server knows,
// as the end of a sentence naming the system.
func (s *Server) storedHierarchy(ctx context.Context, p *Principal, system string) ([]codeEntry, error) {
	url, version, _ := strings.Cut(system, "|")
	cs, err := s.storedByURL(ctx, p, "CodeSystem", url, version)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return nil, crs.Errorf(crs.EINVALID, "has no hierarchy this server knows: it reads SNOMED CT's from the trust's release, and that of each CodeSystem the trust stores (POST it with its concepts nested)")
	}
	return storedConcepts(url, cs), nil
}

// storedFilter reads an include of a value set's compose that selects
// the concepts of a CodeSystem the trust stores by filters of its
// hierarchy: concept is-a a code (it and those nested in it),
// descendent-of (those nested in it), is-not-a (those neither it nor
// nested in it) or generalizes (it and those it is nested in). Several
// filters are all of them. It returns the include as the codes it
// holds; an error says why not, as the end of a sentence naming the
// value set.
func (s *Server) storedFilter(ctx context.Context, p *Principal, system string, inc map[string]any) (ValueSetInclude, error) {
	if inc["concept"] != nil || inc["valueSet"] != nil {
		return ValueSetInclude{}, crs.Errorf(crs.EINVALID, "includes codes of %s by a filter together with codes or value sets, which this server cannot expand", cmp.Or(system, "no system"))
	}
	var named []string
	for _, x := range array(inc["filter"]) {
		f, _ := x.(map[string]any)
		named = append(named, fmt.Sprintf("%v %v %q", f["property"], f["op"], fmt.Sprint(f["value"])))
	}
	all, err := s.storedHierarchy(ctx, p, system)
	if err != nil {
		return ValueSetInclude{}, crs.Errorf(crs.EINVALID, "includes codes of %s by the filter %s, which this server cannot expand: the system %s", system, strings.Join(named, " and "), crs.ErrorMessage(err))
	}
	held := map[string]bool{}
	for _, c := range all {
		held[c.Code] = true
	}
	for _, x := range array(inc["filter"]) {
		f, _ := x.(map[string]any)
		property, _ := f["property"].(string)
		op, _ := f["op"].(string)
		value, _ := f["value"].(string)
		value = strings.TrimSpace(value)
		if property != "concept" || !slices.Contains([]string{"is-a", "descendent-of", "is-not-a", "generalizes"}, op) {
			return ValueSetInclude{}, crs.Errorf(crs.EINVALID, "includes codes of %s by the filter %s %s %q, which this server cannot expand: of a stored CodeSystem it expands concept is-a, descendent-of, is-not-a and generalizes a code", system, property, op, value)
		}
		if !slices.ContainsFunc(all, func(c codeEntry) bool { return c.Code == value }) {
			return ValueSetInclude{}, crs.Errorf(crs.EINVALID, "includes codes of %s by the filter %s %s %q, and the code system has no code %q", system, property, op, value, value)
		}
		var related []string
		switch op {
		case "is-a", "is-not-a":
			related = append(nested(all, value, true), value)
		case "descendent-of":
			related = nested(all, value, true)
		case "generalizes":
			related = append(nested(all, value, false), value)
		}
		matched := map[string]bool{}
		for _, c := range related {
			matched[c] = true
		}
		for code := range held {
			if matched[code] == (op == "is-not-a") {
				delete(held, code)
			}
		}
	}
	out := ValueSetInclude{System: system, Codes: []string{}, Filter: strings.Join(named, " and ")}
	for _, c := range all {
		if held[c.Code] {
			out.Codes = append(out.Codes, c.Code)
			delete(held, c.Code)
		}
	}
	return out, nil
}

// storedRelated is the include a search's :below (down) or :above names
// by a code of a CodeSystem the trust stores: the code and those nested
// in it, at most maxSearchBelow, or the code and those it is nested in.
// An error says why not, as a sentence.
func (s *Server) storedRelated(ctx context.Context, p *Principal, ref codeRef, down bool) (ValueSetInclude, error) {
	all, err := s.storedHierarchy(ctx, p, ref.system)
	if err != nil {
		return ValueSetInclude{}, crs.Errorf(crs.EINVALID, "the code system %s %s", ref.system, crs.ErrorMessage(err))
	}
	if !slices.ContainsFunc(all, func(c codeEntry) bool { return c.Code == ref.code }) {
		return ValueSetInclude{}, crs.Errorf(crs.EINVALID, "%q is not a code of the CodeSystem %s the trust stores", ref.code, ref.system)
	}
	codes := append([]string{ref.code}, nested(all, ref.code, down)...)
	if down && len(codes) > maxSearchBelow {
		return ValueSetInclude{}, crs.Errorf(crs.EINVALID, "the codes below %s in %s are more than %d; a search matches at most %d, so name a narrower code", ref.code, ref.system, maxSearchBelow, maxSearchBelow)
	}
	return ValueSetInclude{System: ref.system, Codes: codes}, nil
}
