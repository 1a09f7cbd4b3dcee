package fhir

import (
	"net/http"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// handleCodeSystemSubsumes answers CodeSystem/$subsumes: whether code A
// subsumes code B (equivalent, subsumes, subsumed-by or not-subsumed),
// by the is-a relationships of the trust's SNOMED CT release. The codes
// are codeA and codeB with system, or the Codings codingA and codingB.
// Another code system is refused, as is a code the release lacks.
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
		case c.system != nhs.SNOMEDSystem:
			return invalid("not-supported", c.where, "$subsumes: the code system %s has no hierarchy this server knows; it answers for SNOMED CT (%s), from the trust's release", c.system, nhs.SNOMEDSystem)
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
	a, b := codes[0].code, codes[1].code
	outcome := "equivalent"
	if a != b {
		outcome = "not-subsumed"
		if above, err := s.Terminology.Subsumes(r.Context(), p.Actor, a, b); err != nil {
			return err
		} else if above {
			outcome = "subsumes"
		} else if below, err := s.Terminology.Subsumes(r.Context(), p.Actor, b, a); err != nil {
			return err
		} else if below {
			outcome = "subsumed-by"
		}
	}
	return writeParameters(w, []any{map[string]any{"name": "outcome", "valueCode": outcome}})
}
