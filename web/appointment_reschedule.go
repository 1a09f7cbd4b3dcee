package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// handleRescheduleForm shows the free slots the appointment can move to.
func (s *Server) handleRescheduleForm(w http.ResponseWriter, r *http.Request) error {
	ap := &appointmentPage{}
	if err := s.loadAppointment(r, ap); err != nil {
		return err
	}
	if err := actorOf(r).Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	page := &bookingPage{Appointment: ap.Appointment, From: r.URL.Query().Get("from"), By: crs.CancelledByPatient}
	page.Title = "Reschedule"
	if err := s.loadBooking(r, ap.Referral, page); err != nil {
		return err
	}
	return s.render(w, r, "booking", page)
}

// handleReschedule moves the appointment to another free slot in one
// command.
func (s *Server) handleReschedule(w http.ResponseWriter, r *http.Request) error {
	ap := &appointmentPage{}
	if err := s.loadAppointment(r, ap); err != nil {
		return err
	}
	page := &bookingPage{Appointment: ap.Appointment, From: form(r, "from"), Slot: form(r, "slot"), By: form(r, "cancelled_by"), Reason: form(r, "reason")}
	page.Title = "Reschedule"
	c := crs.Cancellation{By: page.By, Reason: page.Reason}
	if err := c.Validate(); err != nil {
		page.Errors.addErr(err, map[string]string{"cancelled_by": "cancelled_by-patient"})
	}
	if page.Slot == "" {
		page.Errors.add("slot", "slots", "Choose a free slot")
	}
	if !page.Errors.Any() {
		nap, err := s.Outpatients.RescheduleAppointment(r.Context(), actorOf(r), ap.Appointment.ID, c, page.Slot)
		if err == nil {
			return s.redirect(w, r, "/appointments/"+nap.ID, "Rescheduled to "+nap.Start.In(crs.London).Format("Monday 02-Jan-2006 15:04"))
		}
		if crs.ErrorCode(err) == crs.ENOTFOUND && crs.FieldErrors(err)["slot"] != "" {
			page.Errors.add("slot", "slots", "That slot is not one of this trust's clinic slots; choose a free slot from the list")
		} else if !serviceErrors(&page.Errors, err, map[string]string{"slot": "slots"}, "slot") {
			return err
		}
	}
	if err := s.loadBooking(r, ap.Referral, page); err != nil {
		return err
	}
	return s.reshow(w, r, "booking", page, nil)
}
