package fhir

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/match"
)

// handleMatch answers Patient/$match: the patient index's likely
// duplicates of the Patient sent (as a Parameters' resource, with
// onlyCertainMatches and count, or alone), scored as the PMI scores a
// registration's. The answer is a searchset of the patients, best first,
// each served as a read serves it and audited as a search's result is,
// with its score (the PMI's, over 100) and its match grade; last come
// those alike in their details but with another NHS number, graded
// certainly-not (score 0). With
// onlyCertainMatches only a certain match is answered, and none when
// several are certain.
func (s *Server) handleMatch(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if !s.pmi("Patient") {
		return outcomeOf(http.StatusNotFound, "not-supported", "Patient/$match is answered from the patient index, and this server has none")
	}
	if err := p.allow("Patient", false); err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	q, err := parseMatch(body)
	if err != nil {
		return err
	}
	found, err := s.Patients.FindDuplicates(r.Context(), p.Actor, q.patient)
	if err != nil {
		return pmiSearchOutcome(err)
	}
	if !q.onlyCertain {
		not, err := s.certainlyNot(r, p, q.patient)
		if err != nil {
			return err
		}
		found = append(found, not...)
	}
	base := baseURL(r)
	b := &bundle{ResourceType: "Bundle", Type: "searchset", Link: []bundleLink{{"self", base + "/Patient/$match"}}}
	if q.onlyCertain {
		var why *Outcome
		if found, why = onlyCertain(found); why != nil {
			b.Entry = append(b.Entry, bundleEntry{Resource: why.JSON(), Search: &entrySearch{Mode: "outcome"}})
		}
	}
	if limit := cmp.Or(q.count, maxMatches); len(found) > limit {
		found = found[:limit]
	}
	for _, m := range found {
		res, err := s.readPatient(r.Context(), p, m.Patient.ID)
		if crs.ErrorCode(err) == crs.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/Patient/" + res.ID, Resource: res.Body,
			Search: &entrySearch{Mode: "match", Score: matchScore(m.Score), Grade: matchGrade(m.Score)}})
	}
	writeJSON(w, http.StatusOK, b.servedJSON())
	return nil
}

// certainlyNot finds the records that are certainly not the patient:
// those the PMI would show a clerk as likely duplicates by their names,
// date of birth and address, had they not another NHS number than the
// patient's (match.Duplicate scores them 0). R4's match-grade answers
// such a record, likely by its details and negated by the matching,
// as certainly-not. None when the patient has no NHS number.
func (s *Server) certainlyNot(r *http.Request, p *Principal, pat *crs.Patient) ([]crs.PatientMatch, error) {
	if pat.NHSNumber == "" {
		return nil, nil
	}
	details := *pat
	details.NHSNumber = ""
	alike, err := s.Patients.FindDuplicates(r.Context(), p.Actor, &details)
	if err != nil {
		return nil, pmiSearchOutcome(err)
	}
	var out []crs.PatientMatch
	for _, m := range alike {
		if m.Patient.NHSNumber != "" && m.Patient.NHSNumber != pat.NHSNumber {
			out = append(out, crs.PatientMatch{Patient: m.Patient, Score: 0, Reasons: []string{"different NHS numbers"}})
		}
	}
	return out, nil
}

// maxMatches is the most patients a $match without count answers, as
// many as the PMI shows a clerk.
const maxMatches = 10

// onlyCertain keeps the certain match of those found. Several records
// certain to be the patient are not one answer (R4: with
// onlyCertainMatches, multiple matches are not returned): none is
// kept, and the outcome says why.
func onlyCertain(found []crs.PatientMatch) ([]crs.PatientMatch, *Outcome) {
	var certain []crs.PatientMatch
	for _, m := range found {
		if matchGrade(m.Score) == "certain" {
			certain = append(certain, m)
		}
	}
	if len(certain) > 1 {
		return nil, &Outcome{Issues: []Issue{{Severity: "information", Code: "multiple-matches",
			Diagnostics: fmt.Sprintf("%d patients are certain matches (the same NHS number); with onlyCertainMatches none is answered", len(certain))}}}
	}
	return certain, nil
}

