package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/opencrs/crs"
)

// clinicAppointmentLister is a read the clinic page uses when the
// outpatient service offers it: the appointments in a clinic's slots on
// a day, with the patient, so the clinic list shows who is booked.
type clinicAppointmentLister interface {
	FindClinicAppointments(ctx context.Context, a crs.Actor, clinicID string, day crs.Date) ([]*crs.Appointment, error)
}

// clinicsPage is the data of the clinic list and its create a clinic
// form (shown to those who set up clinics).
type clinicsPage struct {
	pageData
	Clinics []*crs.Clinic
	Rooms   []*crs.Location // the trust's clinic rooms, for the create form
	Form    clinicForm
}

// loadClinics reads the trust's clinics and, for those who set clinics
// up, its clinic rooms.
func (s *Server) loadClinics(r *http.Request, page *clinicsPage) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	a := actorOf(r)
	if err := canSeeClinics(a); err != nil {
		return err
	}
	cs, err := s.Outpatients.FindClinics(r.Context(), a)
	if err != nil {
		return err
	}
	page.Clinics = cs
	page.Title, page.Nav = "Clinics", "clinics"
	page.Rooms, err = s.clinicRooms(r)
	return err
}

// handleClinics lists the trust's outpatient clinics.
func (s *Server) handleClinics(w http.ResponseWriter, r *http.Request) error {
	page := &clinicsPage{Form: clinicForm{SlotMinutes: "15", SlotType: crs.SlotNew}}
	if err := s.loadClinics(r, page); err != nil {
		return err
	}
	return s.render(w, r, "clinics", page)
}

// clinicPage is the data of one clinic's day.
type clinicPage struct {
	pageData
	Clinic     *crs.Clinic
	Day        crs.Date
	Prev, Next crs.Date
	Slots      []*clinicSlot
	From, To   string // the make slots form as typed
}

// clinicSlot is a slot of the day with its appointment, when known.
type clinicSlot struct {
	*crs.Slot
	Appointment *crs.Appointment
}

// handleClinic shows a clinic's slots on a day (?date=YYYY-MM-DD, today
// by default), free or booked.
func (s *Server) handleClinic(w http.ResponseWriter, r *http.Request) error {
	page := &clinicPage{}
	if err := s.loadClinic(r, page); err != nil {
		return err
	}
	page.From, page.To = page.Day.String(), crs.Date{Time: page.Day.AddDate(0, 0, 27)}.String()
	return s.render(w, r, "clinic", page)
}

// handleGenerateSlots makes the clinic's bookable slots from its weekly
// sessions for the dates from..to; slots already made are kept.
func (s *Server) handleGenerateSlots(w http.ResponseWriter, r *http.Request) error {
	page := &clinicPage{From: form(r, "from"), To: form(r, "to")}
	if err := s.loadClinic(r, page); err != nil {
		return err
	}
	from, ok := parseDay(page.From)
	if !ok || from.IsZero() {
		page.Errors.add("from", "", "First date must be a real date, for example 2026-03-02")
	}
	to, ok := parseDay(page.To)
	if !ok || to.IsZero() {
		page.Errors.add("to", "", "Last date must be a real date, for example 2026-03-29")
	}
	if !page.Errors.Any() {
		n, err := s.Outpatients.GenerateSlots(r.Context(), actorOf(r), page.Clinic.ID, from, to)
		if err == nil {
			return s.redirect(w, r, "/clinics/"+page.Clinic.ID+"?date="+from.String(),
				fmt.Sprintf("%s made from %s to %s", crs.Count(n, "slot", "slots"), from.Display(), to.Display()))
		}
		if !serviceErrors(&page.Errors, err, nil, "from") {
			return err
		}
	}
	page.Errors.sortBy([]string{"from", "to"})
	return s.renderStatus(w, r, http.StatusUnprocessableEntity, "clinic", page)
}

// loadClinic reads the clinic and its slots on the day of ?date= (today
// by default).
func (s *Server) loadClinic(r *http.Request, page *clinicPage) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	a := actorOf(r)
	if err := canSeeClinics(a); err != nil {
		return err
	}
	var clinic *crs.Clinic
	cs, err := s.Outpatients.FindClinics(r.Context(), a)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.ID == r.PathValue("id") {
			clinic = c
		}
	}
	if clinic == nil {
		return crs.Errorf(crs.ENOTFOUND, "There is no such clinic in this trust.")
	}
	day := crs.LocalDate(s.now())
	if d, ok := parseDay(r.URL.Query().Get("date")); ok && !d.IsZero() {
		day = d
	}
	page.Clinic, page.Day, page.Prev, page.Next = clinic, day, crs.Date{Time: day.AddDate(0, 0, -1)}, crs.Date{Time: day.AddDate(0, 0, 1)}
	page.Title, page.Nav = "Clinic "+clinic.Code, "clinics"
	if !a.Can(crs.ActManagePathways) {
		return nil // an administrator who set the clinic up sees it, not its bookings
	}
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, crs.London)
	slots, err := s.Outpatients.FindSlots(r.Context(), a, crs.SlotQuery{ClinicID: clinic.ID, From: from, To: from.AddDate(0, 0, 1), Limit: 500})
	if err != nil {
		return err
	}
	booked := map[string]*crs.Appointment{}
	if l, ok := s.Outpatients.(clinicAppointmentLister); ok {
		aps, err := l.FindClinicAppointments(r.Context(), a, clinic.ID, day)
		if err != nil {
			return err
		}
		for _, ap := range aps {
			if ap.Status != crs.AppointmentCancelled {
				booked[ap.SlotID] = ap
			}
		}
	}
	for _, sl := range slots {
		page.Slots = append(page.Slots, &clinicSlot{Slot: sl, Appointment: booked[sl.ID]})
	}
	return nil
}
