package fhir

import (
	"net/http"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// An RTT pathway (an EpisodeOfCare) moves on through the PAS's command
// for a decision outside an appointment or admission, as the pathway
// page records it: POST EpisodeOfCare/[id]/$rtt-decision with a
// Parameters naming the decision (one of crs.PathwayDecisions: active
// monitoring started or ended, a decision not to treat, the patient
// declining treatment or dying, care transferred out, treatment outside
// an admission, a discharge back to the GP, a new period), its date
// (today when not given), a note and, for a discharge after a missed
// appointment (rule 5f), the date missed. The answer is the
// EpisodeOfCare as its clock then stands.

// rttDecisionSystem is the code system of the decisions,
// rttDecisionOperation the operation's definition.
const (
	rttDecisionSystem    = "https://opencrs.org/fhir/CodeSystem/rtt-decision"
	rttDecisionOperation = "https://opencrs.org/fhir/OperationDefinition/EpisodeOfCare-rtt-decision"
)

// decisionParamPaths name the parameters a refusal of the command is of.
var decisionParamPaths = map[string]string{"date": "Parameters.parameter[date]", "rtt_status": "Parameters.parameter[decision]",
	"dna_date": "Parameters.parameter[dnaDate]", "note": "Parameters.parameter[note]"}

// handleRTTDecision answers EpisodeOfCare/[id]/$rtt-decision.
func (s *Server) handleRTTDecision(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := p.allow("EpisodeOfCare", true); err != nil {
		return err
	}
	if s.coreType("EpisodeOfCare") == nil || s.Core.Referrals == nil {
		return outcomeOf(http.StatusNotFound, "not-supported", "this server keeps no RTT pathways")
	}
	id := r.PathValue("id")
	o, err := readOpParams(r, "$rtt-decision")
	if err != nil {
		return err
	}
	code, at := o.str("decision")
	d, ok := crs.PathwayDecisionOf(code)
	if !ok {
		codes := make([]string, len(crs.PathwayDecisions))
		for i, d := range crs.PathwayDecisions {
			codes[i] = d.Code + " (" + d.Label + ")"
		}
		return invalid("code-invalid", at, "decision %q is not one of %s: %s", code, rttDecisionSystem, strings.Join(codes, "; "))
	}
	e := crs.PathwayEvent{Kind: d.Kind, Status: d.Status}
	for _, d := range []struct {
		name string
		to   *crs.Date
	}{{"date", &e.Date}, {"dnaDate", &e.DNADate}} {
		v, at := o.str(d.name)
		if v == "" {
			continue
		}
		day, err := time.Parse("2006-01-02", v)
		if err != nil {
			return invalid("invalid", at, "%s %q is not a date (YYYY-MM-DD)", d.name, v)
		}
		*d.to = crs.Date{Time: day}
	}
	if msg := e.DNADateError(); msg != "" {
		_, at := o.str("dnaDate")
		return unprocessable("business-rule", at, "%s", msg)
	}
	e.Note, _ = o.str("note")
	if err := s.Core.Referrals.RecordPathwayEvent(r.Context(), p.Actor, id, e); err != nil {
		return fieldOutcome(err, "EpisodeOfCare", decisionParamPaths)
	}
	stored, err := readEpisodeOfCare(s, r.Context(), p, id)
	if err != nil {
		return err
	}
	writeResource(w, r, http.StatusOK, stored)
	return nil
}

// decisionCodesText lists the decisions' codes.
func decisionCodesText() string {
	codes := make([]string, len(crs.PathwayDecisions))
	for i, d := range crs.PathwayDecisions {
		codes[i] = d.Code
	}
	return strings.Join(codes, ", ")
}
