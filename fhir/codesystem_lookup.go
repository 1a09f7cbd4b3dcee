package fhir

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// modelCodes are the concepts of each code system of R4, UK Core or
// OpenCRS the server knows, by the system's url: those whose definitions
// list them whole (codeSystemTable, and OpenCRS's own in codeSystemDefs),
// with what they are called, and, for other systems, the codes R4's and
// UK Core's value sets name (valueSetTable), with what the first value
// set to name a code calls it.
var modelCodes = sync.OnceValue(func() map[string][]codeEntry {
	out := map[string][]codeEntry{}
	seen := map[[2]string]bool{}
	for _, cs := range codeSystemDefs {
		for _, c := range cs.Concepts {
			out[cs.URL] = append(out[cs.URL], codeEntry{System: cs.URL, Code: c.Code, Display: c.Display})
		}
	}
	for _, url := range slices.Sorted(maps.Keys(codeSystemTable)) {
		for _, c := range codeSystemTable[url].Concepts {
			seen[[2]string{url, c.Code}] = true
			k := url + "|" + c.Code
			out[url] = append(out[url], codeEntry{System: url, Code: c.Code, Display: c.Display,
				Designations: conceptDesignations[k], Inactive: slices.Contains(inactiveConcepts, k)})
		}
	}
	for _, vs := range slices.Sorted(maps.Keys(valueSetTable)) {
		for _, in := range valueSetTable[vs] {
			for i, c := range in.Codes {
				if k := [2]string{in.System, c}; !seen[k] {
					seen[k] = true
					e := codeEntry{System: in.System, Code: c}
					if i < len(in.Displays) {
						e.Display = in.Displays[i]
					}
					out[in.System] = append(out[in.System], e)
				}
			}
		}
	}
	return out
})

// codeSystemConcepts lists the concepts of a code system the server
// holds whole: a CodeSystem the trust stores, else one whose codes R4's
// or UK Core's value sets list. SNOMED CT is never listed whole. An error
// says why not, as the end of a sentence naming the system.
func (s *Server) codeSystemConcepts(ctx context.Context, p *Principal, system string) ([]codeEntry, error) {
	url, version, _ := strings.Cut(system, "|")
	cs, err := s.storedByURL(ctx, p, "CodeSystem", url, version)
	if err != nil {
		return nil, err
	}
	if cs != nil {
		return storedConcepts(url, cs), nil
	}
	if codes, ok := modelCodes()[url]; ok {
		return codes, nil
	}
	return nil, crs.Errorf(crs.EINVALID, "whose codes this server does not hold (POST the CodeSystem with its concepts)")
}

// storedConcepts lists the concepts of a CodeSystem the trust stores,
// of url, each with the codes it is nested in or names as its parent
// (the properties parent and child).
func storedConcepts(url string, cs Resource) []codeEntry {
	var out []codeEntry
	childOf := map[string][]string{} // a code's parents that name it their child
	var walk func([]any, string)
	walk = func(cs []any, parent string) {
		for _, x := range cs {
			m, _ := x.(map[string]any)
			c := codeEntry{System: url}
			if parent != "" {
				c.Parents = []string{parent}
			}
			c.Code, _ = m["code"].(string)
			c.Display, _ = m["display"].(string)
			for _, d := range array(m["designation"]) {
				dm, _ := d.(map[string]any)
				if v, _ := dm["value"].(string); v != "" {
					c.Designations = append(c.Designations, v)
				}
			}
			for _, x := range array(m["property"]) {
				pm, _ := x.(map[string]any)
				if pm["code"] == "inactive" && pm["valueBoolean"] == true || pm["code"] == "status" && pm["valueCode"] == "retired" {
					c.Inactive = true
				}
				// A hierarchy given by the properties parent and child
				// rather than by nesting.
				if v, _ := pm["valueCode"].(string); v != "" && c.Code != "" {
					switch pm["code"] {
					case "parent":
						c.Parents = append(c.Parents, v)
					case "child":
						childOf[v] = append(childOf[v], c.Code)
					}
				}
			}
			if c.Code != "" {
				out = append(out, c)
			}
			walk(array(m["concept"]), c.Code)
		}
	}
	walk(array(cs["concept"]), "")
	for i, c := range out {
		for _, parent := range childOf[c.Code] {
			if !slices.Contains(c.Parents, parent) {
				out[i].Parents = append(out[i].Parents, parent)
			}
		}
	}
	return out
}

