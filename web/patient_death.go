package web

import (
	"net/http"
	"time"

	"github.com/opencrs/crs"
)

// deathPage is the data of the record death page.
type deathPage struct {
	pageData
}

// handleDeathForm shows the form to record a patient's death.
func (s *Server) handleDeathForm(w http.ResponseWriter, r *http.Request) error {
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	if err := actorOf(r).Authorize(crs.ActAmendDemographics); err != nil {
		return err
	}
	page := &deathPage{}
	page.Title, page.Banner = "Record death", b
	return s.render(w, r, "death", page)
}

// handleDeath records the date and time of a patient's death.
func (s *Server) handleDeath(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	if err := a.Authorize(crs.ActAmendDemographics); err != nil {
		return err
	}
	page := &deathPage{}
	page.Title, page.Banner = "Record death", b
	d, msg := readDate(r, "death_date", "Date of death")
	if msg == "" && d.IsZero() {
		msg = "Enter the date of death"
	} else if msg == "" && d.After(crs.LocalDate(s.now()).Time) {
		msg = "Date of death must be today or in the past"
	}
	page.Errors.dateError("death_date", msg)
	hh, mm, set, msg := readClock(r, "death_time", "Time of death")
	if msg == "" && !set {
		msg = "Enter the time of death"
	}
	if msg != "" {
		page.Errors.add("death_time", "", msg)
	}
	at := time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, crs.London).UTC()
	fp := formPost{name: "death", page: page, names: map[string]string{"death_time": "death_date"}, fallback: "death_date"}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Patients.RecordDeath(r.Context(), a, b.ID, at)
		return "/patients/" + b.ID, "Death recorded on " + showDateTime(at), err
	})
}
