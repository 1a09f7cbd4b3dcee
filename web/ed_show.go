package web

import (
	"net/http"
	"strconv"

	"github.com/opencrs/crs"
)

// attendancePage is the data of an A&E attendance's page.
type attendancePage struct {
	pageData
	Attendance                                  *crs.EDAttendance
	Triage, Location, Clinician, Specialty, Dep string
	Dest, Status, Category, Chief               string
}

func (s *Server) loadAttendance(r *http.Request, page *attendancePage) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	e, err := s.ED.FindAttendance(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := s.patientBanner(r, e.PatientID)
	if err != nil {
		return err
	}
	page.Attendance, page.Banner, page.Title = e, b, "A&E attendance"
	return nil
}

// handleEDAttendance shows an A&E attendance with the forms of the steps
// still to come.
func (s *Server) handleEDAttendance(w http.ResponseWriter, r *http.Request) error {
	page := &attendancePage{}
	if err := s.loadAttendance(r, page); err != nil {
		return err
	}
	// The forms show what is recorded now: the triage category chosen, the
	// location and the clinician assigned.
	if e := page.Attendance; e.TriageCategory > 0 {
		page.Triage = strconv.Itoa(e.TriageCategory)
	}
	page.Location, page.Clinician = page.Attendance.Location, page.Attendance.SeenBy
	return s.render(w, r, "ed_attendance", page)
}
