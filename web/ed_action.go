package web

import (
	"net/http"
	"strconv"

	"github.com/opencrs/crs"
)

// handleEDAction records one step of the attendance, named in the
// address: triage, move, seen, dta or depart.
func (s *Server) handleEDAction(w http.ResponseWriter, r *http.Request) error {
	page := &attendancePage{Triage: form(r, "triage"), Location: form(r, "location"), Clinician: form(r, "clinician"),
		Specialty: form(r, "specialty"), Dep: form(r, "departure"), Dest: form(r, "destination"),
		Status: form(r, "discharge_status"), Category: form(r, "attendance_category"), Chief: form(r, "chief_complaint")}
	if err := s.loadAttendance(r, page); err != nil {
		return err
	}
	a, ctx, id, now := actorOf(r), r.Context(), page.Attendance.ID, s.now()
	var save func() error
	var msg string
	switch r.PathValue("action") {
	case "triage":
		n, convErr := strconv.Atoi(page.Triage)
		if convErr != nil || n < 1 || n > 5 {
			page.Errors.add("triage", "triage-1", "Choose a triage category from 1 to 5")
			break
		}
		save, msg = func() error { return s.ED.Triage(ctx, a, id, n, now) }, "Triage category "+page.Triage+" recorded"
	case "move":
		if page.Location == "" {
			page.Errors.add("location", "", "Say where in the department the patient is, for example MAJ-4")
			break
		}
		save, msg = func() error { return s.ED.Move(ctx, a, id, page.Location) }, "Moved to "+page.Location
	case "seen":
		if page.Clinician == "" {
			page.Errors.add("clinician", "", "Say who saw the patient")
			break
		}
		save, msg = func() error { return s.ED.RecordSeen(ctx, a, id, page.Clinician, now) }, "Seen by "+page.Clinician
	case "dta":
		if page.Specialty == "" {
			page.Errors.add("specialty", "", "Choose the specialty the patient is admitted under")
			break
		}
		save, msg = func() error { return s.ED.DecideToAdmit(ctx, a, id, page.Specialty, now) }, "Decision to admit recorded: the 12-hour clock runs"
	case "depart":
		if page.Dep == "" {
			page.Errors.add("departure", "departure-discharged", "Choose how the patient left")
			break
		}
		if page.Status == "" {
			page.Errors.add("discharge_status", "", "Choose the discharge status")
			break
		}
		save, msg = func() error {
			return s.ED.Depart(ctx, a, id, crs.EDDeparture{Kind: page.Dep, Status: page.Status, Destination: page.Dest})
		}, "Departure recorded"
	case "ecds":
		d := crs.ECDSDetails{AttendanceCategory: page.Category, ChiefComplaint: page.Chief, DischargeStatus: page.Status, DischargeDestination: page.Dest}
		save, msg = func() error { return s.ED.RecordECDS(ctx, a, id, d) }, "ECDS details recorded"
	default:
		return errNoPage
	}
	fp := formPost{name: "ed_attendance", page: page, anchors: map[string]string{"departure": "departure-discharged", "kind": "departure-discharged"},
		fallback: edActionFields[r.PathValue("action")]}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := save()
		return "/ed/" + id, msg, err
	})
}

// edActionFields names the field of each step's form, beside which a
// refusal naming no field stands.
var edActionFields = map[string]string{"triage": "triage", "move": "location", "seen": "clinician", "dta": "specialty", "depart": "departure", "ecds": "attendance_category"}
