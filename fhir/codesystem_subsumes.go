package fhir

import (
	"net/http"
	"slices"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// handleCodeSystemSubsumes answers CodeSystem/$subsumes: whether code A
// subsumes code B (equivalent, subsumes, subsumed-by or not-subsumed),
// by the is-a relationships of the trust's SNOMED CT release, or the
// nesting of a CodeSystem the trust stores. The codes are codeA and
// codeB with system, or the Codings codingA and codingB. Another code
// system is refused (R4's and UK Core's are held without their
// hierarchies), as is a code the system lacks.
func (s *Server) handleCodeSystemSubsumes(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := p.allow("CodeSystem", false); err != nil {
		return err
	}
	o, err := readOpParams(r, "$subsumes")
	if err != nil {
		return err
	}
	system, _ := o.str("system")
	var codes [2]codingParam
	for i, name := range []string{"A", "B"} {
		c := &codes[i]
		if m, at := o.complex("coding"+name, "valueCoding"); at != "" {
			if m == nil {
				return invalid("invalid", at, "$subsumes: the parameter coding%s is a Coding (valueCoding)", name)
			}
			c.system, _ = m["system"].(string)
			c.code, _ = m["code"].(string)
			c.where = at
		} else {
			c.code, c.where = o.str("code" + name)
			c.system = system
		}
		switch {
		case c.code == "":
			return invalid("required", "code"+name, "$subsumes takes two codes: codeA and codeB with system, or codingA and codingB")
		case c.system == "":
			return invalid("required", "system", "$subsumes takes the codes' system: the parameter system, or each Coding's")
		case c.system != codes[0].system:
			return invalid("invalid", c.where, "$subsumes: the codes are of two systems, %s and %s", codes[0].system, c.system)
		case c.system != nhs.SNOMEDSystem:
			url, version, _ := strings.Cut(c.system, "|")
			if cs, err := s.storedByURL(r.Context(), p, "CodeSystem", url, version); err != nil {
				return err
			} else if cs == nil {
				return invalid("not-supported", c.where, "$subsumes: the code system %s has no hierarchy this server knows; it answers for SNOMED CT (%s), from the trust's release, and for the CodeSystems the trust stores", c.system, nhs.SNOMEDSystem)
			}
		}
		if _, err := s.findCode(r.Context(), p, c.system, c.code); err != nil {
			switch crs.ErrorCode(err) {
			case crs.ENOTFOUND:
				return &Outcome{Status: http.StatusNotFound, Issues: []Issue{{Severity: "error", Code: "not-found", Expression: c.where, Diagnostics: "$subsumes: " + crs.ErrorMessage(err)}}}
			case crs.EINVALID:
				return invalid("not-supported", "system", "$subsumes: %s", crs.ErrorMessage(err))
			}
			return err
		}
	}
	subsumes := func(ancestor, code string) (bool, error) {
		return s.Terminology.Subsumes(r.Context(), p.Actor, ancestor, code)
	}
	if codes[0].system != nhs.SNOMEDSystem {
		all, err := s.codeSystemConcepts(r.Context(), p, codes[0].system)
		if err != nil {
			return err
		}
		subsumes = func(ancestor, code string) (bool, error) { return nestedIn(all, ancestor, code), nil }
	}
	a, b := codes[0].code, codes[1].code
	outcome := "equivalent"
	if a != b {
		outcome = "not-subsumed"
		if above, err := subsumes(a, b); err != nil {
			return err
		} else if above {
			outcome = "subsumes"
		} else if below, err := subsumes(b, a); err != nil {
			return err
		} else if below {
			outcome = "subsumed-by"
		}
	}
	return writeParameters(w, []any{map[string]any{"name": "outcome", "valueCode": outcome}})
}

// nestedIn says whether code is nested, at any depth, in ancestor among
// the concepts of a code system.
func nestedIn(all []codeEntry, ancestor, code string) bool {
	return slices.Contains(nested(all, code, false), ancestor)
}

// nested lists the codes a code is nested in, at any depth, among the
// concepts of a code system (its ancestors), or with down those nested
// in it (its descendants); not the code itself.
func nested(all []codeEntry, code string, down bool) []string {
	next := map[string][]string{}
	for _, c := range all {
		for _, parent := range c.Parents {
			if down {
				next[parent] = append(next[parent], c.Code)
			} else {
				next[c.Code] = append(next[c.Code], parent)
			}
		}
	}
	var out []string
	seen := map[string]bool{code: true}
	queue := next[code]
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
			queue = append(queue, next[c]...)
		}
	}
	return out
}
