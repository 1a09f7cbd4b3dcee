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
	fp := s.bookingForm(r, ap.Referral, page)
	fp.anchors["cancelled_by"] = "cancelled_by-patient"
	fp.check(c.Validate())
	if page.Slot == "" {
		page.Errors.add("slot", "slots", "Choose a free slot")
	}
	return s.submit(w, r, fp, func() (string, string, error) {
		nap, err := s.Outpatients.RescheduleAppointment(r.Context(), actorOf(r), ap.Appointment.ID, c, page.Slot)
		if err != nil {
			return "", "", slotRefusal(err)
		}
		return "/appointments/" + nap.ID, "Rescheduled to " + nap.Start.In(crs.London).Weekday().String() + " " + showDateTime(nap.Start), nil
	})
}
