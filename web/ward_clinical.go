package web

import (
	"net/http"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/news2"
)

// wardClinicalPage is the data of a ward's clinical board: each patient
// on the ward with their latest NEWS2 score and when observations are
// next due.
type wardClinicalPage struct {
	pageData
	Ward     *crs.BedBoardWard
	Patients []*wardPatient
	Alerts   int // patients whose score calls for an urgent or emergency response
	Overdue  int
}

// wardPatient is one patient on the clinical board.
type wardPatient struct {
	Bed    *crs.BedBoardBed
	Latest *crs.VitalSigns // nil when no scored observations
	Due    time.Time       // when the next observations are due (zero: none taken)
}

// Alert is the board's tag for the patient's score: "" for low risk.
func (p *wardPatient) Alert() string {
	if p.Latest == nil || p.Latest.Score == nil {
		return ""
	}
	switch p.Latest.Score.Risk {
	case news2.RiskHigh:
		return "Emergency: NEWS2 7 or more"
	case news2.RiskMedium:
		return "Urgent: NEWS2 5-6"
	case news2.RiskLowMedium:
		return "Urgent ward review: 3 in one parameter"
	}
	return ""
}

// Risk is the latest score's clinical risk, "" when none.
func (p *wardPatient) Risk() string {
	if p.Latest == nil || p.Latest.Score == nil {
		return ""
	}
	return string(p.Latest.Score.Risk)
}

// Frequency says how often the patient must be observed.
func (p *wardPatient) Frequency() string {
	if p.Latest == nil || p.Latest.Score == nil {
		return ""
	}
	switch d := p.Latest.Score.Interval; d {
	case news2.Continuous:
		return "continuous"
	case time.Hour:
		return "hourly"
	default:
		return "every " + crs.Count(int(d.Hours()), "hour", "hours")
	}
}

// Overdue reports whether the patient's observations are overdue at now.
func (p *wardPatient) Overdue(now time.Time) bool { return !p.Due.IsZero() && now.After(p.Due) }

// handleWardClinical shows a ward's clinical board: the patients on the
// ward with their latest NEWS2, an alert for a red score (3 in one
// parameter), 5-6 (urgent) and 7 or more (emergency), and when the next
// observations are due, those overdue highlighted, bed by bed.
func (s *Server) handleWardClinical(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	if s.Observations == nil {
		return errNoObservations
	}
	a := actorOf(r)
	if err := a.Authorize(crs.ActViewClinical); err != nil {
		return err
	}
	ward, err := s.Inpatients.WardBoard(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	page := &wardClinicalPage{Ward: ward}
	var ids []string
	for _, b := range append(append([]*crs.BedBoardBed(nil), page.Ward.Beds...), page.Ward.Unbedded...) {
		if b.SpellID != "" {
			page.Patients = append(page.Patients, &wardPatient{Bed: b})
			ids = append(ids, b.PatientID)
		}
	}
	latest, err := s.Observations.LatestNEWS2(r.Context(), a, ids)
	if err != nil {
		return err
	}
	now := s.now()
	for _, p := range page.Patients {
		if v := latest[p.Bed.PatientID]; v != nil {
			p.Latest, p.Due = v, v.Due()
		}
		if p.Alert() != "" {
			page.Alerts++
		}
		if p.Overdue(now) {
			page.Overdue++
		}
	}
	page.Title, page.Nav = page.Ward.WardCode+" clinical board", "beds"
	return s.render(w, r, "ward_clinical", page)
}
