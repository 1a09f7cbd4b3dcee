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
	// Letters shows the clinic letter part to a clinician: the letter
	// (Letter), or the templates to start it from.
	Letters         bool
	Letter          *crs.ClinicalNote
	LetterTemplates []*crs.NoteTemplate
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
	s.appointmentLetter(r, page)
	return s.render(w, r, "appointment", page)
}
