package web

import (
	"net/http"
	"time"

	"github.com/opencrs/crs"
)

// bookingPage is the data of the page that books a referral (or
// reschedules an appointment) into a free slot: only real free slots of
// clinics of the referral's service can be chosen.
type bookingPage struct {
	pageData
	Referral    *crs.Referral
	Appointment *crs.Appointment // when rescheduling
	Kind        string           // new or follow_up
	Slots       []*crs.Slot
	Clinics     map[string]*crs.Clinic
	From        string
	Slot        string // chosen
	By, Reason  string // rescheduling: who asked and why
}

// freeSlots lists the free slots a referral can be booked into from a
// date: clinics of its treatment function, slots of the right kind.
func (s *Server) freeSlots(r *http.Request, ref *crs.Referral, kind string, from time.Time) ([]*crs.Slot, error) {
	slots, err := s.Outpatients.FindSlots(r.Context(), actorOf(r), crs.SlotQuery{TreatmentFunction: ref.TreatmentFunction, From: from,
		To: from.AddDate(0, 0, 7*12), FreeOnly: true, Limit: 200})
	if err != nil {
		return nil, err
	}
	var out []*crs.Slot
	for _, sl := range slots {
		if sl.Booked || (kind == crs.SlotFollowUp) != (sl.Type == crs.SlotFollowUp) {
			continue
		}
		out = append(out, sl)
		if len(out) == 60 {
			break
		}
	}
	return out, nil
}

// bookingKind works out whether the referral's next appointment is a
// first appointment or a follow-up.
func (s *Server) bookingKind(r *http.Request, ref *crs.Referral) (string, error) {
	aps, err := s.Outpatients.FindAppointments(r.Context(), actorOf(r), ref.ID)
	if err != nil {
		return "", err
	}
	for _, ap := range aps {
		if ap.Status == crs.AppointmentAttended {
			return crs.SlotFollowUp, nil
		}
	}
	return crs.SlotNew, nil
}

// loadBooking fills the booking page of a referral.
func (s *Server) loadBooking(r *http.Request, ref *crs.Referral, page *bookingPage) error {
	b, err := s.patientBanner(r, ref.PatientID)
	if err != nil {
		return err
	}
	page.Banner, page.Referral = b, ref
	if page.Kind, err = s.bookingKind(r, ref); err != nil {
		return err
	}
	from := s.now()
	if d, msg := readDate(r, "from", "The date"); msg != "" {
		page.Errors.dateError("from", msg)
	} else if !d.IsZero() && d.After(from) {
		from = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, crs.London)
	}
	if page.Slots, err = s.freeSlots(r, ref, page.Kind, from); err != nil {
		return err
	}
	page.Clinics = s.clinicsByID(r)
	return nil
}

// handleBookForm shows the free slots a referral can be booked into.
func (s *Server) handleBookForm(w http.ResponseWriter, r *http.Request) error {
	if err := actorOf(r).Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	ref, err := s.journeyReferral(r)
	if err != nil {
		return err
	}
	page := &bookingPage{From: r.URL.Query().Get("from")}
	page.Title = "Book an appointment"
	if err := s.loadBooking(r, ref, page); err != nil {
		return err
	}
	return s.render(w, r, "booking", page)
}

// handleBook books the referral into the chosen slot.
func (s *Server) handleBook(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	ref, err := s.journeyReferral(r)
	if err != nil {
		return err
	}
	page := &bookingPage{From: form(r, "from"), Slot: form(r, "slot")}
	page.Title = "Book an appointment"
	if page.Slot == "" {
		page.Errors.add("slot", "slots", "Choose a free slot")
	}
	return s.submit(w, r, s.bookingForm(r, ref, page), func() (string, string, error) {
		ap, err := s.Outpatients.BookAppointment(r.Context(), a, crs.Booking{ReferralID: ref.ID, SlotID: page.Slot})
		if err != nil {
			return "", "", slotRefusal(err)
		}
		return "/appointments/" + ap.ID, "Booked for " + ap.Start.In(crs.London).Weekday().String() + " " + showDateTime(ap.Start), nil
	})
}

// bookingForm is the booking page's form (booking or rescheduling into a
// slot): a refusal stands beside the slot list, and the free slots are
// read again when the form is shown again.
func (s *Server) bookingForm(r *http.Request, ref *crs.Referral, page *bookingPage) formPost {
	return formPost{name: "booking", page: page, anchors: map[string]string{"slot": "slots"}, fallback: "slot",
		reload: func() error { return s.loadBooking(r, ref, page) }}
}

// slotRefusal turns a booking into a slot that is not one of the trust's
// into a refusal beside the slot list.
func slotRefusal(err error) error {
	if crs.ErrorCode(err) == crs.ENOTFOUND && crs.ErrorField(err) == "slot" {
		return crs.FieldErrorf("slot", "That slot is not one of this trust's clinic slots; choose a free slot from the list")
	}
	return err
}
