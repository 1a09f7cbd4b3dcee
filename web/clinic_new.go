package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// clinicForm is the create a clinic form as typed: the clinic and its one
// weekly session.
type clinicForm struct {
	Code, Name, TreatmentFunction, Specialty, Consultant, ConsultantName, Team, Location string
	Weekday, Start, End, SlotMinutes, SlotType                                           string
}

var clinicFields = []string{"code", "name", "treatment_function", "specialty", "consultant", "consultant_name", "team", "location",
	"weekday", "start", "end", "slot_minutes", "slot_type"}

// clinicNames names the form field that holds a service's field.
var clinicNames = map[string]string{"sessions": "start"}

func init() {
	var days []nhs.Code
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		days = append(days, nhs.Code{Code: strconv.Itoa(int(d)), Description: d.String()})
	}
	journeyLists["weekdays"] = days
	journeyLists["slottypes"] = []nhs.Code{{Code: crs.SlotNew, Description: "New patients"}, {Code: crs.SlotFollowUp, Description: "Follow-up"},
		{Code: crs.SlotUrgent, Description: "Urgent (two week wait)"}}
}

// canSeeClinics reports whether the actor may open the clinic pages:
// the staff who book into clinics and the administrators who set them up.
func canSeeClinics(a crs.Actor) error {
	if a.Can(crs.ActAdministerSettings) {
		return nil
	}
	return a.Authorize(crs.ActManagePathways)
}

// clinicRooms lists the trust's clinic rooms for the create form.
func (s *Server) clinicRooms(r *http.Request) ([]*crs.Location, error) {
	if s.Orgs == nil || !actorOf(r).Can(crs.ActAdministerSettings) {
		return nil, nil
	}
	return s.Orgs.FindLocations(r.Context(), actorOf(r), crs.LocationClinicRoom)
}

// handleCreateClinic adds an outpatient clinic from the form on the
// clinic list: its code, name, service, consultant or team, room and
// weekly session. The clinic's page then makes its slots.
func (s *Server) handleCreateClinic(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	a := actorOf(r)
	if err := a.Authorize(crs.ActAdministerSettings); err != nil {
		return err
	}
	f := clinicForm{Code: strings.ToUpper(form(r, "code")), Name: form(r, "name"), TreatmentFunction: form(r, "treatment_function"),
		Specialty: form(r, "specialty"), Consultant: strings.ToUpper(form(r, "consultant")), ConsultantName: form(r, "consultant_name"),
		Team: form(r, "team"), Location: form(r, "location"), Weekday: form(r, "weekday"), Start: form(r, "start"), End: form(r, "end"),
		SlotMinutes: form(r, "slot_minutes"), SlotType: form(r, "slot_type")}
	page := &clinicsPage{Form: f}
	if err := s.loadClinics(r, page); err != nil {
		return err
	}
	c := &crs.Clinic{Code: f.Code, Name: f.Name, TreatmentFunction: f.TreatmentFunction, Specialty: f.Specialty, ConsultantCode: f.Consultant,
		ConsultantName: f.ConsultantName, Team: f.Team, LocationID: f.Location}
	sess := crs.ClinicSession{Start: f.Start, End: f.End, SlotType: f.SlotType}
	if d, err := strconv.Atoi(f.Weekday); err != nil || d < 0 || d > 6 {
		page.Errors.add("weekday", "", "Choose the day of the week the clinic is held")
	} else {
		sess.Weekday = time.Weekday(d)
	}
	start, end := sess.Minutes()
	if start < 0 {
		page.Errors.add("start", "", "Start time must be a time, for example 09:00")
	}
	if end < 0 {
		page.Errors.add("end", "", "End time must be a time, for example 12:30")
	} else if start >= 0 && end <= start {
		page.Errors.add("end", "", "End time must be after the start time")
	}
	if n, err := strconv.Atoi(f.SlotMinutes); err != nil || n < 5 {
		page.Errors.add("slot_minutes", "", "Slot length must be a number of minutes, 5 or more")
	} else if start >= 0 && end > start && n > end-start {
		page.Errors.add("slot_minutes", "", "Slot length must fit in the session")
	} else {
		sess.SlotMinutes = n
	}
	if f.SlotType == "" {
		page.Errors.add("slot_type", "", "Choose the type of slot")
	}
	if f.Specialty != "" {
		if _, ok := nhs.Lookup(nhs.MainSpecialties, f.Specialty); !ok {
			page.Errors.add("specialty", "", "Choose a main specialty from the list")
		}
	}
	if f.Location != "" && !hasRoom(page.Rooms, f.Location) {
		page.Errors.add("location", "", "Choose a clinic room of this trust from the list")
	}
	c.Sessions = []crs.ClinicSession{sess}
	fp := formPost{name: "clinics", page: page, order: clinicFields, names: clinicNames, fallback: "code"}
	fp.check(c.Validate())
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Outpatients.CreateClinic(r.Context(), a, c)
		return "/clinics/" + c.ID, "Clinic " + c.Code + " created. Make its slots for the weeks it is held.", err
	})
}

// hasRoom reports whether id is one of the rooms.
func hasRoom(rooms []*crs.Location, id string) bool {
	for _, l := range rooms {
		if l.ID == id {
			return true
		}
	}
	return false
}
