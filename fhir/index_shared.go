package fhir

import (
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/opencrs/crs"
)

// sharedRows says where the values of a search parameter that has no
// index rows of its own are found: in the rows of other parameters of
// its resource type that index the same elements. Observation's patient
// indexes Observation.subject as subject does, so its values are the
// subject rows that refer to a Patient; combo-code indexes
// Observation.code and Observation.component.code, so its values are
// the rows of code and of component-code together. Each value is then
// written once.
type sharedRows struct {
	params []string // the parameters whose rows hold its values
	target string   // a reference parameter: only the references to this type
}

// shared holds, by resource type then parameter name, the parameters
// whose values are other parameters' rows; sharedTable fills it once.
var (
	shared     map[string]map[string]sharedRows
	sharedOnce sync.Once
)

// sharedTable returns shared, found from the search parameters of each
// type but those the typed core serves (but for those that share rows):
// the patient index and the PAS answer a search of theirs by the
// parameters' own names (identifier, patient, ...), so they keep their
// rows.
func sharedTable() map[string]map[string]sharedRows {
	sharedOnce.Do(func() {
		shared = map[string]map[string]sharedRows{}
		for typ, params := range searchParams {
			if typ == "Patient" || coreMappings[typ] != nil && !coreMappings[typ].sharesRows {
				continue
			}
			if m := sharedParams(params); len(m) > 0 {
				shared[typ] = m
			}
		}
	})
	return shared
}

// sharedParams finds, among the search parameters of one resource type,
// those whose rows would repeat others': a parameter indexing the same
// elements as another of its kind (the one of them with the most
// targets, then the first by name, keeps its rows), and one whose
// elements are those of others together.
func sharedParams(params map[string]*SearchParam) map[string]sharedRows {
	byPaths := map[string][]*SearchParam{}
	for name, p := range params {
		if len(p.Paths) == 0 || name == "_id" || name == "_lastUpdated" || p.Type == "composite" || p.Type == "special" {
			continue
		}
		key := p.Type + " " + strings.Join(sortedPaths(p), " ")
		byPaths[key] = append(byPaths[key], p)
	}
	out := map[string]sharedRows{}
	var kept []*SearchParam // the parameters with rows of their own
	for _, same := range byPaths {
		sort.Slice(same, func(i, j int) bool {
			if len(same[i].Targets) != len(same[j].Targets) {
				return len(same[i].Targets) > len(same[j].Targets)
			}
			if a, b := namesElement(same[i]), namesElement(same[j]); a != b {
				return a
			}
			return same[i].Name < same[j].Name
		})
		keep := same[0]
		kept = append(kept, keep)
		for _, p := range same[1:] {
			switch {
			case sameTargets(p, keep):
				out[p.Name] = sharedRows{params: []string{keep.Name}}
			case p.Type == "reference" && len(p.Targets) == 1 && slices.Contains(keep.Targets, p.Targets[0]):
				out[p.Name] = sharedRows{params: []string{keep.Name}, target: p.Targets[0]}
			default:
				kept = append(kept, p) // its targets are a choice of keep's that a type cannot say
			}
		}
	}
	// A parameter whose elements are those of others together, fewest
	// elements first, so that one made of others is no part of another.
	sort.Slice(kept, func(i, j int) bool {
		if len(kept[i].Paths) != len(kept[j].Paths) {
			return len(kept[i].Paths) < len(kept[j].Paths)
		}
		return kept[i].Name < kept[j].Name
	})
	var base []*SearchParam
	for _, p := range kept {
		if _, ok := out[p.Name]; ok {
			continue
		}
		var parts []string
		covered := map[string]bool{}
		for _, q := range base {
			if q.Type == p.Type && q.Name != p.Name && subset(q.Paths, p.Paths) {
				parts = append(parts, q.Name)
				for _, path := range q.Paths {
					covered[path] = true
				}
			}
		}
		if len(parts) > 1 && len(covered) == len(sortedPaths(p)) {
			sort.Strings(parts)
			out[p.Name] = sharedRows{params: parts}
			continue
		}
		base = append(base, p)
	}
	return out
}

// namesElement reports whether a parameter is named as the element it
// indexes (subject for Observation.subject).
func namesElement(p *SearchParam) bool {
	return len(p.Paths) == 1 && strings.HasSuffix(p.Paths[0], "."+p.Name)
}

func sortedPaths(p *SearchParam) []string {
	paths := slices.Clone(p.Paths)
	sort.Strings(paths)
	return slices.Compact(paths)
}

func sameTargets(a, b *SearchParam) bool {
	x, y := slices.Clone(a.Targets), slices.Clone(b.Targets)
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}

func subset(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}

// sharedOf returns where the values of the parameter name of typ are
// held, when they are other parameters' rows. A token's :text is
// held as the :text of the same parameters.
func sharedOf(typ, name string) (sharedRows, bool) {
	param, suffix, _ := strings.Cut(name, ":")
	sh, ok := sharedTable()[typ][param]
	if !ok || suffix == "" {
		return sh, ok
	}
	parts := make([]string, len(sh.params))
	for i, p := range sh.params {
		parts[i] = p + ":" + suffix
	}
	return sharedRows{params: parts, target: sh.target}, true
}

// hasOwnRows reports whether the parameter of typ is written to the
// search index under its own name.
func hasOwnRows(typ, name string) bool {
	_, ok := sharedTable()[typ][name]
	return !ok
}

// storedConditions turns a condition on a parameter of typ into the
// conditions, any of which matches, on the rows that hold its values:
// itself, or one on each parameter it shares rows with. A reference
// parameter held as the references to one type of another's keeps to
// that type, and refuses a value naming another.
func storedConditions(typ string, c crs.ResourceCondition) ([]crs.ResourceCondition, error) {
	sh, found := sharedOf(typ, c.Param)
	if !found {
		return []crs.ResourceCondition{c}, nil
	}
	if sh.target != "" && !strings.HasSuffix(c.Param, ":identifier") { // a logical reference names no type to keep to
		other := ""
		switch t, _, named := strings.Cut(c.Code, "/"); {
		case c.System != nil && *c.System != sh.target:
			other = *c.System
		case c.Target != nil && c.Target.Type != sh.target:
			other = c.Target.Type
		case named && c.Kind == "reference" && t != sh.target:
			other = t
		}
		if other != "" {
			return nil, crs.Errorf(crs.EINVALID, "%s refers to a %s, not a %s", c.Param, sh.target, other)
		}
		target := sh.target
		c.System = &target
	}
	cs := make([]crs.ResourceCondition, 0, len(sh.params))
	for _, p := range sh.params {
		x := c
		x.Param = p
		cs = append(cs, x)
	}
	return cs, nil
}

// storedGroup is storedConditions of each condition of a group.
func storedGroup(typ string, g []crs.ResourceCondition) ([]crs.ResourceCondition, error) {
	out := make([]crs.ResourceCondition, 0, len(g))
	for _, c := range g {
		cs, err := storedConditions(typ, c)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// rowOf reports whether an index row holds a value of the parameter
// name of typ: a row of its own, or of a parameter it shares rows with.
func rowOf(typ, name string, row crs.ResourceIndexRow) bool {
	sh, ok := sharedOf(typ, name)
	if !ok {
		return row.Param == name
	}
	return slices.Contains(sh.params, row.Param) && (sh.target == "" || row.System == sh.target)
}
