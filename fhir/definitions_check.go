package fhir

import (
	"fmt"
	"slices"
	"strings"
)

// UndefinedTerms lists what a resource OpenCRS serves uses of its own
// namespace that OpenCRS's definitions do not say: an extension with no
// StructureDefinition, or put on an element or with a value type its
// definition does not name; a coding of an OpenCRS code system that does
// not define the code; an identifier of an OpenCRS system with no
// NamingSystem (or, for one a code identifies, a code its CodeSystem
// does not define); any other OpenCRS url defined nowhere. Each is one line
// naming where it is. None means a validator loading OpenCRS's package
// knows everything the resource says.
func UndefinedTerms(r Resource) []string {
	var out []string
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e, path)
			}
		case string:
			if ownURL(x) && !definedURL(x) {
				out = append(out, fmt.Sprintf("%s: %s is defined nowhere", path, x))
			}
		case map[string]any:
			if t, _ := x["resourceType"].(string); t != "" {
				path = t
			}
			out = append(out, undefinedIn(x, path)...)
			for k, e := range x {
				if k != "system" && k != "url" { // checked by undefinedIn
					walk(e, path+"."+k)
				}
			}
		}
	}
	walk(map[string]any(r), r.Type())
	slices.Sort(out)
	return slices.Compact(out)
}

// undefinedIn checks the element at path itself: its extensions, and
// the element as a coding, an identifier or a canonical url.
func undefinedIn(x map[string]any, path string) []string {
	var out []string
	for _, key := range []string{"extension", "modifierExtension"} {
		for _, e := range array(x[key]) {
			m, _ := e.(map[string]any)
			url, _ := m["url"].(string)
			if !ownURL(url) {
				continue
			}
			def := extensionOf(url)
			if def == nil {
				out = append(out, fmt.Sprintf("%s.%s: %s has no StructureDefinition", path, key, url))
				continue
			}
			if !slices.Contains(def.Context, path) {
				out = append(out, fmt.Sprintf("%s.%s: %s is put on %s, not on the elements its definition names (%s)", path, key, url, path, strings.Join(def.Context, ", ")))
			}
			for k := range m {
				if t, ok := strings.CutPrefix(k, "value"); ok && !slices.Contains(def.Types, strings.ToLower(t[:1])+t[1:]) {
					out = append(out, fmt.Sprintf("%s.%s: %s has %s, a type its definition does not name (%s)", path, key, url, k, strings.Join(def.Types, ", ")))
				}
			}
		}
	}
	system, _ := x["system"].(string)
	switch code, isCoding := x["code"].(string); {
	case !ownURL(system):
	case isCoding:
		cs := codeSystemOf(system)
		if cs == nil {
			out = append(out, fmt.Sprintf("%s: %s is no CodeSystem of OpenCRS's", path, system))
		} else if len(cs.Concepts) > 0 && !slices.ContainsFunc(cs.Concepts, func(c conceptDef) bool { return c.Code == code }) {
			out = append(out, fmt.Sprintf("%s: %q is not a code of %s", path, code, system))
		}
	case x["value"] != nil:
		// An identifier's system is an identifier system, or a code
		// system whose code identifies the resource (an orderable test
		// by its code in the test catalogue).
		value, _ := x["value"].(string)
		if cs := codeSystemOf(system); cs != nil {
			if len(cs.Concepts) > 0 && !slices.ContainsFunc(cs.Concepts, func(c conceptDef) bool { return c.Code == value }) {
				out = append(out, fmt.Sprintf("%s: %q is not a code of %s", path, value, system))
			}
		} else if !slices.ContainsFunc(identifierSystemDefs, func(n identifierSystemDef) bool { return n.URL == system }) {
			out = append(out, fmt.Sprintf("%s: %s is no identifier system of OpenCRS's", path, system))
		}
	case !definedURL(system):
		out = append(out, fmt.Sprintf("%s: %s is defined nowhere", path, system))
	}
	// An extension's own url is checked above, on the element it is on.
	isExtension := strings.HasSuffix(path, ".extension") || strings.HasSuffix(path, ".modifierExtension")
	if url, _ := x["url"].(string); ownURL(url) && !isExtension && !definedURL(url) {
		out = append(out, fmt.Sprintf("%s.url: %s is defined nowhere", path, url))
	}
	return out
}

// extensionOf is OpenCRS's extension of url, nil when it has none.
func extensionOf(url string) *extensionDef {
	for i := range extensionDefs {
		if extensionDefs[i].URL == url {
			return &extensionDefs[i]
		}
	}
	return nil
}

// codeSystemOf is OpenCRS's code system of url, nil when it has none.
func codeSystemOf(url string) *codeSystemDef {
	for i := range codeSystemDefs {
		if codeSystemDefs[i].URL == url {
			return &codeSystemDefs[i]
		}
	}
	return nil
}

// definedURL says whether a url is one OpenCRS defines: an extension's,
// a code system's or an identifier system's.
func definedURL(url string) bool {
	return extensionOf(url) != nil || codeSystemOf(url) != nil ||
		slices.ContainsFunc(identifierSystemDefs, func(n identifierSystemDef) bool { return n.URL == url })
}
