package fhir

import (
	"cmp"
	"context"
	"fmt"
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
	// below and above are the codes of :below (a code and those that are
	// a kind of it) and :above (a code and those it is a kind of), in
	// place of urls: SNOMED CT concepts, or codes of a CodeSystem the
	// trust stores.
	below, above []codeRef
}

// codeRef is a code of a code system a search names.
type codeRef struct{ system, code string }

// maxSearchBelow bounds the codes of a CodeSystem the trust stores that
// a search's :below, or a filter of its hierarchy in a value set of its
// :in, matches: they are read from the stored resource and matched one
// by one. It bounds too the SNOMED CT concepts a search of the typed
// core matches by the release (below a concept, a reference set's),
// which it matches listed, as it matches what it serves in memory; the
// resource store asks the release in its SQL, however many they are.
const maxSearchBelow = 1000

// maxValueSetDepth bounds how deep value sets that include other value
// sets are followed.
const maxValueSetDepth = 5

// valueSetCondition turns the value set a :in or :not-in names into the
// parameter's conditions, any of which matches: each code of a system
// it names, any code of a system it includes whole, and for the
// resource store each set of SNOMED CT concepts the trust's release
// holds (below a concept, a reference set's, the reference sets, the
// whole of it, less what a MINUS or an exclude takes away), which the
// store matches against the release itself. A code bound to a value set
// (Observation.status) is kept without its system, so the codes are
// also matched without one where the parameter's elements are codes.
// None: the value set holds no code.
func (s *Server) valueSetCondition(ctx context.Context, p *Principal, typ string, v valueSetParam) ([]crs.ResourceCondition, error) {
	// The typed core matches what it serves in memory, so the concepts
	// are listed for it; the resource store asks the release.
	byStore := s.typedSearch(typ) == nil
	resolve := s.resolveBelow
	if byStore {
		resolve = s.releaseReady
	}
	var incs []ValueSetInclude
	for _, url := range v.urls {
		in, err := s.expandValueSet(ctx, p, url, 0)
		if err == nil {
			in, err = resolve(ctx, p, in)
		}
		if err != nil {
			return nil, invalid("not-supported", v.key, "search parameter %s: the value set %s %v", v.key, url, err)
		}
		incs = append(incs, in...)
	}
	var below []ValueSetInclude
	for i, ref := range append(slices.Clone(v.below), v.above...) {
		up := i >= len(v.below)
		if ref.system != nhs.SNOMEDSystem {
			in, err := s.storedRelated(ctx, p, ref, !up)
			if err != nil {
				return nil, invalid("not-supported", v.key, "search parameter %s: %v", v.key, crs.ErrorMessage(err))
			}
			incs = append(incs, in)
			continue
		}
		// A concept the trust's release lacks (of another edition, or
		// retired) has nothing the release knows below or above it: it
		// matches the resources coded with it alone, most often none, as
		// R4 asks of a code not known (an empty result, not an error).
		if _, err := s.findCode(ctx, p, nhs.SNOMEDSystem, ref.code); crs.ErrorCode(err) == crs.ENOTFOUND {
			incs = append(incs, ValueSetInclude{System: nhs.SNOMEDSystem, Codes: []string{ref.code}})
			continue
		} else if crs.ErrorCode(err) == crs.EINVALID {
			return nil, invalid("not-supported", v.key, "search parameter %s: %v", v.key, crs.ErrorMessage(err))
		} else if err != nil {
			return nil, err
		}
		if !up {
			below = append(below, ValueSetInclude{System: nhs.SNOMEDSystem, IsA: ref.code})
			continue
		}
		above, err := s.Terminology.Ancestors(ctx, p.Actor, ref.code, true)
		if err != nil {
			return nil, err
		}
		in := ValueSetInclude{System: nhs.SNOMEDSystem, Codes: []string{}}
		for _, c := range above {
			in.Codes = append(in.Codes, c.ID)
		}
		incs = append(incs, in)
	}
	below, err := resolve(ctx, p, below)
	if err != nil {
		return nil, invalid("not-supported", v.key, "search parameter %s: the SNOMED CT concepts %v", v.key, err)
	}
	incs = append(incs, below...)
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
		switch {
		case byStore && system == nhs.SNOMEDSystem && (inc.byRelease() || len(inc.Minus) > 0):
			set := conceptSet(inc)
			group = append(group, crs.ResourceCondition{Param: v.name, Kind: "token", Op: crs.MatchEq, System: &system, Concepts: &set})
			if plain {
				none := ""
				group = append(group, crs.ResourceCondition{Param: v.name, Kind: "token", Op: crs.MatchEq, System: &none, Concepts: &set})
			}
			continue
		case inc.Codes == nil:
			group = append(group, crs.ResourceCondition{Param: v.name, Kind: "token", Op: crs.MatchEq, System: &system})
			continue
		case inc.Filter != "" && len(inc.Codes) > maxSearchBelow:
			return nil, invalid("not-supported", v.key, "search parameter %s: the value set includes %d codes of %s by the filter %s, and a search matches at most %d codes of a stored CodeSystem (they are matched one by one): name a narrower code", v.key, len(inc.Codes), system, inc.Filter, maxSearchBelow)
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

// conceptSet is the set of SNOMED CT concepts an include holds, as the
// resource store matches it against the trust's release.
func conceptSet(in ValueSetInclude) crs.ConceptSet {
	set := crs.ConceptSet{IsA: in.IsA, Strict: in.Strict, Refset: in.Refset, Refsets: in.Refsets, Codes: in.Codes}
	for _, m := range in.Minus {
		set.Minus = append(set.Minus, conceptSet(m))
	}
	return set
}

// releaseReady checks that the trust's SNOMED CT release can answer what
// each include held by it (below a concept, a reference set's, the
// reference sets, or what a MINUS takes away) holds, which the resource
// store asks of it when the search runs; an error says why not, as the
// end of a sentence naming what includes them.
func (s *Server) releaseReady(ctx context.Context, p *Principal, incs []ValueSetInclude) ([]ValueSetInclude, error) {
	var ready func(in ValueSetInclude) error
	ready = func(in ValueSetInclude) error {
		if in.byRelease() {
			if err := s.snomedReady(ctx, p); err != nil {
				return err
			}
		}
		if in.Refset != "" {
			if err := s.refsetReady(ctx, p, in.Refset); err != nil {
				return err
			}
		}
		for _, m := range in.Minus {
			if err := ready(m); err != nil {
				return err
			}
		}
		return nil
	}
	for _, in := range incs {
		if in.System != nhs.SNOMEDSystem {
			continue
		}
		if err := ready(in); err != nil && crs.ErrorCode(err) != crs.EINVALID {
			return nil, err
		} else if err != nil {
			return nil, crs.Errorf(crs.EINVALID, "includes %s, and %s", in.what(), crs.ErrorMessage(err))
		}
	}
	return incs, nil
}

// resolveBelow turns each include held by the trust's SNOMED CT release
// (below a concept, a reference set's) into the codes it holds, at most
// maxSearchBelow, and takes from each what its MINUS does; an error says
// why it cannot, as the end of a sentence naming what includes them.
func (s *Server) resolveBelow(ctx context.Context, p *Principal, incs []ValueSetInclude) ([]ValueSetInclude, error) {
	for i, inc := range incs {
		switch {
		case inc.byRelease():
			found, err := s.snomedConcepts(ctx, p, inc, maxSearchBelow)
			if err != nil && crs.ErrorCode(err) != crs.EINVALID {
				return nil, err
			} else if err != nil {
				return nil, crs.Errorf(crs.EINVALID, "includes %s, and %s", inc.what(), crs.ErrorMessage(err))
			}
			if len(found) > maxSearchBelow {
				return nil, crs.Errorf(crs.EINVALID, "includes more than %d SNOMED CT concepts (%s); a search matches at most %d, so name a narrower concept", maxSearchBelow, inc.what(), maxSearchBelow)
			}
			incs[i] = ValueSetInclude{System: inc.System, Codes: []string{}}
			for _, c := range found {
				incs[i].Codes = append(incs[i].Codes, c.ID)
			}
		case len(inc.Minus) > 0 && inc.Codes == nil:
			return nil, crs.Errorf(crs.EINVALID, "includes the whole of SNOMED CT less some of its concepts, which a search cannot match: include the concepts below one instead")
		case len(inc.Minus) > 0:
			codes, err := lessMinus(ctx, s, p, inc.Minus, inc.Codes, func(code string) string { return code })
			if err != nil && crs.ErrorCode(err) != crs.EINVALID {
				return nil, err
			} else if err != nil {
				return nil, crs.Errorf(crs.EINVALID, "takes SNOMED CT concepts away, and %s", crs.ErrorMessage(err))
			}
			incs[i] = ValueSetInclude{System: inc.System, Codes: codes, Display: inc.Display}
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

// refsetReady says why a reference set of the trust's SNOMED CT release
// cannot be read: no release, or none with the reference set's concept.
func (s *Server) refsetReady(ctx context.Context, p *Principal, refset string) error {
	if err := s.snomedReady(ctx, p); err != nil {
		return err
	}
	if _, err := s.Terminology.FindConcept(ctx, p.Actor, refset); crs.ErrorCode(err) == crs.ENOTFOUND {
		return crs.Errorf(crs.EINVALID, "the trust's SNOMED CT release has no reference set %s: load the release that holds it, with its der2_Refset_Simple files", refset)
	} else if err != nil {
		return err
	}
	return nil
}

// includeReady says why what an include held by the trust's SNOMED CT
// release holds cannot be read: a reference set of it, or of what it
// takes away, that the release lacks.
func (s *Server) includeReady(ctx context.Context, p *Principal, in ValueSetInclude) error {
	if in.Refset != "" {
		if err := s.refsetReady(ctx, p, in.Refset); err != nil {
			return err
		}
	}
	for _, m := range in.Minus {
		if err := s.includeReady(ctx, p, m); err != nil {
			return err
		}
	}
	return nil
}

// snomedConcepts lists the concepts of the trust's SNOMED CT release an
// include held by it holds (below a concept, a reference set's, or the
// reference sets), at
// most limit+1: more than limit says there are more, and are listed
// before its MINUS takes its part; none below a concept the release
// lacks (one of another edition).
func (s *Server) snomedConcepts(ctx context.Context, p *Principal, in ValueSetInclude, limit int) ([]*nhs.Concept, error) {
	var found []*nhs.Concept
	var err error
	switch {
	case in.Refset != "":
		if err := s.refsetReady(ctx, p, in.Refset); err != nil {
			return nil, err
		}
		found, err = s.Terminology.RefsetMembers(ctx, p.Actor, in.Refset, limit)
	case in.Refsets:
		if err := s.snomedReady(ctx, p); err != nil {
			return nil, err
		}
		found, err = s.Terminology.Refsets(ctx, p.Actor, limit)
	default:
		if err := s.snomedReady(ctx, p); err != nil {
			return nil, err
		}
		found, err = s.Terminology.Descendants(ctx, p.Actor, in.IsA, !in.Strict, limit)
	}
	if err != nil || len(found) > limit {
		return found, err
	}
	return lessMinus(ctx, s, p, in.Minus, found, func(c *nhs.Concept) string { return c.ID })
}

// snomedHolds says whether an include of SNOMED CT codes holds code: below
// its concept, listed by its reference set, named by it, or of the
// system it takes whole; and none of its Minus holds it.
func (s *Server) snomedHolds(ctx context.Context, p *Principal, in ValueSetInclude, code string) (bool, error) {
	held, err := true, error(nil)
	switch {
	case in.IsA != "":
		held, err = s.Terminology.Subsumes(ctx, p.Actor, in.IsA, code)
		held = held && !(in.Strict && code == in.IsA)
	case in.Refset != "":
		held, err = s.Terminology.InRefset(ctx, p.Actor, in.Refset, code)
	case in.Refsets:
		held, err = s.Terminology.IsRefset(ctx, p.Actor, code)
	case in.Codes != nil:
		held = slices.Contains(in.Codes, code)
	}
	if err != nil || !held {
		return false, err
	}
	for _, m := range in.Minus {
		if out, err := s.snomedHolds(ctx, p, m, code); err != nil || out {
			return false, err
		}
	}
	return true, nil
}

// lessMinus takes from items the SNOMED CT codes that any of minus
// holds: what one of minus holds is listed once when it is at most
// maxSNOMEDBelow concepts and there are many items, else asked of each
// item. A reference set the release lacks is an error.
func lessMinus[T any](ctx context.Context, s *Server, p *Principal, minus []ValueSetInclude, items []T, code func(T) string) ([]T, error) {
	for _, m := range minus {
		if err := s.includeReady(ctx, p, m); err != nil {
			return nil, err
		}
		var listed map[string]bool
		switch {
		case m.Codes != nil && len(m.Minus) == 0:
			listed = map[string]bool{}
			for _, c := range m.Codes {
				listed[c] = true
			}
		case m.byRelease() && len(items) > minusAskedEach:
			found, err := s.snomedConcepts(ctx, p, m, maxSNOMEDBelow)
			if err != nil {
				return nil, err
			}
			if len(found) <= maxSNOMEDBelow {
				listed = map[string]bool{}
				for _, c := range found {
					listed[c.ID] = true
				}
			}
		}
		kept := make([]T, 0, len(items))
		for _, it := range items {
			held := listed[code(it)]
			if listed == nil {
				var err error
				if held, err = s.snomedHolds(ctx, p, m, code(it)); err != nil {
					return nil, err
				}
			}
			if !held {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	return items, nil
}

// minusAskedEach is how many codes a MINUS is asked of one by one rather
// than listing what it takes away.
const minusAskedEach = 50

// conceptFilter reads an include of a value set's compose that selects
// SNOMED CT concepts by the trust's release, with one filter: concept
// is-a or descendent-of a concept, concept in reference sets (each
// written with ^ or not, separated by commas), or an expression
// constraint (constraint =) of the forms readECL reads, as UK Core's
// value sets write them. It returns an include for each part of what
// it holds, the concepts named alone in one. An error says why another
// filter is not expanded (a refinement, AND, ancestors), as the end of
// a sentence naming the value set.
func conceptFilter(system string, inc map[string]any) ([]ValueSetInclude, error) {
	filters := array(inc["filter"])
	if system != nhs.SNOMEDSystem || len(filters) != 1 || inc["concept"] != nil || inc["valueSet"] != nil {
		return nil, crs.Errorf(crs.EINVALID, "includes codes of %s by a filter, which this server cannot expand: it expands one filter of SNOMED CT by its hierarchy or reference sets", cmp.Or(system, "no system"))
	}
	f, _ := filters[0].(map[string]any)
	property, _ := f["property"].(string)
	op, _ := f["op"].(string)
	value, _ := f["value"].(string)
	value = strings.TrimSpace(value)
	refused := func(why string) error {
		return crs.Errorf(crs.EINVALID, "includes SNOMED CT codes by the filter %s %s %q, which this server cannot expand (%s): it expands concept is-a, descendent-of or in (a reference set) a concept, refset exists true (the reference sets), and constraints of concepts, descendantOrSelfOf (<<), descendantOf (<) and memberOf (^) concepts joined by OR, and one such MINUS another", property, op, value, why)
	}
	switch {
	case property == "concept" && (op == "is-a" || op == "descendent-of") && nhs.CheckSCTID(value) == nil:
		return []ValueSetInclude{{System: system, IsA: value, Strict: op == "descendent-of"}}, nil
	case property == "refset" && op == "exists" && value == "true":
		// SNOMED CT's own value set of its reference sets (?fhir_vs=refset),
		// as implicitSNOMED writes it.
		return []ValueSetInclude{{System: system, Refsets: true}}, nil
	case property == "concept" && op == "in":
		var out []ValueSetInclude
		for _, r := range strings.Split(value, ",") {
			r = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r), "^"))
			if err := nhs.CheckSCTID(r); err != nil {
				return nil, refused(err.Error())
			}
			out = append(out, ValueSetInclude{System: system, Refset: r})
		}
		return out, nil
	case property != "constraint" || op != "=":
		return nil, refused("not a filter of those")
	}
	out, err := readECL(system, value)
	if err != nil {
		return nil, refused(err.Error())
	}
	return out, nil
}

// expandValueSet lists what the value set at url (url|version) includes:
// one the trust holds in its resource store, else one of R4's or UK
// Core's (valueSetTable, generated from their definitions). An error
// says why it cannot (none known by the url, a filter it cannot read),
// as the end of a sentence naming the value set.
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
// ValueSet whose compose names what valueSetTable holds. A relative
// reference (ValueSet/id) names the trust's value set of that id. An
// error says none is known, as the end of a sentence naming the value
// set.
func (s *Server) findValueSet(ctx context.Context, p *Principal, canonical string) (Resource, error) {
	if id, ok := strings.CutPrefix(canonical, "ValueSet/"); ok && id != "" && !strings.ContainsAny(id, "/|") {
		return s.storedValueSet(ctx, p, id)
	}
	url, version, _ := strings.Cut(canonical, "|")
	vs, err := s.storedByURL(ctx, p, "ValueSet", url, version)
	if err != nil || vs != nil {
		return vs, err
	}
	if query, ok := strings.CutPrefix(url, nhs.SNOMEDSystem+"?"); ok {
		return implicitSNOMED(url, query)
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

// storedValueSet returns the trust's ValueSet of an id; an error says
// it holds none, as the end of a sentence naming it.
func (s *Server) storedValueSet(ctx context.Context, p *Principal, id string) (Resource, error) {
	if s.Resources == nil || !p.Actor.Can(crs.ActViewClinical) {
		return nil, crs.Errorf(crs.ENOTFOUND, "is not known: the trust's value sets are not read here")
	}
	found, err := s.Resources.ReadResource(ctx, p.Actor, "ValueSet", id, 0)
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return nil, crs.Errorf(crs.ENOTFOUND, "is not known: the trust holds no ValueSet of that id (POST it as a ValueSet)")
	} else if err != nil {
		return nil, err
	}
	return Decode(found.Body)
}

// implicitSNOMED returns the value set SNOMED CT's own url names (its
// query after http://snomed.info/sct?): fhir_vs, the whole of it;
// fhir_vs=isa/C, C and the concepts that are a kind of it;
// fhir_vs=refset/R, the concepts the reference set R lists;
// fhir_vs=refset, the reference sets of the trust's release themselves
// (written as the filter refset exists true). An error
// says why another is not known, as the end of a sentence naming it.
func implicitSNOMED(url, query string) (Resource, error) {
	include := map[string]any{"system": nhs.SNOMEDSystem}
	vs, _ := strings.CutPrefix(query, "fhir_vs")
	kind, id, _ := strings.Cut(strings.TrimPrefix(vs, "="), "/")
	switch {
	case vs == "":
	case kind == "isa" && nhs.CheckSCTID(id) == nil:
		include["filter"] = []any{map[string]any{"property": "concept", "op": "is-a", "value": id}}
	case vs == "=refset":
		include["filter"] = []any{map[string]any{"property": "refset", "op": "exists", "value": "true"}}
	case kind == "refset" && nhs.CheckSCTID(id) == nil:
		include["filter"] = []any{map[string]any{"property": "concept", "op": "in", "value": id}}
	default:
		return nil, crs.Errorf(crs.ENOTFOUND, "is not a value set of SNOMED CT this server knows: it knows %s?fhir_vs (the whole of it), ?fhir_vs=isa/[concept], ?fhir_vs=refset (its reference sets) and ?fhir_vs=refset/[reference set]", nhs.SNOMEDSystem)
	}
	return Resource{"resourceType": "ValueSet", "url": url, "status": "active", "compose": map[string]any{"include": []any{include}}}, nil
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
// system whole, filters, other value sets) less what its excludes, of
// the same forms, hold.
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
		in, err := s.composeEntry(ctx, p, inc, depth, "includes")
		if err != nil {
			return nil, err
		}
		out = append(out, in...)
	}
	for i, x := range array(compose["exclude"]) {
		exc, _ := x.(map[string]any)
		if exc["system"] == nil && exc["valueSet"] == nil {
			return nil, crs.Errorf(crs.EINVALID, "excludes nothing at compose.exclude[%d]: an exclude names a system or value sets", i)
		}
		verb := fmt.Sprintf("excludes at compose.exclude[%d]", i)
		minus, err := s.composeEntry(ctx, p, exc, depth, verb)
		if err != nil {
			return nil, err
		}
		if out, err = s.takeAway(ctx, p, out, minus); err != nil {
			return nil, crs.Errorf(crs.EINVALID, "%s %s", verb, crs.ErrorMessage(err))
		}
	}
	return out, nil
}

// composeEntry reads one include or exclude (verb says which, for
// errors) of a value set's compose: codes of a system named one by one,
// a system whole, filters of SNOMED CT or of a CodeSystem the trust
// stores, other value sets.
func (s *Server) composeEntry(ctx context.Context, p *Principal, inc map[string]any, depth int, verb string) ([]ValueSetInclude, error) {
	system, _ := inc["system"].(string)
	if inc["filter"] != nil {
		if system != nhs.SNOMEDSystem && system != "" {
			in, err := s.storedFilter(ctx, p, system, inc)
			if err != nil {
				return nil, crs.Errorf(crs.EINVALID, "%s%s", verb, strings.TrimPrefix(crs.ErrorMessage(err), "includes"))
			}
			return []ValueSetInclude{in}, nil
		}
		in, err := conceptFilter(system, inc)
		if err != nil {
			return nil, crs.Errorf(crs.EINVALID, "%s%s", verb, strings.TrimPrefix(crs.ErrorMessage(err), "includes"))
		}
		return in, nil
	}
	nested := array(inc["valueSet"])
	if len(nested) > 0 && (system != "" || inc["concept"] != nil) {
		return nil, crs.Errorf(crs.EINVALID, "%s the codes of a system that are in another value set, which this server cannot expand", verb)
	}
	var out []ValueSetInclude
	for _, n := range nested {
		url, _ := n.(string)
		more, err := s.expandValueSet(ctx, p, url, depth+1)
		if err != nil {
			return nil, crs.Errorf(crs.EINVALID, "%s %s, which %v", verb, url, err)
		}
		out = append(out, more...)
	}
	if system == "" {
		return out, nil
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
	return append(out, in), nil
}

// takeAway takes what an exclude holds (minus) from what a value set
// includes: an exclude of a system whole drops its includes; one of
// SNOMED CT codes becomes a MINUS of each include of SNOMED CT, read
// from the trust's release when the value set is used; one of another
// system's codes takes them from the codes listed, or from those of a
// system included whole that the server holds. An error says why not,
// as the end of a sentence saying what the exclude is.
func (s *Server) takeAway(ctx context.Context, p *Principal, out, minus []ValueSetInclude) ([]ValueSetInclude, error) {
	for _, m := range minus {
		whole := m.Codes == nil && !m.byRelease() && len(m.Minus) == 0
		kept := out[:0:0]
		for _, in := range out {
			switch {
			case in.System != m.System:
			case whole:
				continue
			case m.Codes != nil && len(m.Minus) == 0 && in.Codes != nil && len(in.Minus) == 0:
				in.Codes = slices.DeleteFunc(slices.Clone(in.Codes), func(c string) bool { return slices.Contains(m.Codes, c) })
			case in.System == nhs.SNOMEDSystem:
				in.Minus = append(slices.Clone(in.Minus), m)
			default:
				// A whole system other than SNOMED CT: its codes, less
				// those the exclude names.
				all, err := s.codeSystemConcepts(ctx, p, in.System)
				if err != nil {
					return nil, crs.Errorf(crs.EINVALID, "codes of %s, which it includes whole, %s", in.System, crs.ErrorMessage(err))
				}
				in.Codes = []string{}
				for _, c := range all {
					if !slices.Contains(m.Codes, c.Code) {
						in.Codes = append(in.Codes, c.Code)
					}
				}
			}
			kept = append(kept, in)
		}
		out = kept
	}
	return out, nil
}
