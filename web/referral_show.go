package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// referralPage is the data of a referral's page.
type referralPage struct {
	pageData
	Referral     *crs.Referral
	Pathway      *crs.Pathway
	Appointments []*crs.Appointment
	Clinics      map[string]*crs.Clinic
	Live         bool // an appointment is booked or checked in: the referral cannot be closed

	ClosedOn, Reason, RTTStatus string // the close form as typed
}

func (s *Server) loadReferral(r *http.Request, page *referralPage) error {
	a := actorOf(r)
	ref, err := s.journeyReferral(r)
	if err != nil {
		return err
	}
	b, err := s.patientBanner(r, ref.PatientID)
	if err != nil {
		return err
	}
	page.Referral, page.Title, page.Banner = ref, "Referral", b
	if ref.PathwayID != "" {
		if page.Pathway, err = s.Referrals.FindPathway(r.Context(), a, ref.PathwayID); err != nil {
			return err
		}
	}
	if page.Appointments, err = s.Outpatients.FindAppointments(r.Context(), a, ref.ID); err != nil {
		return err
	}
	for _, ap := range page.Appointments {
		if ap.Status == crs.AppointmentBooked || ap.Status == crs.AppointmentCheckedIn {
			page.Live = true
		}
	}
	page.Clinics = s.clinicsByID(r)
	if page.ClosedOn == "" {
		page.ClosedOn = crs.LocalDate(s.now()).String()
	}
	return nil
}

// handleReferral shows a referral: who referred, its RTT pathway and
// clock, its appointments and what can be done next.
func (s *Server) handleReferral(w http.ResponseWriter, r *http.Request) error {
	page := &referralPage{}
	if err := s.loadReferral(r, page); err != nil {
		return err
	}
	return s.render(w, r, "referral", page)
}

// clinicsByID returns the trust's clinics by id, for naming them.
func (s *Server) clinicsByID(r *http.Request) map[string]*crs.Clinic {
	m := map[string]*crs.Clinic{}
	cs, err := s.Outpatients.FindClinics(r.Context(), actorOf(r))
	if err != nil {
		return m
	}
	for _, c := range cs {
		m[c.ID] = c
	}
	return m
}
