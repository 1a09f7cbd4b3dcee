package fhir

import (
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// composite is a composite parameter's value in a search
// (component-code-value-quantity=http://loinc.org|8480-6$gt140): the
// store finds the resources with a value of each component, and the
// page keeps those where one element (the resource, or one of its
// components) holds all of them.
type composite struct {
	param *SearchParam
	conds []crs.ResourceCondition // one a component, in order
}

// addComposite reads a composite parameter's value: its components'
// values joined by $, each read as its own parameter's.
func (s *search) addComposite(typ, key string, p *SearchParam, modifier, value string, now time.Time) error {
	if !searchableComposite(typ, p) {
		return invalid("not-supported", key, "search parameter %s of %s is not supported", p.Name, typ)
	}
	if modifier != "" {
		return invalid("not-supported", key, "search parameter %s: a composite takes no modifier", key)
	}
	parts := splitUnescaped(value, '$')
	if len(parts) != len(p.Components) {
		return invalid("invalid", key, "search parameter %s: %q is not %d values joined by $", key, value, len(p.Components))
	}
	c := composite{param: p}
	var groups [][]crs.ResourceCondition
	for i, comp := range p.Components {
		cp, _ := SearchParamOf(typ, comp.Param)
		vals := splitValues(parts[i])
		if len(vals) != 1 {
			return invalid("not-supported", key, "search parameter %s: one value a composite (repeat the parameter for several)", key)
		}
		cond, err := condition(comp.Param, cp.Type, "", vals[0], now)
		if err != nil {
			return invalid("invalid", key, "search parameter %s, its %s: %v", key, comp.Param, err)
		}
		group, err := storedGroup(typ, []crs.ResourceCondition{cond})
		if err != nil {
			return invalid("invalid", key, "search parameter %s: %v", key, err)
		}
		groups = append(groups, group)
		c.conds = append(c.conds, cond)
	}
	s.query.All = append(s.query.All, groups...)
	s.checks = append(s.checks, pageCheck{param: p.Name, matches: c.matches})
	return nil
}

// searchableComposite reports whether a composite parameter of typ can
// be searched: each of its components a parameter of typ.
func searchableComposite(typ string, p *SearchParam) bool {
	for _, c := range p.Components {
		if cp, ok := SearchParamOf(typ, c.Param); !ok || cp.Type == "composite" || cp.Type == "special" {
			return false
		}
	}
	return len(p.Components) > 0
}

// splitUnescaped splits v at each sep not escaped by a backslash,
// leaving escapes for the parts' own reading.
func splitUnescaped(v string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case sep:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// matches reports whether one element of the resource at the
// composite's paths holds a value matching each component.
func (c composite) matches(r Resource) bool {
	for _, path := range c.param.Paths {
		var segs []string
		if _, rest, ok := strings.Cut(path, "."); ok {
			segs = strings.Split(rest, ".")
		}
		for _, el := range walk(map[string]any(r), segs) {
			if c.elementMatches(el) {
				return true
			}
		}
	}
	return false
}

func (c composite) elementMatches(el any) bool {
	for i, comp := range c.param.Components {
		if !componentMatches(el, comp, c.conds[i]) {
			return false
		}
	}
	return true
}

func componentMatches(el any, comp Component, cond crs.ResourceCondition) bool {
	for _, path := range comp.Paths {
		for _, v := range walk(el, strings.Split(path, ".")) {
			for _, row := range valueRows(comp.Param, cond.Kind, v) {
				if row.Param == comp.Param && rowMatches(row, cond) {
					return true
				}
			}
		}
	}
	return false
}

// rowMatches reports whether one index row matches a condition as the
// store's search does (store/resource_search.go): for the typed
// patients, searched in Go, and a composite's elements.
func rowMatches(row crs.ResourceIndexRow, c crs.ResourceCondition) bool {
	system := c.System == nil || *c.System == row.System
	switch c.Kind {
	case "token":
		if c.Code == "" && c.System != nil {
			return system
		}
		return system && row.Code == c.Code
	case "string":
		switch c.Op {
		case crs.MatchExact:
			return row.Code == c.Code
		case crs.MatchContains:
			return strings.Contains(row.Text, c.Text)
		}
		return strings.HasPrefix(row.Text, c.Text)
	case "reference", "uri":
		if c.Op == crs.MatchBelow {
			sep := "/"
			if strings.Contains(c.Code, "|") { // a canonical's version
				sep = "."
			}
			return row.Code == c.Code || strings.HasPrefix(row.Code, c.Code+sep)
		}
		return system && (row.Code == c.Code || row.Text == c.Code)
	case "exists":
		return system
	case "number", "quantity":
		if row.Num == nil || c.Kind == "quantity" && c.Code != "" && (!system || row.Code != c.Code) {
			return false
		}
		n := *row.Num
		switch c.Op {
		case crs.MatchNe:
			return !(n >= c.NumLo && n < c.NumHi)
		case crs.MatchGt, crs.MatchSa:
			return n >= c.NumHi
		case crs.MatchLt, crs.MatchEb:
			return n < c.NumLo
		case crs.MatchGe:
			return n >= c.NumLo
		case crs.MatchLe:
			return n < c.NumHi
		}
		return n >= c.NumLo && n < c.NumHi
	case "date":
		lo, hi := row.Lo, row.Hi
		switch c.Op {
		case crs.MatchNe:
			return !(!lo.Before(c.Lo) && !hi.After(c.Hi))
		case crs.MatchGt:
			return hi.After(c.Hi)
		case crs.MatchLt:
			return lo.Before(c.Lo)
		case crs.MatchGe:
			return hi.After(c.Lo)
		case crs.MatchLe:
			return lo.Before(c.Hi)
		case crs.MatchSa:
			return !lo.Before(c.Hi)
		case crs.MatchEb:
			return !hi.After(c.Lo)
		case crs.MatchAp:
			return lo.Before(c.Hi) && hi.After(c.Lo)
		}
		return !lo.Before(c.Lo) && !hi.After(c.Hi)
	}
	return false
}

// keep reports whether a match of the store holds every composite's
// values in one element.
func (s *search) keep(res *crs.Resource) bool {
	if len(s.checks) == 0 {
		return true
	}
	r, err := Decode(res.Body)
	if err != nil {
		return false
	}
	return s.keepServed(r)
}

// keepServed reports whether a served resource matches every check of
// the search.
func (s *search) keepServed(r Resource) bool {
	for _, c := range s.checks {
		if !c.matches(r) {
			return false
		}
	}
	return true
}
