package web

import (
	"context"
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
	if d, msg := readDate(r, "date", "Date"); msg == "" && !d.IsZero() {
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
