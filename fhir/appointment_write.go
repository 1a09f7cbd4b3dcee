package fhir

import (
	"cmp"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// An outpatient appointment is booked, cancelled and attended through the
// FHIR API by the PAS's own commands, as the clinic screens do it, each
// with its event, its HL7 message and its step of the referral's RTT
// pathway:
//
//   - POST Appointment books a referral (basedOn ServiceRequest/ref-...)
//     into a free slot of a clinic (slot Slot/slot-...), status booked;
//   - PUT Appointment/[id] with status cancelled (and cancelationReason,
//     saying whether the patient or the hospital cancelled, and why)
//     cancels it and frees the slot; arrived checks the patient in;
//     fulfilled records that they were seen, noshow that they did not
//     attend.
//
// Anything else an update would change is the PAS's (refused 422 naming
// it): an appointment moves by cancelling it and booking the new slot.

// appointmentWritable reports whether Appointments are the PAS's, which
// the API writes through its commands.
func (s *Server) appointmentWritable(typ string) bool {
	return typ == "Appointment" && s.coreType(typ) != nil && s.Core.Outpatients != nil
}

// createAppointment answers a create of an Appointment: a booking.
func (s *Server) createAppointment(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if r.Header.Get("If-None-Exist") != "" {
		return invalid("not-supported", "If-None-Exist", "a conditional create of an Appointment is not supported: a booking takes its slot, which no second booking can")
	}
	res, err := decodeFor(r, "Appointment")
	if err != nil {
		return err
	}
	if err := s.checkSent(r.Context(), p.Actor, res, ""); err != nil {
		return err
	}
	b, patient, err := bookingOf(res)
	if err != nil {
		return err
	}
	var ap *crs.Appointment
	err = s.Store.Write(r.Context(), p.Actor, crs.ActManagePathways, func(tx crs.Tx) error {
		var err error
		ap, err = bookIn(tx, b, patient)
		return err
	})
	if err != nil {
		return err
	}
	stored, err := readAppointment(s, r.Context(), p, ap.ID)
	if err != nil {
		return err
	}
	writeUpdated(w, r, stored, true)
	return nil
}

// bookIn books within a command, refusing a booking whose Appointment
// names another patient than the referral's.
func bookIn(tx crs.Tx, b crs.Booking, patient string) (*crs.Appointment, error) {
	ap, err := tx.BookAppointment(b)
	if err != nil {
		return nil, err
	}
	if patient != "" && patient != ap.PatientID {
		return nil, unprocessable("business-rule", "Appointment.participant", "the referral ServiceRequest/%s%s is Patient/%s's, not Patient/%s's", prefixReferral, b.ReferralID, ap.PatientID, patient)
	}
	return ap, nil
}

// bookingOf reads a booking from an Appointment: its referral, its slot,
// first or follow-up, and the patient it names, if any.
func bookingOf(res Resource) (crs.Booking, string, error) {
	var b crs.Booking
	if st, _ := res["status"].(string); st != "booked" {
		return b, "", unprocessable("business-rule", "Appointment.status", "an appointment is created booked (status booked) into a slot of a clinic, not %q", st)
	}
	slots := array(res["slot"])
	if len(slots) != 1 {
		return b, "", unprocessable("required", "Appointment.slot", "name the one slot to book (Slot/%s...), a free slot of one of the trust's clinics", prefixSlot)
	}
	slot, ok := heldRef(slots[0], "Slot", prefixSlot)
	if !ok {
		return b, "", unprocessable("invalid", "Appointment.slot[0]", "the slot to book is one of the trust's clinics' (Slot/%s...)", prefixSlot)
	}
	var referral string
	for i, x := range array(res["basedOn"]) {
		id, ok := heldRef(x, "ServiceRequest", prefixReferral)
		if !ok {
			return b, "", unprocessable("invalid", "Appointment.basedOn["+strconv.Itoa(i)+"]", "an appointment is based on one of the trust's referrals (ServiceRequest/%s...)", prefixReferral)
		}
		if referral != "" && id != referral {
			return b, "", unprocessable("invalid", "Appointment.basedOn", "an appointment is based on one referral, not two")
		}
		referral = id
	}
	if referral == "" {
		return b, "", unprocessable("required", "Appointment.basedOn", "name the referral the appointment is for (basedOn ServiceRequest/%s...): the PAS books a referral's appointment, which its RTT pathway counts", prefixReferral)
	}
	b.ReferralID, b.SlotID = referral, slot
	if t, _ := res["appointmentType"].(map[string]any); t != nil {
		for _, c := range array(t["coding"]) {
			m, _ := c.(map[string]any)
			switch m["code"] {
			case "FOLLOWUP":
				b.Kind = crs.SlotFollowUp
			case "ROUTINE":
				b.Kind = crs.SlotNew
			}
		}
	}
	patient := ""
	for _, x := range array(res["participant"]) {
		m, _ := x.(map[string]any)
		if id, ok := heldRef(m["actor"], "Patient", ""); ok {
			patient = id
		}
	}
	return b, patient, nil
}

// heldRef reads a Reference to one of typ's records whose ids start with
// prefix, and returns the record's id without it.
func heldRef(v any, typ, prefix string) (string, bool) {
	m, _ := v.(map[string]any)
	ref, _ := m["reference"].(string)
	id, ok := strings.CutPrefix(ref, typ+"/")
	if !ok || !strings.HasPrefix(id, prefix) || len(id) == len(prefix) || strings.Contains(id, "/") {
		return "", false
	}
	return strings.TrimPrefix(id, prefix), true
}

// appointmentChanges are the elements of an Appointment an update may
// change; the others, and what the server writes of each (meta, text),
// are compared with the record's.
var appointmentChanges = []string{"status", "cancelationReason", "meta", "text", "id", "resourceType"}

// changeAppointment decides the change from the appointment cur (held,
// as served) to res: its status (with cancelationReason when cancelled)
// by the PAS's command, nothing else.
func (s *Server) changeAppointment(r *http.Request, p *Principal, cur *crs.Resource, held, res Resource) (heldCommand, error) {
	id := cur.ID
	if err := unchangedExcept("Appointment", held, res, appointmentChanges, func(k string) string {
		if k == "slot" || k == "start" || k == "end" {
			return "; to move it, cancel it (status cancelled) and book the new slot (POST)"
		}
		return ""
	}); err != nil {
		return nil, err
	}
	from, _ := held["status"].(string)
	to, _ := res["status"].(string)
	switch {
	case to == from:
		return nil, nil
	case to == "cancelled" && (from == "booked" || from == "arrived"):
		c, err := cancellationOf(res)
		if err != nil {
			return nil, err
		}
		return func(tx crs.Tx) error { return tx.CancelAppointment(id, c) }, nil
	case to == "arrived" && from == "booked":
		return func(tx crs.Tx) error { return tx.CheckInAppointment(id, tx.Now()) }, nil
	case (to == "fulfilled" || to == "noshow") && (from == "booked" || from == "arrived"):
		return func(tx crs.Tx) error { return tx.RecordAttendance(id, to == "fulfilled", tx.Now()) }, nil
	}
	return nil, unprocessable("business-rule", "Appointment.status", "an appointment that is %s does not become %s: a booked one is cancelled, arrived, fulfilled or noshow", from, to)
}

// cancellationOf reads who cancelled an appointment and why from its
// cancelationReason: R4's codes pat (and those under it) say the patient,
// the others the hospital (prov, maint, oth, ...); the reason is its text,
// else its display, else its code.
func cancellationOf(res Resource) (crs.Cancellation, error) {
	cr, _ := res["cancelationReason"].(map[string]any)
	if cr == nil {
		return crs.Cancellation{}, unprocessable("required", "Appointment.cancelationReason", "say who cancelled the appointment and why (cancelationReason: a code of http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason, pat for the patient, prov for the hospital, and its text)")
	}
	c := crs.Cancellation{By: crs.CancelledByHospital}
	c.Reason, _ = cr["text"].(string)
	for _, x := range array(cr["coding"]) {
		m, _ := x.(map[string]any)
		code, _ := m["code"].(string)
		if strings.HasPrefix(code, "pat") {
			c.By = crs.CancelledByPatient
		}
		if c.Reason == "" {
			display, _ := m["display"].(string)
			c.Reason = cmp.Or(display, code)
		}
	}
	if strings.TrimSpace(c.Reason) == "" {
		return c, unprocessable("required", "Appointment.cancelationReason", "say why the appointment was cancelled (cancelationReason.text)")
	}
	return c, nil
}
