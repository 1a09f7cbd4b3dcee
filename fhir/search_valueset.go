package fhir

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// valueSetParam is a token parameter's :in or :not-in (code:in=url): the
// codes of the value sets at urls, expanded when the search runs, since a
// trust's own value sets are in its resource store. Several value sets
// (code:in=url1,url2) are any of them: :in matches a code in any one,
// :not-in excludes a code in any one, as :not excludes any of its
// values.
type valueSetParam struct {
	key  string   // the parameter as sent, code:in
	name string   // the search parameter, code
	urls []string // the value sets' canonical urls, with |version or not
	not  bool     // :not-in
	// below and above are the SNOMED CT concepts of :below (a concept and
	// those that are a kind of it) and :above (a concept and those it is
	// a kind of), in place of urls.
	below, above []string
}

// maxSearchBelow bounds the SNOMED CT concepts a search's :below, or
// an is-a value set of its :in, matches.
const maxSearchBelow = 1000

// maxValueSetDepth bounds how deep value sets that include other value
// sets are followed.
const maxValueSetDepth = 5

// valueSetCondition turns the value set a :in or :not-in names into the
// parameter's conditions, any of which matches: each code of a system
// it names, any code of a system it includes whole. A code bound to a
// value set (Observation.status) is kept without its system, so the
// codes are also matched without one where the parameter's elements
// are codes. None: the value set holds no code.
func (s *Server) valueSetCondition(ctx context.Context, p *Principal, typ string, v valueSetParam) ([]crs.ResourceCondition, error) {
	var incs []ValueSetInclude
	for _, url := range v.urls {
		in, err := s.expandValueSet(ctx, p, url, 0)
		if err == nil {
			in, err = s.resolveBelow(ctx, p, in)
		}
		if err != nil {
			return nil, invalid("not-supported", v.key, "search parameter %s: the value set %s %v", v.key, url, err)
		}
		incs = append(incs, in...)
	}
	for _, code := range append(slices.Clone(v.below), v.above...) {
		// The concept a search names is one of the trust's release.
		if _, err := s.findCode(ctx, p, nhs.SNOMEDSystem, code); crs.ErrorCode(err) == crs.ENOTFOUND || crs.ErrorCode(err) == crs.EINVALID {
			return nil, invalid("not-supported", v.key, "search parameter %s: %v", v.key, crs.ErrorMessage(err))
		} else if err != nil {
			return nil, err
		}
	}
	var below []ValueSetInclude
	for _, code := range v.below {
		below = append(below, ValueSetInclude{System: nhs.SNOMEDSystem, IsA: code})
	}
	below, err := s.resolveBelow(ctx, p, below)
	if err != nil {
		return nil, invalid("not-supported", v.key, "search parameter %s: the SNOMED CT concepts %v", v.key, err)
	}
	incs = append(incs, below...)
	for _, code := range v.above {
		above, err := s.Terminology.Ancestors(ctx, p.Actor, code, true)
		if err != nil {
			return nil, err
		}
		in := ValueSetInclude{System: nhs.SNOMEDSystem, Codes: []string{}}
		for _, c := range above {
			in.Codes = append(in.Codes, c.ID)
		}
		incs = append(incs, in)
	}
	plain := false
	if sp, ok := SearchParamOf(typ, v.name); ok {
		for _, path := range sp.Paths {
			if el := elementsByPath[path]; el != nil && slices.Contains(el.Types, "code") {
				plain = true
			}
		}
	}
	var group []crs.ResourceCondition
	for _, inc := range incs {
		system := inc.System
		if inc.Codes == nil {
			group = append(group, crs.ResourceCondition{Param: v.name, Kind: "token", Op: crs.MatchEq, System: &system})
			continue
		}
		for _, code := range inc.Codes {
			group = append(group, crs.ResourceCondition{Param: v.name, Kind: "token", Op: crs.MatchEq, System: &system, Code: code})
			if plain {
				none := ""
				group = append(group, crs.ResourceCondition{Param: v.name, Kind: "token", Op: crs.MatchEq, System: &none, Code: code})
			}
		}
	}
	if len(group) == 0 {
		return nil, nil
	}
	group, err = storedGroup(typ, group)
	if err != nil {
		return nil, invalid("invalid", v.key, "search parameter %s: %v", v.key, err)
	}
	return group, nil
}

