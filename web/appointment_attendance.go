package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// handleCheckIn records that the patient arrived at clinic.
func (s *Server) handleCheckIn(w http.ResponseWriter, r *http.Request) error {
	page := &appointmentPage{}
	if err := s.loadAppointment(r, page); err != nil {
		return err
	}
	if err := s.Outpatients.CheckIn(r.Context(), actorOf(r), page.Appointment.ID, s.now()); err != nil {
		return err
	}
	return s.redirect(w, r, "/appointments/"+page.Appointment.ID, "Checked in")
}

// handleAttendance records that the patient was seen, or did not attend.
func (s *Server) handleAttendance(w http.ResponseWriter, r *http.Request) error {
	page := &appointmentPage{}
	if err := s.loadAppointment(r, page); err != nil {
		return err
	}
	var attended bool
	switch form(r, "attended") {
	case "yes":
		attended = true
	case "no":
	default:
		return crs.Errorf(crs.EINVALID, "say whether the patient attended")
	}
	if err := s.Outpatients.RecordAttendance(r.Context(), actorOf(r), page.Appointment.ID, attended, s.now()); err != nil {
		return err
	}
	msg := "Attendance recorded: now record the outcome"
	if !attended {
		msg = "Did not attend recorded: now record the review decision"
	}
	return s.redirect(w, r, "/appointments/"+page.Appointment.ID+"#outcome", msg)
}
