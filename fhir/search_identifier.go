package fhir

import (
	"slices"
	"strings"

	"github.com/opencrs/crs"
)

// addOfType reads an identifier parameter's :of-type
// (identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|123):
// the identifier whose type has that coding and whose value is that
// value, each of the three given, as R4 asks. The store finds the resources with an identifier of the value
// (of any system), and each page keeps those where the same identifier
// has the type.
func (s *search) addOfType(typ, key string, p *SearchParam, value string) error {
	if !identifierParam(p) {
		return invalid("not-supported", key, "search parameter %s: :of-type is for identifiers, and %s of %s is not one", key, p.Name, typ)
	}
	type ofType struct{ system, code, value string }
	var want []ofType
	var group []crs.ResourceCondition
	for _, v := range splitValues(value) {
		parts := pipeParts(v, 3)
		if len(parts) != 3 || slices.Contains(parts, "") {
			return invalid("invalid", key, "search parameter %s: %q is not the type's system|code and the identifier's value, joined by |: all three are needed", key, v)
		}
		want = append(want, ofType{parts[0], parts[1], parts[2]})
		group = append(group, crs.ResourceCondition{Param: p.Name, Kind: "token", Op: crs.MatchEq, Code: parts[2]})
	}
	group, err := storedGroup(typ, group)
	if err != nil {
		return invalid("invalid", key, "search parameter %s: %v", key, err)
	}
	s.query.All = append(s.query.All, group)
	s.checks = append(s.checks, pageCheck{param: key, core: true, matches: func(r Resource) bool {
		for _, path := range p.Paths {
			_, rest, _ := strings.Cut(path, ".")
			for _, el := range walk(map[string]any(r), strings.Split(rest, ".")) {
				id, _ := el.(map[string]any)
				v, _ := id["value"].(string)
				idType, _ := id["type"].(map[string]any)
				for _, c := range array(idType["coding"]) {
					coding, _ := c.(map[string]any)
					system, _ := coding["system"].(string)
					code, _ := coding["code"].(string)
					if slices.Contains(want, ofType{system, code, v}) {
						return true
					}
				}
			}
		}
		return false
	}})
	return nil
}

// identifierParam reports whether a token parameter's values are
// Identifiers, each of which may say its type.
func identifierParam(p *SearchParam) bool {
	for _, path := range p.Paths {
		if el := elementsByPath[path]; el == nil || !slices.Equal(el.Types, []string{"Identifier"}) {
			return false
		}
	}
	return len(p.Paths) > 0
}
