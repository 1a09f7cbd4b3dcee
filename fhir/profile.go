package fhir

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Profile is a FHIR profile (a StructureDefinition such as UK Core's
// UKCore-Patient) as far as a served resource is checked against it:
// the elements its differential constrains, with their cardinalities,
// fixed and pattern values, required bindings and, for extensions,
// the extension's own profile.
type Profile struct {
	URL      string
	Type     string // the resource or data type it constrains ("Patient", "Extension")
	Elements []ProfileElement
}

// ProfileElement is one element the profile constrains, by its element
// id: "Patient.identifier:nhsNumber.system" is the system of the
// identifiers of the nhsNumber slice.
type ProfileElement struct {
	ID       string
	Min      *int
	Max      string   // "" when not constrained, "*" for many
	Fixed    any      // a fixed[x] value: must be equal
	Pattern  any      // a pattern[x] value: must be contained
	Required string   // the value set of a required binding
	Profiles []string // type profiles: an extension slice's extension
	Slicing  []string // discriminator paths of a sliced element (value or pattern)
}

// ParseProfile reads a StructureDefinition in FHIR XML.
func ParseProfile(data []byte) (*Profile, error) {
	var sd struct {
		URL          xmlValue `xml:"url"`
		Type         xmlValue `xml:"type"`
		Differential struct {
			Element []struct {
				ID      string     `xml:"id,attr"`
				Min     *xmlValue  `xml:"min"`
				Max     *xmlValue  `xml:"max"`
				Any     []xmlField `xml:",any"`
				Binding *struct {
					Strength xmlValue `xml:"strength"`
					ValueSet xmlValue `xml:"valueSet"`
				} `xml:"binding"`
				Type []struct {
					Profile []xmlValue `xml:"profile"`
				} `xml:"type"`
				Slicing *struct {
					Discriminator []struct {
						Path xmlValue `xml:"path"`
					} `xml:"discriminator"`
				} `xml:"slicing"`
			} `xml:"element"`
		} `xml:"differential"`
	}
	if err := xml.Unmarshal(data, &sd); err != nil {
		return nil, fmt.Errorf("read StructureDefinition: %w", err)
	}
	p := &Profile{URL: sd.URL.Value, Type: sd.Type.Value}
	for _, e := range sd.Differential.Element {
		pe := ProfileElement{ID: e.ID}
		if e.Min != nil {
			n, err := strconv.Atoi(e.Min.Value)
			if err == nil {
				pe.Min = &n
			}
		}
		if e.Max != nil {
			pe.Max = e.Max.Value
		}
		for _, f := range e.Any {
			switch {
			case strings.HasPrefix(f.XMLName.Local, "fixed"):
				pe.Fixed = f.value()
			case strings.HasPrefix(f.XMLName.Local, "pattern"):
				pe.Pattern = f.value()
			}
		}
		if e.Binding != nil && e.Binding.Strength.Value == "required" {
			pe.Required, _, _ = strings.Cut(e.Binding.ValueSet.Value, "|")
		}
		for _, t := range e.Type {
			for _, pr := range t.Profile {
				pe.Profiles = append(pe.Profiles, pr.Value)
			}
		}
		if e.Slicing != nil {
			for _, d := range e.Slicing.Discriminator {
				pe.Slicing = append(pe.Slicing, d.Path.Value)
			}
		}
		p.Elements = append(p.Elements, pe)
	}
	return p, nil
}

type xmlValue struct {
	Value string `xml:"value,attr"`
}

// xmlField is any element of FHIR XML, read generically: a primitive
// has a value attribute, a complex value child elements.
type xmlField struct {
	XMLName  xml.Name
	Value    *string    `xml:"value,attr"`
	Children []xmlField `xml:",any"`
}

// value is the field as JSON would hold it: a string, or an object of
// its children (repeated children as arrays).
func (f xmlField) value() any {
	if f.Value != nil && len(f.Children) == 0 {
		return *f.Value
	}
	obj := map[string]any{}
	for _, c := range f.Children {
		v := c.value()
		if have, ok := obj[c.XMLName.Local]; ok {
			arr, isArr := have.([]any)
			if !isArr {
				arr = []any{have}
			}
			obj[c.XMLName.Local] = append(arr, v)
			continue
		}
		obj[c.XMLName.Local] = v
	}
	return obj
}

// Profiles resolves profiles and value sets by their canonical URL, for
// checking: Profile returns nil for one it does not have, Codes false
// for a value set it cannot expand (its bindings are then not checked).
type Profiles interface {
	Profile(url string) *Profile
	Codes(valueSet string) (codes map[string]bool, ok bool)
}

// Check checks a resource (or, for an extension's profile, an
// extension) against the profile: each element the profile constrains
// occurs as often as it allows in each of its parents, equals its fixed
// value, contains its pattern, takes a code of its required binding,
// and each extension of a slice with a profile of its own conforms to
// that. Every problem is an Issue naming where it is.
func (p *Profile) Check(r map[string]any, all Profiles) []Issue {
	var issues []Issue
	fail := func(at, format string, args ...any) {
		issues = append(issues, Issue{Severity: "error", Code: "structure", Diagnostics: fmt.Sprintf(format, args...), Expression: at})
	}
	byID := map[string]*ProfileElement{}
	for i := range p.Elements {
		byID[p.Elements[i].ID] = &p.Elements[i]
	}
	for i := range p.Elements {
		e := &p.Elements[i]
		segs := strings.Split(e.ID, ".")
		parentID := strings.Join(segs[:len(segs)-1], ".")
		parents := []node{{p.Type, r}}
		if len(segs) > 2 {
			parents = p.nodes(r, segs[:len(segs)-1], byID)
		}
		if len(segs) == 1 {
			continue
		}
		for _, par := range parents {
			kids := p.children(par, segs[len(segs)-1], parentID, byID)
			if e.Min != nil && len(kids) < *e.Min {
				fail(par.at+"."+segs[len(segs)-1], "%s: at least %d required by %s, found %d", e.ID, *e.Min, p.URL, len(kids))
			}
			if e.Max != "" && e.Max != "*" {
				if max, err := strconv.Atoi(e.Max); err == nil && len(kids) > max {
					fail(par.at+"."+segs[len(segs)-1], "%s: at most %d allowed by %s, found %d", e.ID, max, p.URL, len(kids))
				}
			}
			for _, k := range kids {
				if e.Fixed != nil && !equalValue(k.v, e.Fixed) {
					fail(k.at, "%s must be %v (fixed by %s), not %v", e.ID, e.Fixed, p.URL, k.v)
				}
				if e.Pattern != nil && !containsValue(k.v, e.Pattern) {
					fail(k.at, "%s must match the pattern %v of %s", e.ID, e.Pattern, p.URL)
				}
				if e.Required != "" && all != nil {
					if codes, ok := all.Codes(e.Required); ok {
						for _, c := range codesOf(k.v) {
							if !codes[c] {
								fail(k.at, "%q is not a code of %s, which %s requires", c, e.Required, e.ID)
							}
						}
					}
				}
				if strings.HasPrefix(segs[len(segs)-1], "extension:") && all != nil {
					for _, url := range e.Profiles {
						if ep := all.Profile(url); ep != nil {
							if obj, ok := k.v.(map[string]any); ok {
								for _, is := range ep.Check(obj, all) {
									is.Expression = k.at + strings.TrimPrefix(is.Expression, "Extension")
									issues = append(issues, is)
								}
							}
						}
					}
				}
			}
		}
	}
	sort.SliceStable(issues, func(i, j int) bool { return issues[i].Expression < issues[j].Expression })
	return issues
}

// node is a value found at a path.
type node struct {
	at string
	v  any
}

// nodes finds the values at the element id's segments below the root.
func (p *Profile) nodes(r map[string]any, segs []string, byID map[string]*ProfileElement) []node {
	cur := []node{{p.Type, r}}
	for i := 1; i < len(segs); i++ {
		parentID := strings.Join(segs[:i], ".")
		var next []node
		for _, n := range cur {
			next = append(next, p.children(n, segs[i], parentID, byID)...)
		}
		cur = next
	}
	return cur
}

// children are the values of one segment ("identifier",
// "identifier:nhsNumber", "value[x]") of a node.
func (p *Profile) children(n node, seg, parentID string, byID map[string]*ProfileElement) []node {
	obj, ok := n.v.(map[string]any)
	if !ok {
		return nil
	}
	name, slice, _ := strings.Cut(seg, ":")
	var vals []node
	add := func(key string, v any) {
		if arr, ok := v.([]any); ok {
			for i, x := range arr {
				vals = append(vals, node{fmt.Sprintf("%s.%s[%d]", n.at, key, i), x})
			}
			return
		}
		vals = append(vals, node{n.at + "." + key, v})
	}
	if choice, ok := strings.CutSuffix(name, "[x]"); ok {
		for k, v := range obj {
			if strings.HasPrefix(k, choice) && len(k) > len(choice) {
				add(k, v)
			}
		}
	} else if v, ok := obj[name]; ok {
		add(name, v)
	}
	if slice == "" {
		return vals
	}
	sliceID := parentID + "." + seg
	var out []node
	for _, v := range vals {
		if p.inSlice(v.v, name, sliceID, parentID+"."+name, byID) {
			out = append(out, v)
		}
	}
	return out
}

// inSlice reports whether a value belongs to a slice: an extension by
// its url (the slice's profile), anything else by the fixed values of
// the discriminator paths the sliced element names.
func (p *Profile) inSlice(v any, name, sliceID, slicedID string, byID map[string]*ProfileElement) bool {
	obj, _ := v.(map[string]any)
	if name == "extension" {
		if e := byID[sliceID]; e != nil && len(e.Profiles) > 0 {
			return obj["url"] == e.Profiles[0]
		}
		return false
	}
	sliced := byID[slicedID]
	if sliced == nil || len(sliced.Slicing) == 0 {
		return false
	}
	for _, path := range sliced.Slicing {
		want := byID[sliceID+"."+path]
		if want == nil || want.Fixed == nil && want.Pattern == nil {
			return false
		}
		found := false
		for _, got := range walk(v, strings.Split(path, ".")) {
			found = found || want.Fixed != nil && equalValue(got, want.Fixed) || want.Pattern != nil && containsValue(got, want.Pattern)
		}
		if !found {
			return false
		}
	}
	return true
}

func equalValue(got, want any) bool {
	if n, ok := got.(json.Number); ok {
		got = string(n)
	}
	return reflect.DeepEqual(normal(got), normal(want))
}

// containsValue reports whether got holds everything of the pattern.
func containsValue(got, pattern any) bool {
	switch p := pattern.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, pv := range p {
			if !containsValue(g[k], pv) {
				return false
			}
		}
		return true
	case []any:
		for _, pv := range p {
			found := false
			for _, gv := range array(got) {
				found = found || containsValue(gv, pv)
			}
			if !found {
				return false
			}
		}
		return true
	}
	if arr, ok := got.([]any); ok {
		for _, g := range arr {
			if containsValue(g, pattern) {
				return true
			}
		}
		return false
	}
	return equalValue(got, pattern)
}

// normal writes a value as text where JSON and XML differ (booleans,
// numbers).
func normal(v any) any {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case map[string]any:
		out := map[string]any{}
		for k, y := range x {
			out[k] = normal(y)
		}
		return out
	case []any:
		if len(x) == 1 {
			return normal(x[0])
		}
		out := make([]any, len(x))
		for i, y := range x {
			out[i] = normal(y)
		}
		return out
	}
	return v
}

// codesOf are the codes of a code, Coding or CodeableConcept value.
func codesOf(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case map[string]any:
		if c, ok := x["code"].(string); ok {
			return []string{c}
		}
		var out []string
		for _, c := range array(x["coding"]) {
			out = append(out, codesOf(c)...)
		}
		return out
	}
	return nil
}