// findCode returns a code of a code system: from the trust's SNOMED CT
// release, a CodeSystem the trust stores, or R4's and UK Core's value
// sets. ENOTFOUND when the system is known and the code is not in it,
// EINVALID when the system is not known.
func (s *Server) findCode(ctx context.Context, p *Principal, system, code string) (*codeEntry, error) {
	if system == nhs.SNOMEDSystem {
		if err := s.snomedReady(ctx, p); err != nil {
			return nil, err
		}
		c, err := s.Terminology.FindConcept(ctx, p.Actor, code)
		if err != nil {
			if crs.ErrorCode(err) == crs.ENOTFOUND {
				return nil, crs.Errorf(crs.ENOTFOUND, "%q is not an active concept of the trust's SNOMED CT release", code)
			}
			return nil, err
		}
		out := conceptEntry(c)
		return &out, nil
	}
	all, err := s.codeSystemConcepts(ctx, p, system)
	if url, _, _ := strings.Cut(system, "|"); err != nil && codeSystemOf(url) != nil {
		return nil, crs.Errorf(crs.EINVALID, "the code system %s is OpenCRS's, and lists no codes: %s", system, codeSystemOf(url).Description)
	}
	if err != nil {
		return nil, crs.Errorf(crs.EINVALID, "the code system %s is not known: neither the trust's (POST it as a CodeSystem) nor SNOMED CT nor one whose codes R4's or UK Core's value sets list", system)
	}
	for _, c := range all {
		if c.Code == code {
			return &c, nil
		}
	}
	return nil, crs.Errorf(crs.ENOTFOUND, "%q is not a code of %s", code, system)
}

// codingParam is one code an operation is asked about, and where it was
// given, for errors.
type codingParam struct {
	system, code, display, where string
}

// operandCodings returns the codes an operation is asked about: the
// parameters code, its system (named systemParam: system, or url for a
// CodeSystem's operations) and display, or the parameter coding, or the
// codings of the parameter codeableConcept.
func operandCodings(o *opParams, systemParam string) ([]codingParam, error) {
	var out []codingParam
	fromCoding := func(c map[string]any, at string) {
		p := codingParam{where: at}
		p.system, _ = c["system"].(string)
		p.code, _ = c["code"].(string)
		p.display, _ = c["display"].(string)
		out = append(out, p)
	}
	if c, at := o.complex("coding", "valueCoding"); at != "" {
		if c == nil {
			return nil, invalid("invalid", at, "%s: the parameter coding is a Coding (valueCoding)", o.op)
		}
		fromCoding(c, at)
	} else if cc, at := o.complex("codeableConcept", "valueCodeableConcept"); at != "" {
		if cc == nil || len(array(cc["coding"])) == 0 {
			return nil, invalid("invalid", at, "%s: the parameter codeableConcept is a CodeableConcept with codings (valueCodeableConcept)", o.op)
		}
		for i, c := range array(cc["coding"]) {
			m, _ := c.(map[string]any)
			fromCoding(m, fmt.Sprintf("%s.coding[%d]", at, i))
		}
	} else {
		p := codingParam{}
		p.code, p.where = o.str("code")
		p.system, _ = o.str(systemParam)
		p.display, _ = o.str("display")
		out = append(out, p)
	}
	for _, p := range out {
		switch {
		case p.code == "":
			return nil, invalid("required", p.where, "%s takes the code: the parameters %s and code, coding or codeableConcept", o.op, systemParam)
		case p.system == "" && p.where == "code":
			return nil, invalid("required", systemParam, "%s takes the code's system: the parameter %s", o.op, systemParam)
		case p.system == "":
			return nil, invalid("required", p.where+".system", "%s takes the code's system", o.op)
		}
	}
	return out, nil
}

