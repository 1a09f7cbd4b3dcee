package web

import (
	"net/http"
	"strconv"

	"github.com/opencrs/crs"
)

// arrivalPage is the data of the A&E arrival form.
type arrivalPage struct {
	pageData
	Mode, At, Complaint string
}

// handleArrivalForm shows the form that registers a patient's arrival
// in A&E.
func (s *Server) handleArrivalForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	if err := actorOf(r).Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	page := &arrivalPage{}
	page.Title, page.Banner = "A&E arrival", b
	return s.render(w, r, "ed_arrive", page)
}

// handleArrive registers the arrival.
func (s *Server) handleArrive(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page := &arrivalPage{Mode: form(r, "arrival_mode"), At: form(r, "arrived_at"), Complaint: form(r, "complaint")}
	page.Title, page.Banner = "A&E arrival", b
	e := &crs.EDAttendance{PatientID: b.ID, ArrivalMode: page.Mode, Complaint: page.Complaint}
	at, ok := parseWhen(page.At, s.now())
	if !ok {
		page.Errors.add("arrived_at", "", "Time of arrival must be a real date and time, for example 2026-03-02 08:30, or empty for now")
	}
	e.ArrivedAt = at
	if e.ArrivedAt.IsZero() {
		e.ArrivedAt = s.now()
	}
	if err := e.Validate(s.now()); err != nil {
		page.Errors.addErr(err, nil)
	}
	if !page.Errors.Any() {
		err := s.ED.Arrive(r.Context(), actorOf(r), e)
		if err == nil {
			return s.redirect(w, r, "/ed/"+e.ID, "Arrival registered")
		}
		if !serviceErrors(&page.Errors, err, nil, "arrival_mode") {
			return err
		}
	}
	return s.reshow(w, r, "ed_arrive", page, nil)
}

// attendancePage is the data of an A&E attendance's page.
type attendancePage struct {
	pageData
	Attendance                                  *crs.EDAttendance
	Triage, Location, Clinician, Specialty, Dep string
	Dest                                        string
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

// handleAttendance shows an A&E attendance with the forms of the steps
// still to come.
func (s *Server) handleEDAttendance(w http.ResponseWriter, r *http.Request) error {
	page := &attendancePage{}
	if err := s.loadAttendance(r, page); err != nil {
		return err
	}
	return s.render(w, r, "ed_attendance", page)
}

// handleEDAction records one step of the attendance, named in the
// address: triage, move, seen, dta or depart.
func (s *Server) handleEDAction(w http.ResponseWriter, r *http.Request) error {
	page := &attendancePage{Triage: form(r, "triage"), Location: form(r, "location"), Clinician: form(r, "clinician"),
		Specialty: form(r, "specialty"), Dep: form(r, "departure"), Dest: form(r, "destination")}
	if err := s.loadAttendance(r, page); err != nil {
		return err
	}
	a, ctx, id, now := actorOf(r), r.Context(), page.Attendance.ID, s.now()
	var err error
	var msg string
	switch r.PathValue("action") {
	case "triage":
		n, convErr := strconv.Atoi(page.Triage)
		if convErr != nil || n < 1 || n > 5 {
			page.Errors.add("triage", "triage-1", "Choose a triage category from 1 to 5")
			break
		}
		err, msg = s.ED.Triage(ctx, a, id, n, now), "Triage category "+page.Triage+" recorded"
	case "move":
		if page.Location == "" {
			page.Errors.add("location", "", "Say where in the department the patient is, for example MAJ-4")
			break
		}
		err, msg = s.ED.Move(ctx, a, id, page.Location), "Moved to "+page.Location
	case "seen":
		if page.Clinician == "" {
			page.Errors.add("clinician", "", "Say who saw the patient")
			break
		}
		err, msg = s.ED.RecordSeen(ctx, a, id, page.Clinician, now), "Seen by "+page.Clinician
	case "dta":
		if page.Specialty == "" {
			page.Errors.add("specialty", "", "Choose the specialty the patient is admitted under")
			break
		}
		err, msg = s.ED.DecideToAdmit(ctx, a, id, page.Specialty, now), "Decision to admit recorded: the 12-hour clock runs"
	case "depart":
		if page.Dep == "" {
			page.Errors.add("departure", "departure-discharged", "Choose how the patient left")
			break
		}
		err, msg = s.ED.Depart(ctx, a, id, crs.EDDeparture{Kind: page.Dep, Destination: page.Dest}), "Departure recorded"
	default:
		return errNoPage
	}
	if err == nil && !page.Errors.Any() {
		return s.redirect(w, r, "/ed/"+id, msg)
	}
	if err != nil && !serviceErrors(&page.Errors, err, map[string]string{"departure": "departure-discharged", "kind": "departure-discharged"}, page.fallbackField(r.PathValue("action"))) {
		return err
	}
	return s.reshow(w, r, "ed_attendance", page, nil)
}

func (p *attendancePage) fallbackField(action string) string {
	return map[string]string{"triage": "triage", "move": "location", "seen": "clinician", "dta": "specialty", "depart": "departure"}[action]
}

// trackingPage is the data of the A&E tracking board.
type trackingPage struct {
	pageData
	Rows []*crs.TrackingRow
}

// handleTrackingBoard shows every patient in the department with the
// time since arrival, amber at 3 hours and red at 4 (with words, not only
// colour), and the 12 hours from decision to admit. It is live like the
// bed board.
func (s *Server) handleTrackingBoard(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	rows, err := s.ED.TrackingBoard(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	page := &trackingPage{Rows: rows}
	page.Title, page.Nav = "A&E tracking board", "ed"
	if r.URL.Query().Get("partial") == "1" {
		return s.renderPartial(w, r, "ed_board", "board", page)
	}
	return s.render(w, r, "ed_board", page)
}
