package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// appointmentPage is the data of an outpatient appointment's page: its
// details and the actions its status allows, with the outcome form after
// an attendance or DNA.
type appointmentPage struct {
	pageData
	Appointment *crs.Appointment
	Referral    *crs.Referral
	Clinic      *crs.Clinic
	Outcome     outcomeForm
	By, Reason  string // the cancel form
}

// loadAppointment reads the appointment of {id} with its referral,
// clinic and banner.
func (s *Server) loadAppointment(r *http.Request, page *appointmentPage) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	a := actorOf(r)
	ap, err := s.Outpatients.FindAppointment(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	ref, err := s.Referrals.FindReferral(r.Context(), a, ap.ReferralID)
	if err != nil {
		return err
	}
	b, err := s.patientBanner(r, ap.PatientID)
	if err != nil {
		return err
	}
	page.Appointment, page.Referral, page.Banner, page.Title = ap, ref, b, "Appointment"
	page.Clinic = s.clinicsByID(r)[ap.ClinicID]
	if page.Outcome.FollowUpWeeks == "" {
		page.Outcome.FollowUpWeeks = "6"
		page.Outcome.Consultant = ref.ConsultantCode
		page.Outcome.Management = "2"
	}
	return nil
}

// handleAppointment shows an appointment.
func (s *Server) handleAppointment(w http.ResponseWriter, r *http.Request) error {
	page := &appointmentPage{}
	if err := s.loadAppointment(r, page); err != nil {
		return err
	}
	return s.render(w, r, "appointment", page)
}

// handleCancelAppointment cancels a booked appointment, by the patient
// or the hospital, with the reason; the slot is free again.
func (s *Server) handleCancelAppointment(w http.ResponseWriter, r *http.Request) error {
	page := &appointmentPage{By: form(r, "cancelled_by"), Reason: form(r, "reason")}
	if err := s.loadAppointment(r, page); err != nil {
		return err
	}
	c := crs.Cancellation{By: page.By, Reason: page.Reason}
	err := c.Validate()
	if err == nil {
		err = s.Outpatients.CancelAppointment(r.Context(), actorOf(r), page.Appointment.ID, c)
		if err == nil {
			return s.redirect(w, r, "/referrals/"+page.Referral.ID, "Appointment cancelled; the referral is back on its worklist")
		}
	}
	if !serviceErrors(&page.Errors, err, map[string]string{"cancelled_by": "cancelled_by-patient"}, "reason") {
		return err
	}
	return s.reshow(w, r, "appointment", page, nil)
}

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