// resolveBelow turns each is-a include into the codes of the trust's
// SNOMED CT release it holds, at most maxSearchBelow; an error says why
// it cannot, as the end of a sentence naming what includes them.
func (s *Server) resolveBelow(ctx context.Context, p *Principal, incs []ValueSetInclude) ([]ValueSetInclude, error) {
	for i, inc := range incs {
		if inc.IsA == "" {
			continue
		}
		below, err := s.conceptsBelow(ctx, p, inc, maxSearchBelow)
		if err != nil {
			return nil, crs.Errorf(crs.EINVALID, "includes the SNOMED CT concepts below %s, and %s", inc.IsA, crs.ErrorMessage(err))
		}
		if len(below) > maxSearchBelow {
			return nil, crs.Errorf(crs.EINVALID, "includes more than %d SNOMED CT concepts (those below %s); a search matches at most %d, so name a narrower concept", maxSearchBelow, inc.IsA, maxSearchBelow)
		}
		incs[i] = ValueSetInclude{System: inc.System, Codes: []string{}}
		for _, c := range below {
			incs[i].Codes = append(incs[i].Codes, c.ID)
		}
	}
	return incs, nil
}

// snomedReady says why the trust's SNOMED CT hierarchy cannot be read,
// or nil when it can.
func (s *Server) snomedReady(ctx context.Context, p *Principal) error {
	if s.Terminology == nil {
		return crs.Errorf(crs.EINVALID, "this server holds no SNOMED CT release")
	}
	if loaded, err := s.Terminology.SNOMEDLoaded(ctx, p.Actor); err != nil {
		return err
	} else if !loaded {
		return crs.Errorf(crs.EINVALID, "the trust has loaded no SNOMED CT release")
	}
	return nil
}

// conceptsBelow lists the concepts of the trust's SNOMED CT release an
// is-a include holds, at most limit+1 (more than limit says there are
// more): none below a concept the release lacks (one of another edition).
func (s *Server) conceptsBelow(ctx context.Context, p *Principal, in ValueSetInclude, limit int) ([]*nhs.Concept, error) {
	if err := s.snomedReady(ctx, p); err != nil {
		return nil, err
	}
	return s.Terminology.Descendants(ctx, p.Actor, in.IsA, !in.Strict, limit)
}

// conceptFilter reads an include of a value set's compose that selects
// SNOMED CT concepts by their place in its hierarchy, with one filter:
// concept is-a or descendent-of a concept, or an expression constraint
// (constraint =) that is concepts, descendantOrSelfOf (<<) and
// descendantOf (<) concepts joined by OR, as UK Core's value sets write
// them. It returns an include for each concept below which the codes are,
// and one of the concepts named alone. An error says why another filter
// is not expanded (a refinement, MINUS, memberOf: reference sets are not
// loaded), as the end of a sentence naming the value set.
func conceptFilter(system string, inc map[string]any) ([]ValueSetInclude, error) {
	filters := array(inc["filter"])
	if system != nhs.SNOMEDSystem || len(filters) != 1 || inc["concept"] != nil || inc["valueSet"] != nil {
		return nil, crs.Errorf(crs.EINVALID, "includes codes of %s by a filter, which this server cannot expand: it expands one filter of SNOMED CT by its hierarchy", cmp.Or(system, "no system"))
	}
	f, _ := filters[0].(map[string]any)
	property, _ := f["property"].(string)
	op, _ := f["op"].(string)
	value, _ := f["value"].(string)
	value = strings.TrimSpace(value)
	refused := crs.Errorf(crs.EINVALID, "includes SNOMED CT codes by the filter %s %s %q, which this server cannot expand: it expands concept is-a or descendent-of a concept, and constraints of concepts, descendantOrSelfOf and descendantOf concepts joined by OR", property, op, value)
	switch {
	case property == "concept" && (op == "is-a" || op == "descendent-of") && nhs.CheckSCTID(value) == nil:
		return []ValueSetInclude{{System: system, IsA: value, Strict: op == "descendent-of"}}, nil
	case property != "constraint" || op != "=":
		return nil, refused
	}
	if strings.HasPrefix(value, "(") && strings.HasSuffix(value, ")") {
		value = value[1 : len(value)-1]
	}
	var out []ValueSetInclude
	named := ValueSetInclude{System: system, Codes: []string{}}
	for _, term := range eclOr.Split(value, -1) {
		term = strings.TrimSpace(term)
		fields := strings.Fields(term)
		switch {
		case len(fields) == 2 && (fields[0] == "descendantOrSelfOf" || fields[0] == "<<") && nhs.CheckSCTID(fields[1]) == nil:
			out = append(out, ValueSetInclude{System: system, IsA: fields[1]})
		case len(fields) == 2 && (fields[0] == "descendantOf" || fields[0] == "<") && nhs.CheckSCTID(fields[1]) == nil:
			out = append(out, ValueSetInclude{System: system, IsA: fields[1], Strict: true})
		case len(fields) >= 1 && nhs.CheckSCTID(fields[0]) == nil && (len(fields) == 1 || strings.HasPrefix(fields[1], "|") && strings.HasSuffix(term, "|")):
			// A concept alone, with its term between bars or not.
			named.Codes = append(named.Codes, fields[0])
			if d := strings.TrimSpace(strings.Trim(strings.TrimSpace(strings.TrimPrefix(term, fields[0])), "|")); d != "" {
				if named.Display == nil {
					named.Display = map[string]string{}
				}
				named.Display[fields[0]] = d
			}
		default:
			return nil, refused
		}
	}
	if len(named.Codes) > 0 {
		out = append(out, named)
	}
	return out, nil
}

