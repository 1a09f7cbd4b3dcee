package web

import (
	"net/http"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// banner is the patient banner shown at the top of every patient page
// (templates/_banner.html): who the patient is, so no one acts on the
// wrong record.
type banner struct {
	ID              string
	Name            string // FAMILY, Given (Title)
	NHSNumber       string // 3-3-4, or "" when not known
	NHSNumberStatus nhs.NumberStatus
	StatusName      string
	Verified        bool
	BirthDate       crs.Date
	Age             string
	Gender          string
	MRN             string
	Address         string
	GP              string
	DeathTime       *time.Time
	MergedInto      string // the ID of the record this one was merged into
	MergedIntoMRN   string
	Inactive        bool // marked not in active use by another system
	// Alerts are the allergies and alerts the banner warns of, for users
	// who may view the clinical record; nil for others.
	Alerts *crs.PatientAlerts
}

// newBanner makes the banner of a patient. When the record was merged,
// the record it was merged into is read too, for its hospital number.
func (s *Server) newBanner(r *http.Request, p *crs.Patient) *banner {
	b := &banner{
		ID: p.ID, Name: p.DisplayName(), NHSNumber: nhs.FormatNumber(p.NHSNumber), NHSNumberStatus: p.NHSNumberStatus,
		StatusName: p.NHSNumberStatus.Description(), Verified: p.NHSNumberStatus == nhs.NumberVerified,
		BirthDate: p.BirthDate, Age: age(p.BirthDate, s.now()), Gender: p.GenderName(), MRN: p.MRN,
		Address: p.Address.String(), DeathTime: p.DeathTime, MergedInto: p.MergedInto,
		Inactive: p.Inactive,
	}
	switch {
	case p.GPPracticeName != "" && p.GPPracticeCode != "":
		b.GP = p.GPPracticeName + " (" + p.GPPracticeCode + ")"
	case p.GPPracticeName != "":
		b.GP = p.GPPracticeName
	default:
		b.GP = p.GPPracticeCode
	}
	if p.DeathTime != nil {
		b.Age = age(p.BirthDate, *p.DeathTime)
	}
	if p.MergedInto != "" {
		if major, err := s.Patients.FindPatient(r.Context(), actorOf(r), p.MergedInto); err == nil {
			b.MergedIntoMRN = major.MRN
		}
	}
	b.Alerts = s.bannerAlerts(r, p.ID)
	return b
}

// findPatient reads the patient named by the {id} in the address, for a
// patient page, with its banner.
func (s *Server) findPatient(r *http.Request) (*crs.Patient, *banner, error) {
	p, err := s.Patients.FindPatient(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	return p, s.newBanner(r, p), nil
}

// bannerAlerts reads what the banner warns of (allergies, or that there
// are none known or none recorded, and alerts), for a user who may view
// the clinical record and has a legitimate relationship with the patient
// (nil for others: their banner keeps to demographics). When they cannot
// be read it is logged and the banner says so.
func (s *Server) bannerAlerts(r *http.Request, patientID string) *crs.PatientAlerts {
	a := actorOf(r)
	if s.Allergies == nil || !a.Can(crs.ActViewClinical) {
		return nil
	}
	if s.Access != nil { // without a relationship the banner keeps to demographics
		if _, err := s.Access.Relationship(r.Context(), a, patientID); crs.ErrorCode(err) == crs.ENORELATIONSHIP {
			return nil
		}
	}
	alerts, err := s.Allergies.Alerts(r.Context(), a, patientID)
	switch crs.ErrorCode(err) {
	case crs.ENORELATIONSHIP, crs.ESEALED:
		return nil
	}
	if err != nil {
		s.logger().Error("read the banner's alerts", "patient", patientID, "err", err)
		return &crs.PatientAlerts{Unreadable: true}
	}
	return alerts
}
