package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// handleCancelAppointment cancels a booked appointment, by the patient
// or the hospital, with the reason; the slot is free again.
func (s *Server) handleCancelAppointment(w http.ResponseWriter, r *http.Request) error {
	page := &appointmentPage{By: form(r, "cancelled_by"), Reason: form(r, "reason")}
	if err := s.loadAppointment(r, page); err != nil {
		return err
	}
	c := crs.Cancellation{By: page.By, Reason: page.Reason}
	fp := formPost{name: "appointment", page: page, anchors: map[string]string{"cancelled_by": "cancelled_by-patient"}, fallback: "reason"}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := c.Validate()
		if err == nil {
			err = s.Outpatients.CancelAppointment(r.Context(), actorOf(r), page.Appointment.ID, c)
		}
		return "/referrals/" + page.Referral.ID, "Appointment cancelled; the referral is back on its worklist", err
	})
}
