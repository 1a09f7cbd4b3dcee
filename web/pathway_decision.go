package web

import (
	"net/http"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// decisionCodes lists the decisions for the radios of the form.
func decisionCodes() []nhs.Code {
	out := make([]nhs.Code, len(crs.PathwayDecisions))
	for i, d := range crs.PathwayDecisions {
		out[i] = nhs.Code{Code: d.Code, Description: d.Label}
	}
	return out
}

func init() { funcs["decisions"] = decisionCodes }

// handleDecision records a decision on the pathway outside an appointment
// or admission (active monitoring, a decision not to treat, the patient's
// death...), checked against the pathway's events so far.
func (s *Server) handleDecision(w http.ResponseWriter, r *http.Request) error {
	page := &pathwayPage{Decision: form(r, "decision"), DecisionDate: form(r, "decision_date"), Note: form(r, "note"), DNADate: typedDateText(r, "dna_date")}
	if err := s.loadPathway(r, page); err != nil {
		return err
	}
	a := actorOf(r)
	if err := a.Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	var e crs.PathwayEvent
	if dec, ok := crs.PathwayDecisionOf(page.Decision); ok {
		e.Kind, e.Status = dec.Kind, dec.Status
	} else {
		page.Errors.add("decision", "decision-"+crs.PathwayDecisions[0].Code, "Choose the decision")
	}
	if d, msg := readDate(r, "decision_date", "Date of the decision"); msg != "" {
		page.Errors.dateError("decision_date", msg)
	} else if d.After(crs.LocalDate(s.now()).Time) {
		page.Errors.dateError("decision_date", "Date of the decision must be today or in the past")
	} else {
		e.Date = d
	}
	if d, msg := readDate(r, "dna_date", "Date of the missed appointment"); msg != "" {
		page.Errors.dateError("dna_date", msg)
	} else if e.DNADate = d; e.DNADateError() != "" {
		page.Errors.add("dna_date", "", e.DNADateError())
		e.DNADate = crs.Date{}
	}
	e.Note = page.Note
	fp := formPost{name: "pathway", page: page, order: []string{"decision", "decision_date", "dna_date", "note"}, fallback: "decision",
		names:   map[string]string{"rtt_status": "decision", "date": "decision_date"},
		anchors: map[string]string{"decision": "decision-" + crs.PathwayDecisions[0].Code}}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Referrals.RecordPathwayEvent(r.Context(), a, page.Clock.Pathway.ID, e)
		msg := "Recorded: " + e.Kind.String() + ", RTT status " + e.Status.String()
		if !e.DNADate.IsZero() && !e.DNADate.Equal(e.Date.Time) {
			msg += "; the clock stops on " + e.Date.Display() + ", the decision to discharge, not on " + e.DNADate.Display() + ", the DNA"
		}
		return "/pathways/" + page.Clock.Pathway.ID, msg, err
	})
}
