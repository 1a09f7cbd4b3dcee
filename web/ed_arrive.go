package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// arrivalPage is the data of the A&E arrival form.
type arrivalPage struct {
	pageData
	Mode, At, Complaint string
	Category, Chief     string
}

// handleArrivalForm shows the form that registers a patient's arrival
// in A&E.
func (s *Server) handleArrivalForm(w http.ResponseWriter, r *http.Request) error {
	b, err := s.journeyPatient(r)
	if err != nil {
		return err
	}
	page := &arrivalPage{}
	page.Title, page.Banner = "A&E arrival", b
	return s.render(w, r, "ed_arrive", page)
}

// handleArrive registers the arrival.
func (s *Server) handleArrive(w http.ResponseWriter, r *http.Request) error {
	b, err := s.journeyPatient(r)
	if err != nil {
		return err
	}
	page := &arrivalPage{Mode: form(r, "arrival_mode"), At: form(r, "arrived_at"), Complaint: form(r, "complaint"),
		Category: form(r, "attendance_category"), Chief: form(r, "chief_complaint")}
	page.Title, page.Banner = "A&E arrival", b
	e := &crs.EDAttendance{PatientID: b.ID, ArrivalMode: page.Mode, Complaint: page.Complaint, AttendanceCategory: page.Category, ChiefComplaint: page.Chief}
	at, msg := readDateTime(r, "arrived_at", "Time of arrival", s.now())
	page.Errors.dateError("arrived_at", msg)
	e.ArrivedAt = at
	if e.ArrivedAt.IsZero() {
		e.ArrivedAt = s.now()
	}
	fp := formPost{name: "ed_arrive", page: page, fallback: "arrival_mode"}
	fp.check(e.Validate(s.now()))
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.ED.Arrive(r.Context(), actorOf(r), e)
		return "/ed/" + e.ID, "Arrival registered", err
	})
}
