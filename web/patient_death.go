package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// deathPage is the data of the record death page.
type deathPage struct {
	pageData
	Day, Month, Year, Time string
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
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	page := &deathPage{Day: v("death_date-day"), Month: v("death_date-month"), Year: v("death_date-year"), Time: v("death_time")}
	page.Title, page.Banner = "Record death", b
	d, ok := parseDateParts(page.Day, page.Month, page.Year)
	if !ok {
		page.Errors.add("death_date", "death_date-day", "Date of death must be a real date, for example 2 3 2026")
	}
	hh, mm, ok := parseClock(page.Time)
	if !ok {
		page.Errors.add("death_time", "", "Time of death must be a time on the 24-hour clock, for example 14:30")
	}
	at := d.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
	fp := formPost{name: "death", page: page, names: map[string]string{"death_time": "death_date"},
		anchors: map[string]string{"death_date": "death_date-day"}, fallback: "death_date"}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Patients.RecordDeath(r.Context(), a, b.ID, at)
		return "/patients/" + b.ID, "Death recorded on " + at.Format("02-Jan-2006 15:04"), err
	})
}
