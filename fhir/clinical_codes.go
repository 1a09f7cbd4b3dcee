package fhir

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// snomedElements are the elements of the clinical record's types whose
// SNOMED CT codings are checked against the trust's release.
var snomedElements = map[string][]string{
	"Condition":          {"code", "bodySite"},
	"AllergyIntolerance": {"code", "reaction.substance", "reaction.manifestation"},
}

// checkSent checks a resource a system sent to be written, before its
// command: that it is no definition of OpenCRS's own
// (refuseOwnDefinition), no Subscription asking for notifications
// (refuseSubscription), and its SNOMED CT codings (checkSNOMED).
func (s *Server) checkSent(ctx context.Context, a crs.Actor, res Resource, prefix string) error {
	if err := refuseOwnDefinition(res, prefix); err != nil {
		return err
	}
	if err := s.refuseStoredReferral(res, prefix); err != nil {
		return err
	}
	if err := s.refuseStoredAdmission(res, prefix); err != nil {
		return err
	}
	if err := s.takeSubscription(res, prefix); err != nil {
		return err
	}
	return s.checkSNOMED(ctx, a, res, prefix)
}

// checkSNOMED refuses a Condition or AllergyIntolerance coded with a
// SNOMED CT concept that is not in the trust's loaded release, with an
// OperationOutcome whose expression names the coding (from prefix, where
// the resource is in a Bundle, else from its type). Nothing is checked when the trust has
// loaded no release, or the server has no terminology.
func (s *Server) checkSNOMED(ctx context.Context, a crs.Actor, res Resource, prefix string) error {
	paths := snomedElements[res.Type()]
	if s.Terminology == nil || s.SNOMEDSample || len(paths) == 0 {
		return nil
	}
	type coded struct{ at, code string }
	var codes []coded
	var visit func(v any, segs []string, at string)
	visit = func(v any, segs []string, at string) {
		switch x := v.(type) {
		case []any:
			for i, e := range x {
				visit(e, segs, fmt.Sprintf("%s[%d]", at, i))
			}
		case map[string]any:
			if len(segs) > 0 {
				visit(x[segs[0]], segs[1:], at+"."+segs[0])
				return
			}
			codings, _ := x["coding"].([]any)
			for i, c := range codings {
				m, _ := c.(map[string]any)
				if sys, _ := m["system"].(string); sys == nhs.SNOMEDSystem {
					code, _ := m["code"].(string)
					codes = append(codes, coded{fmt.Sprintf("%s.coding[%d].code", at, i), code})
				}
			}
		}
	}
	root := res.Type()
	if prefix != "" {
		root = prefix
	}
	for _, p := range paths {
		segs := strings.Split(p, ".")
		visit(res[segs[0]], segs[1:], root+"."+segs[0])
	}
	if len(codes) == 0 {
		return nil
	}
	loaded, err := s.Terminology.SNOMEDLoaded(ctx, a)
	if err != nil || !loaded {
		return err
	}
	var issues []Issue
	for _, c := range codes {
		_, err := s.Terminology.FindConcept(ctx, a, c.code)
		switch crs.ErrorCode(err) {
		case "":
		case crs.ENOTFOUND:
			issues = append(issues, Issue{Severity: "error", Code: "code-invalid", Expression: c.at,
				Diagnostics: fmt.Sprintf("SNOMED CT concept %q is not in the trust's loaded release", c.code)})
		default:
			return err
		}
	}
	if len(issues) > 0 {
		return &Outcome{Status: http.StatusBadRequest, Issues: issues}
	}
	return nil
}
