package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// referralForm is the new referral form as typed.
type referralForm struct {
	Source, ReferrerCode, ReferrerName, ReferrerOrg, ReceivedOn, Priority string
	Specialty, TreatmentFunction, ConsultantCode, UBRN, PPI, Reason       string
	ConsultantLed                                                         bool
}

// referralFields lists the form's fields in page order.
var referralFields = []string{"source", "referrer_name", "received_on", "priority", "treatment_function", "specialty", "consultant", "consultant_led", "ubrn", "ppi", "reason"}

// referralFormPage is the data of the record a referral page.
type referralFormPage struct {
	pageData
	Form referralForm
}

// handleReferralForm shows the form to record a referral received for
// the patient.
func (s *Server) handleReferralForm(w http.ResponseWriter, r *http.Request) error {
	b, err := s.journeyPatient(r)
	if err != nil {
		return err
	}
	page := &referralFormPage{Form: referralForm{Source: "03", Priority: crs.PriorityRoutine, ConsultantLed: true,
		ReceivedOn: crs.LocalDate(s.now()).String()}}
	page.Title, page.Banner = "Record a referral", b
	return s.render(w, r, "referral_new", page)
}

// handleRecordReferral records the referral; a consultant-led one opens
// an RTT pathway whose clock starts on the day it was received.
func (s *Server) handleRecordReferral(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	b, err := s.journeyPatient(r)
	if err != nil {
		return err
	}
	f := referralForm{Source: form(r, "source"), ReferrerCode: form(r, "referrer_code"), ReferrerName: form(r, "referrer_name"),
		ReferrerOrg: form(r, "referrer_org"), ReceivedOn: form(r, "received_on"), Priority: form(r, "priority"),
		Specialty: form(r, "specialty"), TreatmentFunction: form(r, "treatment_function"), ConsultantCode: form(r, "consultant"),
		UBRN: form(r, "ubrn"), PPI: form(r, "ppi"), Reason: form(r, "reason"), ConsultantLed: form(r, "consultant_led") == "yes"}
	page := &referralFormPage{Form: f}
	page.Title, page.Banner = "Record a referral", b
	ref := &crs.Referral{PatientID: b.ID, Source: f.Source, ReferrerCode: f.ReferrerCode, ReferrerName: f.ReferrerName,
		ReferrerOrg: f.ReferrerOrg, Priority: f.Priority, Specialty: f.Specialty, TreatmentFunction: f.TreatmentFunction,
		ConsultantCode: f.ConsultantCode, ConsultantLed: f.ConsultantLed, UBRN: f.UBRN, PPI: f.PPI, Reason: f.Reason}
	var msg string
	ref.ReceivedOn, msg = readDate(r, "received_on", "Date received")
	page.Errors.dateError("received_on", msg)
	ref.Normalize()
	fp := formPost{name: "referral_new", page: page, order: referralFields, fallback: "source"}
	fp.check(ref.Validate(s.now()))
	return s.submit(w, r, fp, func() (string, string, error) {
		if err := s.Referrals.RecordReferral(r.Context(), a, ref); err != nil {
			return "", "", err
		}
		msg := "Referral recorded"
		if ref.PPI != "" {
			msg += "; RTT pathway " + ref.PPI + " started, clock from " + showDate(ref.ReceivedOn)
		}
		return "/referrals/" + ref.ID, msg, nil
	})
}
