package web

import (
	"net/http"
	"strconv"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

// outcomeForm is the clinic outcome form as typed.
type outcomeForm struct {
	RTTStatus, NextStep, FollowUpWeeks, Note       string
	Procedure, ProcedureName, Management, Priority string
	Consultant                                     string
}

// outcomeFields lists the outcome form's fields in page order.
var outcomeFields = []string{"rtt_status", "next_step", "follow_up_weeks", "procedure", "intended_management", "priority", "consultant", "note"}

var outcomeAnchors = map[string]string{"next_step": "next_step-discharge", "listing": "procedure", "intended_management": "intended_management",
	"priority": "priority-P1"}

// handleOutcome records the outcome of an attendance (RTT status and
// next step) or the review decision after a DNA.
func (s *Server) handleOutcome(w http.ResponseWriter, r *http.Request) error {
	f := outcomeForm{RTTStatus: form(r, "rtt_status"), NextStep: form(r, "next_step"), FollowUpWeeks: form(r, "follow_up_weeks"),
		Note: form(r, "note"), Procedure: form(r, "procedure"), ProcedureName: form(r, "procedure_name"),
		Management: form(r, "intended_management"), Priority: form(r, "priority"), Consultant: form(r, "consultant")}
	page := &appointmentPage{Outcome: f}
	if err := s.loadAppointment(r, page); err != nil {
		return err
	}
	ap := page.Appointment
	anchors := map[string]string{}
	for k, v := range outcomeAnchors {
		anchors[k] = v
	}
	if ap.Status == crs.AppointmentDNA {
		anchors["next_step"] = "next_step-rebook"
	}
	fp := formPost{name: "appointment", page: page, order: outcomeFields, anchors: anchors, fallback: "rtt_status"}
	o := &crs.Outcome{NextStep: f.NextStep, Note: f.Note}
	if ap.Status == crs.AppointmentAttended {
		if f.RTTStatus == "" {
			page.Errors.add("rtt_status", "", "Choose the RTT status of the attendance")
		} else if st, err := rtt.ParseStatus(f.RTTStatus); err != nil {
			page.Errors.add("rtt_status", "", "Choose an RTT status from the list")
		} else {
			o.RTTStatus = st
		}
	}
	if f.NextStep == "" {
		page.Errors.add("next_step", anchors["next_step"], "Choose the next step")
	}
	if f.NextStep == crs.NextFollowUp {
		n, err := strconv.Atoi(f.FollowUpWeeks)
		if err != nil {
			page.Errors.add("follow_up_weeks", "", "Say in how many weeks the follow-up is due, for example 6")
		}
		o.FollowUpWeeks = n
	}
	if f.NextStep == crs.NextWaitingList {
		e := &crs.WaitingListEntry{DecidedOn: crs.LocalDate(ap.Start), IntendedManagement: f.Management, ProcedureCode: f.Procedure,
			ProcedureName: f.ProcedureName, Priority: f.Priority, ConsultantCode: f.Consultant, TreatmentFunction: page.Referral.TreatmentFunction,
			ForTreatment: true}
		e.Normalize()
		fp.check(e.Validate(s.now()))
		o.Listing = e
	}
	if !page.Errors.Any() {
		fp.check(o.Validate())
	}
	return s.submit(w, r, fp, func() (string, string, error) {
		msg := "Outcome recorded"
		if o.RTTStatus != 0 {
			msg += " with RTT status " + o.RTTStatus.String()
		}
		err := s.Outpatients.RecordOutcome(r.Context(), actorOf(r), ap.ID, o)
		return "/referrals/" + page.Referral.ID, msg, err
	})
}