// handleCodeSystemLookup answers CodeSystem/$lookup: what a code of a
// code system is called (display, its other names as designations),
// the system's name and version, and whether the code is active, from
// the trust's SNOMED CT release, a CodeSystem the trust stores, or R4's
// and UK Core's definitions, and what it is directly a kind of (parent:
// by the release's is-a relationships, or the concept a stored
// CodeSystem nests it in). With property, only the properties named
// (version, designation, inactive, parent, and child, the codes directly
// a kind of it, answered only when named) are answered besides name and
// display, which R4 always answers. A code not in a known system is 404,
// a system not known 400.
func (s *Server) handleCodeSystemLookup(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := p.allow("CodeSystem", false); err != nil {
		return err
	}
	o, err := readOpParams(r, "$lookup")
	if err != nil {
		return err
	}
	codings, err := operandCodings(o, "system")
	if err != nil {
		return err
	}
	system, code, where := codings[0].system, codings[0].code, codings[0].where
	if v, _ := o.str("version"); v != "" && system != nhs.SNOMEDSystem {
		system += "|" + v
	}
	c, err := s.findCode(r.Context(), p, system, code)
	switch crs.ErrorCode(err) {
	case "":
	case crs.ENOTFOUND:
		return &Outcome{Status: http.StatusNotFound, Issues: []Issue{{Severity: "error", Code: "not-found", Expression: where, Diagnostics: "$lookup: " + crs.ErrorMessage(err)}}}
	case crs.EINVALID:
		return invalid("not-supported", "system", "$lookup: %s", crs.ErrorMessage(err))
	default:
		return err
	}
	name, version, err := s.codeSystemName(r.Context(), p, system)
	if err != nil {
		return err
	}
	asked := o.all("property")
	wants := func(property string) bool { return len(asked) == 0 || slices.Contains(asked, property) }
	params := []any{map[string]any{"name": "name", "valueString": name}}
	if version != "" && wants("version") {
		params = append(params, map[string]any{"name": "version", "valueString": version})
	}
	if c.Display != "" {
		params = append(params, map[string]any{"name": "display", "valueString": c.Display})
	}
	if wants("designation") {
		for _, d := range c.Designations {
			params = append(params, map[string]any{"name": "designation", "part": []any{map[string]any{"name": "value", "valueString": d}}})
		}
	}
	property := func(code string, value map[string]any) {
		value["name"] = "value"
		params = append(params, map[string]any{"name": "property", "part": []any{map[string]any{"name": "code", "valueCode": code}, value}})
	}
	if wants("inactive") {
		property("inactive", map[string]any{"valueBoolean": c.Inactive})
	}
	if wants("parent") {
		for _, id := range c.Parents {
			property("parent", map[string]any{"valueCode": id})
		}
	}
	if slices.Contains(asked, "child") {
		// Asked for only: a concept high in a hierarchy has many.
		children, err := s.childCodes(r.Context(), p, system, c.Code)
		if err != nil {
			return err
		}
		for _, id := range children {
			property("child", map[string]any{"valueCode": id})
		}
	}
	return writeParameters(w, params)
}

// childCodes lists the codes directly a kind of code: in the trust's
// SNOMED CT release, or nested in it in a CodeSystem.
func (s *Server) childCodes(ctx context.Context, p *Principal, system, code string) ([]string, error) {
	if system == nhs.SNOMEDSystem {
		return s.Terminology.Children(ctx, p.Actor, code)
	}
	all, err := s.codeSystemConcepts(ctx, p, system)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range all {
		if slices.Contains(c.Parents, code) {
			out = append(out, c.Code)
		}
	}
	return out, nil
}

// codeSystemName is a code system's name for people and its version,
// as $lookup answers them: a stored CodeSystem's title (else its name),
// an R4, UK Core or OpenCRS one's from its definition, "SNOMED CT" for SNOMED CT;
// its url, and no version, when none is known.
func (s *Server) codeSystemName(ctx context.Context, p *Principal, system string) (string, string, error) {
	url, version, _ := strings.Cut(system, "|")
	if url == nhs.SNOMEDSystem {
		return "SNOMED CT", "", nil
	}
	cs, err := s.storedByURL(ctx, p, "CodeSystem", url, version)
	if err != nil {
		return "", "", err
	}
	if cs != nil {
		title, _ := cs["title"].(string)
		name, _ := cs["name"].(string)
		v, _ := cs["version"].(string)
		return cmp.Or(title, name, url), v, nil
	}
	if m, ok := codeSystemTable[url]; ok {
		return cmp.Or(m.Name, url), m.Version, nil
	}
	for _, cs := range codeSystemDefs {
		if cs.URL == url {
			return cs.Title, "", nil
		}
	}
	return url, version, nil
}

// writeParameters answers a Parameters holding params.
func writeParameters(w http.ResponseWriter, params []any) error {
	out, err := json.Marshal(map[string]any{"resourceType": "Parameters", "parameter": params})
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "write the parameters: %w", err)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
