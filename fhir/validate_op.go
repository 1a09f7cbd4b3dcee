package fhir

import (
	"errors"
	"net/http"

	"github.com/opencrs/crs"
)

// handleValidate answers $validate ([type]/$validate, [type]/[id]/$validate):
// the resource sent (itself, or as the parameter resource of a
// Parameters) is checked as a create or an update of it would be (its
// structure against R4, its SNOMED CT codes, a Patient against the
// PMI's rules) without writing anything; mode=delete asks whether the
// resource may be deleted. The answer is 200 with an OperationOutcome
// listing what is wrong, or one issue of severity information saying
// that nothing is. A profile other than those the server serves is
// named in a warning: the resource is checked against R4 itself.
func (s *Server) handleValidate(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
	if !isResource[typ] {
		return outcomeOf(http.StatusNotFound, "not-supported", "%s is not an R4 resource type", typ)
	}
	if err := p.allow(typ, false); err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	mode, profile := r.URL.Query().Get("mode"), r.URL.Query().Get("profile")
	var res Resource
	if len(body) > 0 {
		if res, err = decode(body, true); err != nil {
			return validated(w, err)
		}
	}
	if res.Type() == "Parameters" {
		var inner Resource
		for _, pm := range array(res["parameter"]) {
			pm, _ := pm.(map[string]any)
			switch pm["name"] {
			case "resource":
				inner, _ = pm["resource"].(map[string]any)
			case "mode":
				mode, _ = pm["valueCode"].(string)
			case "profile":
				profile, _ = pm["valueUri"].(string)
			}
		}
		if inner == nil && mode != "delete" {
			return validated(w, invalid("required", "Parameters.parameter", "$validate takes the resource to check as the parameter resource"))
		}
		res = inner
		if res != nil {
			if err := validate(res, true); err != nil {
				return validated(w, err)
			}
		}
	}
	var issues []Issue
	switch mode {
	case "", "create", "update":
		if res == nil {
			return validated(w, invalid("required", "", "$validate takes the resource to check in the body"))
		}
		if res.Type() != typ {
			return validated(w, invalid("invalid", "resourceType", "the resource is a %s but was sent to %s/$validate", res.Type(), typ))
		}
		if mode == "update" {
			if id == "" {
				// The request, not the resource, is wrong.
				return invalid("required", "", "mode=update checks an update of one resource: send it to %s/[id]/$validate", typ)
			}
			if got, _ := res["id"].(string); got != id {
				return validated(w, invalid("invalid", typ+".id", "the resource's id %q is not %s, the one the update names", got, id))
			}
		}
		if isReferral(res) && s.referralsWritable() && mode != "update" {
			// A referral to record, checked as its create would be.
			rf, err := s.referralOf(res)
			if err == nil {
				rf.Normalize()
				err = fieldOutcome(rf.Validate(s.Store.Now()), "ServiceRequest", referralFieldPaths)
			}
			if err != nil {
				return validated(w, err)
			}
		} else if isAdmission(res) && s.spellsWritable() && mode != "update" {
			// An admission, checked as its create would be.
			ad, err := s.admissionOf(r, p, res)
			if err == nil {
				err = fieldOutcome(ad.Validate(), "Encounter", admissionFieldPaths)
			}
			if err != nil {
				return validated(w, err)
			}
		} else if err := s.checkSent(r.Context(), p.Actor, res, ""); err != nil {
			return validated(w, err)
		}
		if s.pmi(typ) {
			pat := &crs.Patient{}
			if _, err := patientFromResource(res, pat); err != nil {
				return validated(w, err)
			}
			pat.Normalize()
			if err := pat.Validate(s.Store.Now()); err != nil {
				return validated(w, pmiOutcome(err))
			}
		} else if m := s.coreType(typ); m != nil && !m.stored() {
			issues = append(issues, Issue{Severity: "error", Code: "not-supported", Diagnostics: typ + " is served from the PAS's records and written there, not through this API"})
		}
	case "delete":
		if id == "" {
			return invalid("required", "", "mode=delete checks the deletion of one resource: send it to %s/[id]/$validate", typ)
		}
		if s.pmi(typ) {
			// Whether the PMI would delete the record (a registration
			// made in error, with no activity): the delete is run and
			// undone.
			err := s.Store.Write(r.Context(), p.Actor, crs.ActMergePatients, func(tx crs.Tx) error {
				if err := deletePatientIn(tx, id); err != nil {
					return err
				}
				return errValidateOnly
			})
			switch {
			case errors.Is(err, errValidateOnly):
			case errors.Is(err, errUnchanged):
				issues = append(issues, Issue{Severity: "warning", Code: "not-found", Diagnostics: "Patient/" + id + " is not in the patient index: a delete changes nothing"})
			case crs.ErrorCode(err) == crs.ECONFLICT || crs.ErrorCode(err) == crs.EFORBIDDEN:
				issues = append(issues, Issue{Severity: "error", Code: "business-rule", Diagnostics: crs.ErrorMessage(err)})
			default:
				return err
			}
		} else if m := s.coreType(typ); m != nil && m.owns(id) {
			issues = append(issues, Issue{Severity: "error", Code: "not-supported", Diagnostics: typ + "/" + id + " is one of the PAS's records, not deleted through this API"})
		}
	default:
		return invalid("invalid", "mode", "mode %q is not create, update or delete", mode)
	}
	if profile != "" && profile != profileBase+typ {
		issues = append(issues, Issue{Severity: "warning", Code: "not-supported", Diagnostics: "profile " + profile + " is not one this server holds: checked against FHIR R4", Expression: typ})
	}
	if len(issues) == 0 || issues[0].Severity == "warning" {
		issues = append(issues, Issue{Severity: "information", Code: "informational", Diagnostics: "no errors found"})
	}
	writeOutcome(w, &Outcome{Status: http.StatusOK, Issues: issues})
	return nil
}

// errValidateOnly undoes a command $validate runs to see whether it
// would succeed.
var errValidateOnly = errors.New("validation only: undone")

// validated answers a $validate whose check found err: what is wrong, as
// an OperationOutcome of status 200 (the check was made); an error
// other than the resource's is answered as itself.
func validated(w http.ResponseWriter, err error) error {
	var o *Outcome
	if !errors.As(err, &o) || o.Status >= 500 {
		return err
	}
	writeOutcome(w, &Outcome{Status: http.StatusOK, Issues: o.Issues})
	return nil
}