// eclOr splits an expression constraint at its ORs.
var eclOr = regexp.MustCompile(`(?i)\s+OR\s+`)

// expandValueSet lists what the value set at url (url|version) includes:
// one the trust holds in its resource store, else one of R4's or UK
// Core's (valueSetTable, generated from their definitions). An error
// says why it cannot (none known by the url, a filter, an exclude of a
// whole system), as the end of a sentence naming the value set.
func (s *Server) expandValueSet(ctx context.Context, p *Principal, canonical string, depth int) ([]ValueSetInclude, error) {
	if depth > maxValueSetDepth {
		return nil, crs.Errorf(crs.EINVALID, "includes value sets more than %d deep", maxValueSetDepth)
	}
	vs, err := s.findValueSet(ctx, p, canonical)
	if err != nil {
		return nil, err
	}
	return s.composed(ctx, p, vs, depth)
}

// findValueSet returns the value set at url (url|version): one the trust
// holds in its resource store, else one of R4's or UK Core's, given as a
// ValueSet whose compose names what valueSetTable holds. An error says
// none is known, as the end of a sentence naming the value set.
func (s *Server) findValueSet(ctx context.Context, p *Principal, canonical string) (Resource, error) {
	url, version, _ := strings.Cut(canonical, "|")
	vs, err := s.storedByURL(ctx, p, "ValueSet", url, version)
	if err != nil || vs != nil {
		return vs, err
	}
	if incs, ok := valueSetTable[url]; ok {
		var include []any
		for _, in := range incs {
			m := map[string]any{"system": in.System}
			if len(in.Filters) > 0 {
				var filters []any
				for _, f := range in.Filters {
					filters = append(filters, map[string]any{"property": f.Property, "op": f.Op, "value": f.Value})
				}
				m["filter"] = filters
			}
			if in.Codes != nil {
				concepts := make([]any, len(in.Codes))
				for i, c := range in.Codes {
					concept := map[string]any{"code": c}
					if i < len(in.Displays) && in.Displays[i] != "" {
						concept["display"] = in.Displays[i]
					}
					concepts[i] = concept
				}
				m["concept"] = concepts
			}
			include = append(include, m)
		}
		return Resource{"resourceType": "ValueSet", "url": url, "status": "active", "compose": map[string]any{"include": include}}, nil
	}
	return nil, crs.Errorf(crs.ENOTFOUND, "is not known: neither the trust's (POST it as a ValueSet) nor one of R4's or UK Core's that lists its codes")
}

