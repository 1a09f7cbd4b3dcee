package fhir

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// modelCodes are the codes of each code system whose codes R4's and UK
// Core's value sets list (valueSetTable), by the system's url.
var modelCodes = sync.OnceValue(func() map[string][]string {
	out := map[string][]string{}
	seen := map[[2]string]bool{}
	for _, incs := range valueSetTable {
		for _, in := range incs {
			for _, c := range in.Codes {
				if k := [2]string{in.System, c}; !seen[k] {
					seen[k] = true
					out[in.System] = append(out[in.System], c)
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
		var out []codeEntry
		var walk func([]any)
		walk = func(cs []any) {
			for _, x := range cs {
				m, _ := x.(map[string]any)
				c := codeEntry{System: url}
				c.Code, _ = m["code"].(string)
				c.Display, _ = m["display"].(string)
				for _, d := range array(m["designation"]) {
					dm, _ := d.(map[string]any)
					if v, _ := dm["value"].(string); v != "" {
						c.Designations = append(c.Designations, v)
					}
				}
				if c.Code != "" {
					out = append(out, c)
				}
				walk(array(m["concept"]))
			}
		}
		walk(array(cs["concept"]))
		return out, nil
	}
	if codes, ok := modelCodes()[url]; ok {
		out := make([]codeEntry, len(codes))
		for i, c := range codes {
			out[i] = codeEntry{System: url, Code: c}
		}
		return out, nil
	}
	return nil, crs.Errorf(crs.EINVALID, "whose codes this server does not hold (POST the CodeSystem with its concepts)")
}

// findCode returns a code of a code system: from the trust's SNOMED CT
// release, a CodeSystem the trust stores, or R4's and UK Core's value
// sets. ENOTFOUND when the system is known and the code is not in it,
// EINVALID when the system is not known.
func (s *Server) findCode(ctx context.Context, p *Principal, system, code string) (*codeEntry, error) {
	if system == nhs.SNOMEDSystem {
		if s.Terminology == nil {
			return nil, crs.Errorf(crs.EINVALID, "this server holds no SNOMED CT release")
		}
		if loaded, err := s.Terminology.SNOMEDLoaded(ctx, p.Actor); err != nil {
			return nil, err
		} else if !loaded {
			return nil, crs.Errorf(crs.EINVALID, "the trust has loaded no SNOMED CT release")
		}
		c, err := s.Terminology.FindConcept(ctx, p.Actor, code)
		if err != nil {
			if crs.ErrorCode(err) == crs.ENOTFOUND {
				return nil, crs.Errorf(crs.ENOTFOUND, "%q is not an active concept of the trust's SNOMED CT release", code)
			}
			return nil, err
		}
		out := &codeEntry{System: system, Code: c.ID, Display: c.Term}
		if c.FSN != "" {
			out.Designations = append(out.Designations, c.FSN)
		}
		out.Designations = append(out.Designations, c.Synonyms...)
		return out, nil
	}
	all, err := s.codeSystemConcepts(ctx, p, system)
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
// code system is called (display, its other names as designations) and
// whether it is active, from the trust's SNOMED CT release, a CodeSystem
// the trust stores, or R4's and UK Core's value sets (which list codes
// without their displays). A code not in a known system is 404, a system
// not known 400.
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
	name, _, _ := strings.Cut(system, "|")
	if name == nhs.SNOMEDSystem {
		name = "SNOMED CT"
	}
	params := []any{map[string]any{"name": "name", "valueString": name}}
	if c.Display != "" {
		params = append(params, map[string]any{"name": "display", "valueString": c.Display})
	}
	for _, d := range c.Designations {
		params = append(params, map[string]any{"name": "designation", "part": []any{map[string]any{"name": "value", "valueString": d}}})
	}
	params = append(params, map[string]any{"name": "property", "part": []any{
		map[string]any{"name": "code", "valueCode": "inactive"}, map[string]any{"name": "value", "valueBoolean": false}}})
	return writeParameters(w, params)
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
