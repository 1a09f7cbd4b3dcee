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
	if page.Errors.Any() {
		return s.reshow(w, r, "death", page, nil)
	}
	at := d.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
	err = s.Patients.RecordDeath(r.Context(), a, b.ID, at)
	if crs.ErrorCode(err) == crs.EINVALID {
		for field, msg := range crs.FieldErrors(err) {
			if field == "death_time" || field == "" {
				field = "death_date"
			}
			page.Errors.add(field, "death_date-day", msg)
		}
		return s.reshow(w, r, "death", page, nil)
	} else if err != nil {
		return err
	}
	return s.redirect(w, r, "/patients/"+b.ID, "Death recorded on "+at.Format("02-Jan-2006 15:04"))
}