// storedByURL returns the trust's resource of a type (a ValueSet, a
// CodeSystem) with a canonical url, of a version when one is given;
// nil when it holds none.
func (s *Server) storedByURL(ctx context.Context, p *Principal, typ, url, version string) (Resource, error) {
	if s.Resources == nil || !p.Actor.Can(crs.ActViewClinical) {
		return nil, nil
	}
	found, _, err := s.Resources.SearchResources(ctx, p.Actor, crs.ResourceQuery{Type: typ, Count: 20,
		All: [][]crs.ResourceCondition{{{Param: "url", Kind: "uri", Op: crs.MatchEq, Code: url}}}})
	if err != nil {
		return nil, err
	}
	for _, f := range found {
		res, err := Decode(f.Body)
		if err != nil {
			return nil, err
		}
		if v, _ := res["version"].(string); version != "" && v != version {
			continue
		}
		return res, nil
	}
	return nil, nil
}

// composed lists what a stored value set includes: its expansion when it
// carries one, else its compose's includes (codes named one by one, a
// system whole, other value sets) less the codes its excludes name.
func (s *Server) composed(ctx context.Context, p *Principal, vs Resource, depth int) ([]ValueSetInclude, error) {
	if exp, _ := vs["expansion"].(map[string]any); exp != nil {
		var out []ValueSetInclude
		var walkContains func(cs []any)
		walkContains = func(cs []any) {
			for _, c := range cs {
				m, _ := c.(map[string]any)
				system, _ := m["system"].(string)
				code, _ := m["code"].(string)
				if code != "" {
					in := ValueSetInclude{System: system, Codes: []string{code}}
					if d, _ := m["display"].(string); d != "" {
						in.Display = map[string]string{code: d}
					}
					out = append(out, in)
				}
				sub, _ := m["contains"].([]any)
				walkContains(sub)
			}
		}
		contains, _ := exp["contains"].([]any)
		walkContains(contains)
		return out, nil
	}
	compose, _ := vs["compose"].(map[string]any)
	var out []ValueSetInclude
	for _, x := range array(compose["include"]) {
		inc, _ := x.(map[string]any)
		system, _ := inc["system"].(string)
		if inc["filter"] != nil {
			in, err := conceptFilter(system, inc)
			if err != nil {
				return nil, err
			}
			out = append(out, in...)
			continue
		}
		nested := array(inc["valueSet"])
		if len(nested) > 0 && (system != "" || inc["concept"] != nil) {
			return nil, crs.Errorf(crs.EINVALID, "includes the codes of a system that are in another value set, which this server cannot expand")
		}
		for _, n := range nested {
			url, _ := n.(string)
			more, err := s.expandValueSet(ctx, p, url, depth+1)
			if err != nil {
				return nil, crs.Errorf(crs.EINVALID, "includes %s, which %v", url, err)
			}
			out = append(out, more...)
		}
		if system == "" {
			continue
		}
		in := ValueSetInclude{System: system}
		for _, c := range array(inc["concept"]) {
			m, _ := c.(map[string]any)
			if code, _ := m["code"].(string); code != "" {
				in.Codes = append(in.Codes, code)
				if d, _ := m["display"].(string); d != "" {
					if in.Display == nil {
						in.Display = map[string]string{}
					}
					in.Display[code] = d
				}
			}
		}
		out = append(out, in)
	}
	for _, x := range array(compose["exclude"]) {
		exc, _ := x.(map[string]any)
		system, _ := exc["system"].(string)
		var codes []string
		for _, c := range array(exc["concept"]) {
			m, _ := c.(map[string]any)
			if code, _ := m["code"].(string); code != "" {
				codes = append(codes, code)
			}
		}
		if exc["filter"] != nil || exc["valueSet"] != nil || system == "" || len(codes) == 0 {
			return nil, crs.Errorf(crs.EINVALID, "excludes codes other than by naming them, which this server cannot expand")
		}
		for i, in := range out {
			if in.System != system {
				continue
			}
			if in.Codes == nil {
				return nil, crs.Errorf(crs.EINVALID, "excludes codes of %s, which it includes whole: this server cannot expand it", system)
			}
			out[i].Codes = slices.DeleteFunc(slices.Clone(in.Codes), func(c string) bool { return slices.Contains(codes, c) })
		}
	}
	return out, nil
}
