package web

import (
	"net/http"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/rtt"
)

// decision is a clinical or validation decision the pathway page records
// outside an appointment or admission: the RTT event and its status.
type decision struct {
	Code, Label string
	Kind        rtt.Kind
	Status      rtt.Status
}

// decisions lists the decisions offered, in the order shown.
var decisions = []decision{
	{"monitor_clinician", "Start active monitoring, the clinician's decision (32)", rtt.KindActiveMonitoringStarted, rtt.StatusActiveMonitoringClinician},
	{"monitor_patient", "Start active monitoring, the patient's choice (31)", rtt.KindActiveMonitoringStarted, rtt.StatusActiveMonitoringPatient},
	{"monitor_ended", "Decision to treat after active monitoring: a new clock starts (11)", rtt.KindActiveMonitoringEnded, rtt.StatusAfterActiveMonitoring},
	{"not_treat", "Decision not to treat, or no further contact needed (34)", rtt.KindDecisionNotToTreat, rtt.StatusDecisionNotToTreat},
	{"declined", "The patient declined treatment offered (35)", rtt.KindPatientDeclinedTreatment, rtt.StatusDeclinedTreatment},
	{"died", "The patient died before treatment (36)", rtt.KindPatientDied, rtt.StatusDied},
	{"transfer_out", "Care transferred to another provider (21)", rtt.KindTransferOut, rtt.StatusTransferred},
	{"treated", "First definitive treatment outside an admission (30)", rtt.KindTreatmentStarted, rtt.StatusFirstTreatment},
	{"discharged", "Discharged back to the GP (34); after a DNA of a later appointment give its date below (rule 5f)", rtt.KindDischargedToGP, rtt.StatusDecisionNotToTreat},
	{"bilateral", "Fit and ready for the second side of a bilateral procedure: a new RTT period starts (10)", rtt.KindBilateralSecondSide, rtt.StatusFirstActivity},
	{"new_treatment", "Decision to start substantively new or different treatment: a new RTT period starts (10)", rtt.KindNewTreatmentDecision, rtt.StatusFirstActivity},
}

// decisionCodes lists the decisions for the radios of the form.
func decisionCodes() []nhs.Code {
	out := make([]nhs.Code, len(decisions))
	for i, d := range decisions {
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
	for _, d := range decisions {
		if d.Code == page.Decision {
			e.Kind, e.Status = d.Kind, d.Status
		}
	}
	if e.Kind == 0 {
		page.Errors.add("decision", "decision-"+decisions[0].Code, "Choose the decision")
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
	} else if !d.IsZero() {
		switch {
		case e.Kind != rtt.KindDischargedToGP:
			page.Errors.add("dna_date", "", "Give the date of a missed appointment only with a discharge back to the GP (rule 5f)")
		case !e.Date.IsZero() && d.After(e.Date.Time):
			page.Errors.add("dna_date", "", "The missed appointment must be on or before the decision to discharge")
		default:
			e.DNADate = d
		}
	}
	e.Note = page.Note
	fp := formPost{name: "pathway", page: page, order: []string{"decision", "decision_date", "dna_date", "note"}, fallback: "decision",
		names:   map[string]string{"rtt_status": "decision", "date": "decision_date"},
		anchors: map[string]string{"decision": "decision-" + decisions[0].Code}}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Referrals.RecordPathwayEvent(r.Context(), a, page.Clock.Pathway.ID, e)
		msg := "Recorded: " + e.Kind.String() + ", RTT status " + e.Status.String()
		if !e.DNADate.IsZero() && !e.DNADate.Equal(e.Date.Time) {
			msg += "; the clock stops on " + e.Date.Display() + ", the decision to discharge, not on " + e.DNADate.Display() + ", the DNA"
		}
		return "/pathways/" + page.Clock.Pathway.ID, msg, err
	})
}