// matchGrade grades a duplicate score of the PMI as a code of the
// match-grade extension: certain for records sharing an NHS number
// (match.Certain), probable from match.Probable (the names and date of
// birth agree), possible from match.Likely (what the PMI shows a clerk
// as a likely duplicate), and certainly-not below it: the PMI answers
// as a duplicate no record scored so, and $match only those with
// another NHS number (certainlyNot).
func matchGrade(score int) string {
	switch {
	case score >= match.Certain:
		return "certain"
	case score >= match.Probable:
		return "probable"
	case score >= match.Likely:
		return "possible"
	}
	return "certainly-not"
}

// matchScore writes a duplicate score of the PMI (0 to 100) as a $match
// entry's score, a decimal from 0 to 1: 100 is 1, 85 is 0.85.
func matchScore(score int) string {
	return strconv.FormatFloat(float64(score)/100, 'f', -1, 64)
}

// matchQuery is what a $match asks: the patient, read as a registration
// of them would be, whether only certain matches are wanted, and at
// most how many (0 for as many as the PMI finds).
type matchQuery struct {
	patient     *crs.Patient
	onlyCertain bool
	count       int
}

// parseMatch reads the body of a $match: a Parameters holding the
// Patient as resource, with onlyCertainMatches and count, or the
// Patient alone. What is wrong is refused 400, naming the parameter.
func parseMatch(body []byte) (*matchQuery, error) {
	if len(body) == 0 {
		return nil, invalid("required", "Parameters.parameter", "$match takes a Parameters with the Patient to match as the parameter resource")
	}
	res, err := decode(body, true)
	if err != nil {
		return nil, err
	}
	q := &matchQuery{}
	var pat Resource
	at := "Patient"
	switch res.Type() {
	case "Patient":
		pat = res
	case "Parameters":
		seen := map[string]bool{}
		for i, x := range array(res["parameter"]) {
			pm, _ := x.(map[string]any)
			name, _ := pm["name"].(string)
			here := fmt.Sprintf("Parameters.parameter[%d]", i)
			if seen[name] {
				return nil, invalid("invalid", here, "$match takes one parameter %s; this is a second", name)
			}
			seen[name] = true
			switch name {
			case "resource":
				inner, _ := pm["resource"].(map[string]any)
				if inner == nil {
					return nil, invalid("required", here+".resource", "the parameter resource holds the Patient to match in resource")
				}
				if t := Resource(inner).Type(); t != "Patient" {
					return nil, invalid("invalid", here+".resource.resourceType", "the parameter resource is a %s: $match matches a Patient", t)
				}
				pat, at = inner, here+".resource"
			case "onlyCertainMatches":
				v, ok := pm["valueBoolean"].(bool)
				if !ok {
					return nil, invalid("invalid", here, "the parameter onlyCertainMatches is a boolean (valueBoolean)")
				}
				q.onlyCertain = v
			case "count":
				n, ok := pm["valueInteger"].(json.Number)
				v, err := strconv.Atoi(string(n))
				if !ok || err != nil || v < 1 {
					return nil, invalid("invalid", here, "the parameter count is a whole number of 1 or more (valueInteger)")
				}
				q.count = v
			default:
				return nil, invalid("not-supported", here+".name", "$match takes the parameters resource, onlyCertainMatches and count, not %q", name)
			}
		}
		if pat == nil {
			return nil, invalid("required", "Parameters.parameter", "$match takes the Patient to match as the parameter resource")
		}
	default:
		return nil, invalid("invalid", "resourceType", "$match takes a Parameters with the Patient to match as the parameter resource, or the Patient, not a %s", res.Type())
	}
	q.patient = &crs.Patient{}
	if _, err := patientFromResource(pat, q.patient); err != nil {
		return nil, underParameter(err, at)
	}
	return q, nil
}

// underParameter answers a Patient's refusal as one of the parameter
// at that holds it (Parameters.parameter[0].resource): 400, each issue's
// expression moved under the parameter.
func underParameter(err error, at string) error {
	var o *Outcome
	if !errors.As(err, &o) {
		return err
	}
	out := &Outcome{Status: http.StatusBadRequest}
	for _, i := range o.Issues {
		if rest, ok := strings.CutPrefix(i.Expression, "Patient"); ok {
			i.Expression = at + rest
		}
		out.Issues = append(out.Issues, i)
	}
	return out
}
