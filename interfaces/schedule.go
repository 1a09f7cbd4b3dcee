package interfaces

import (
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
)

// applySchedule maps an external booking system's SIU messages onto the
// trust's clinic slots: S12 books, S13 reschedules, S14 modifies (a
// change of time or clinic moves the appointment), S15 cancels and S26
// records that the patient did not attend. The appointment is known by
// the booking system's id (SCH-2, else SCH-1); the slot by the clinic or
// clinic room (AIL-3, else PV1-3; the booking system's own codes by the
// interface's location map, an unmapped one held until it is mapped),
// narrowed by the clinician (AIP-3) and
// service (AIS-3), and the start time (AIS-4, AIL-6, AIP-6, TQ1-7, else
// SCH-11.4). A request that fits no slot (no session at that time, the
// slot already taken, a slot of the wrong type) is refused with an ERR
// naming the field and saying why: there are no out-of-slot
// appointments.
func applySchedule(trig string) func(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	return func(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
		m := in.msg
		p, out, sch, err := patientWith(tx, in, "SCH", "a scheduling message needs SCH to say which appointment it is")
		if err != nil {
			return outcome{}, err
		}
		extField, ext := 2, strings.TrimSpace(sch.Get("2.1"))
		if ext == "" {
			extField, ext = 1, strings.TrimSpace(sch.Get("1.1"))
		}
		if ext == "" {
			return outcome{}, fieldErr("SCH", 2, hl7.CodeRequiredFieldMissing, "SCH-2 filler appointment id (or SCH-1 placer appointment id) is missing: later messages could not find the appointment")
		}
		fac := m.SendingFacility()

		linked, err := tx.FindLinkedAppointment(fac, ext)
		switch {
		case err == nil && linked.PatientID != p.ID:
			return outcome{}, fieldErr("PID", 3, hl7.CodeUnknownKey, "appointment %s is booked for another patient", ext)
		case crs.ErrorCode(err) == crs.ENOTFOUND:
			linked = nil
		case err != nil:
			return outcome{}, err
		}
		if trig != "S12" && linked == nil {
			return outcome{}, fieldErr("SCH", extField, hl7.CodeUnknownKey, "no appointment is known by %s's id %s: book it with S12 first", fac, ext)
		}
		live := linked != nil && (linked.Status == crs.AppointmentBooked || linked.Status == crs.AppointmentCheckedIn)
		cancel := cancellation(sch, in.iface.Name, trig)

		switch trig {
		case "S12":
			if live {
				return outcome{}, fieldErr("SCH", extField, hl7.CodeDuplicateKey, "appointment %s is already booked for %s; send S13 or S14 to change it", ext, localTime(linked.Start))
			}
			slot, at, err := findSlot(tx, m, in.codes, "")
			if err != nil {
				return outcome{}, err
			}
			ref, err := referralToBook(tx, p.ID, slot)
			if err != nil {
				return outcome{}, err
			}
			ap, err := tx.BookAppointment(crs.Booking{ReferralID: ref.ID, SlotID: slot.ID})
			if err != nil {
				return outcome{}, slotErr(err, at)
			}
			return out, tx.LinkAppointment(fac, ext, ap.ID)
		case "S13", "S14":
			if !live {
				return outcome{}, fieldErr("SCH", extField, hl7.CodeUnsupportedProcessing, "appointment %s is %s and cannot be moved; book a new one with S12", ext, linked.Status)
			}
			slot, at, err := findSlot(tx, m, in.codes, linked.SlotID)
			if err != nil {
				if trig == "S14" && isMissing(err) {
					return out, nil // a modification that names no time changes nothing OpenCRS keeps
				}
				return outcome{}, err
			}
			if slot.ID == linked.SlotID {
				if trig == "S13" {
					out.warn(at.seg, at.field, "the appointment is already at %s in clinic %s; nothing changed", localTime(slot.Start), slot.ClinicCode)
				}
				return out, nil
			}
			ap, err := tx.RescheduleAppointment(linked.ID, cancel, slot.ID)
			if err != nil {
				return outcome{}, slotErr(err, at)
			}
			return out, tx.LinkAppointment(fac, ext, ap.ID)
		case "S15":
			if linked.Status == crs.AppointmentCancelled {
				out.warn("SCH", extField, "appointment %s is already cancelled; nothing changed", ext)
				return out, nil
			}
			if !live {
				return outcome{}, fieldErr("SCH", extField, hl7.CodeUnsupportedProcessing, "appointment %s is %s and cannot be cancelled", ext, linked.Status)
			}
			return out, tx.CancelAppointment(linked.ID, cancel)
		case "S26":
			if linked.Status == crs.AppointmentDNA {
				out.warn("SCH", extField, "appointment %s is already recorded as did not attend; nothing changed", ext)
				return out, nil
			}
			var when time.Time
			if v := firstOf(m.Get("EVN-6.1"), m.Get("EVN-2.1")); v != "" {
				if t, err := hl7.ParseTimeIn(v, e.Zone); err == nil {
					when = t.UTC()
				}
			}
			if when.IsZero() || when.After(tx.Now()) || crs.LocalDate(when).Before(crs.LocalDate(linked.Start).Time) {
				when = tx.Now()
			}
			if err := tx.RecordAttendance(linked.ID, false, when); err != nil {
				if crs.ErrorCode(err) == crs.EINVALID || crs.ErrorCode(err) == crs.ECONFLICT {
					return outcome{}, fieldErr("SCH", extField, hl7.CodeUnsupportedProcessing, "appointment %s: %s", ext, crs.ErrorMessage(err))
				}
				return outcome{}, err
			}
			return out, nil
		}
		return outcome{}, reject("MSH", 9, hl7.CodeUnsupportedEvent, "trigger event %s of SIU is not supported", trig)
	}
}

// fieldAt is where in a message a value came from, for an ERR.
type fieldAt struct {
	seg   string
	field int
}

// errMissing marks a refusal for a value the message does not hold.
type errMissing struct{ *ackErr }

func isMissing(err error) bool { _, ok := err.(errMissing); return ok }

// findSlot finds the clinic slot the message asks for: the clinics AIL-3
// (or PV1-3) names, directly or by the interface's location map (a code
// neither knows holds the message until it is mapped), narrowed by the
// clinician (mapped by the consultant map) and service, and the slot
// of one of them at the start time, free or the slot own (the
// appointment's own, when it is being moved). It says why none fits.
func findSlot(tx crs.Tx, m *hl7.Message, codes *coder, own string) (*crs.Slot, fieldAt, error) {
	var at fieldAt
	var start string
	for _, c := range []struct {
		seg   string
		field int
		path  string
	}{{"AIS", 4, "AIS-4.1"}, {"AIL", 6, "AIL-6.1"}, {"AIP", 6, "AIP-6.1"}, {"TQ1", 7, "TQ1-7.1"}, {"SCH", 11, "SCH-11.4.1"}} {
		if v := strings.TrimSpace(m.Get(c.path)); v != "" {
			at, start = fieldAt{c.seg, c.field}, v
			break
		}
	}
	if start == "" {
		return nil, fieldAt{"SCH", 11}, errMissing{&ackErr{hl7.ACKError{Segment: "SCH", Sequence: 1, Field: 11, Code: hl7.CodeRequiredFieldMissing, Severity: hl7.SeverityError,
			Text: "the appointment has no start time: send it in AIS-4 (or AIL-6, AIP-6, TQ1-7, SCH-11.4)"}}}
	}
	when, err := hl7.ParseTimeIn(start, crs.London)
	if err != nil {
		return nil, at, fieldErr(at.seg, at.field, hl7.CodeDataType, "%s-%d start time %q is not an HL7 date/time", at.seg, at.field, start)
	}
	where := fieldAt{"AIL", 3}
	code := strings.TrimSpace(m.Get("AIL-3.1"))
	if code == "" {
		where, code = fieldAt{"PV1", 3}, strings.TrimSpace(m.Get("PV1-3.1"))
	}
	if code == "" {
		return nil, at, errMissing{&ackErr{hl7.ACKError{Segment: "AIL", Sequence: 1, Field: 3, Code: hl7.CodeRequiredFieldMissing, Severity: hl7.SeverityError,
			Text: "the appointment names no clinic: send the clinic or clinic room code in AIL-3"}}}
	}
	// The booking system's own clinic codes map onto the trust's clinics
	// and clinic rooms by the interface's location map.
	sent := code
	if to, ok, err := codes.mapped(crs.MapLocation, code); err != nil {
		return nil, at, err
	} else if ok {
		code, _, _ = strings.Cut(to, "^")
	}
	clinics, err := tx.FindClinicsByCode(code)
	if err != nil {
		return nil, at, err
	}
	if len(clinics) == 0 {
		return nil, at, holdFor(where.seg, where.field, crs.MapLocation, sent,
			"no active clinic or clinic room has code %s: map it to one of the trust's clinics (location table) and reprocess", sent)
	}
	// The clinician and the service narrow the clinics of a shared room.
	consultant := strings.ToUpper(strings.TrimSpace(m.Get("AIP-3.1")))
	if to, ok, err := codes.mapped(crs.MapConsultant, consultant); err != nil {
		return nil, at, err
	} else if ok {
		consultant = to
	}
	if c := consultant; c != "" && len(clinics) > 1 {
		clinics = narrow(clinics, func(k *crs.Clinic) bool { return strings.EqualFold(k.ConsultantCode, c) })
	}
	if s := strings.TrimSpace(m.Get("AIS-3.1")); s != "" && len(clinics) > 1 {
		clinics = narrow(clinics, func(k *crs.Clinic) bool { return k.TreatmentFunction == s || strings.EqualFold(k.Code, s) })
	}
	ids := make([]string, len(clinics))
	for i, c := range clinics {
		ids[i] = c.ID
	}
	slots, err := tx.FindSlotsAt(ids, when.UTC())
	if err != nil {
		return nil, at, err
	}
	for _, s := range slots {
		if !s.Booked || s.ID == own {
			return s, at, nil
		}
	}
	if len(slots) > 0 {
		return nil, at, fieldErr(at.seg, at.field, hl7.CodeDuplicateKey, "the slot at %s in clinic %s is already booked: the clinic is full at that time", localTime(when), slots[0].ClinicCode)
	}
	times, err := tx.FindSlotTimes(ids, crs.LocalDate(when))
	if err != nil {
		return nil, at, err
	}
	if len(times) == 0 {
		return nil, at, fieldErr(at.seg, at.field, hl7.CodeUnknownKey, "clinic %s has no session on %s: the appointment at %s fits no slot", clinics[0].Code,
			when.In(crs.London).Format("Mon 02-Jan-2006"), when.In(crs.London).Format("15:04"))
	}
	var list []string
	for i, t := range times {
		if i == 8 {
			list = append(list, "...")
			break
		}
		list = append(list, t.In(crs.London).Format("15:04"))
	}
	return nil, at, fieldErr(at.seg, at.field, hl7.CodeUnknownKey, "clinic %s has no slot starting at %s; its slots that day start at %s", clinics[0].Code, localTime(when), strings.Join(list, ", "))
}

// narrow keeps the clinics that match, or all of them when none does.
func narrow(cs []*crs.Clinic, match func(*crs.Clinic) bool) []*crs.Clinic {
	var out []*crs.Clinic
	for _, c := range cs {
		if match(c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return cs
	}
	return out
}

// referralToBook picks the patient's open referral the booking is for:
// one of the slot's clinic's treatment function waiting to be booked (a
// first appointment or a follow-up due), the oldest first.
func referralToBook(tx crs.Tx, patientID string, slot *crs.Slot) (*crs.Referral, error) {
	clinics, err := tx.FindClinicsByCode(slot.ClinicCode)
	if err != nil {
		return nil, err
	}
	tf := ""
	for _, c := range clinics {
		if c.ID == slot.ClinicID {
			tf = c.TreatmentFunction
		}
	}
	refs, err := tx.FindOpenReferrals(patientID)
	if err != nil {
		return nil, err
	}
	booked := false
	for _, r := range refs {
		if r.TreatmentFunction != tf {
			continue
		}
		if r.Worklist == crs.WorklistToBook || r.Worklist == crs.WorklistFollowUpDue {
			return r, nil
		}
		booked = true
	}
	if booked {
		return nil, fieldErr("PID", 3, hl7.CodeDuplicateKey, "the patient's referral for treatment function %s is already booked or awaiting its outcome; send S13 to move the appointment", tf)
	}
	return nil, fieldErr("PID", 3, hl7.CodeUnknownKey, "the patient has no open referral for treatment function %s (clinic %s) to book against", tf, slot.ClinicCode)
}

// cancellation reads who cancelled and why from SCH-6 (the event reason):
// a reason that names the patient is the patient's; any other the
// hospital's.
func cancellation(sch *hl7.Segment, iface, trig string) crs.Cancellation {
	code, text := strings.TrimSpace(sch.Get("6.1")), strings.TrimSpace(sch.Get("6.2"))
	reason := firstOf(text, code)
	what := map[string]string{"S13": "rescheduled", "S14": "moved", "S15": "cancelled"}[trig]
	if reason == "" {
		reason = what + " by " + iface
	}
	by := crs.CancelledByHospital
	if u := strings.ToUpper(code + " " + text); strings.Contains(u, "PATIENT") || strings.HasPrefix(u, "PAT") || strings.HasPrefix(u, "PT") {
		by = crs.CancelledByPatient
	}
	return crs.Cancellation{By: by, Reason: reason}
}

// slotErr names the start time field in a booking refused for its slot.
func slotErr(err error, at fieldAt) error {
	switch crs.ErrorField(err) {
	case "slot", "kind":
		return fieldErr(at.seg, at.field, hl7.CodeUnsupportedProcessing, "%s", crs.ErrorMessage(err))
	}
	if crs.ErrorCode(err) == crs.ECONFLICT {
		return fieldErr(at.seg, at.field, hl7.CodeUnsupportedProcessing, "%s", crs.ErrorMessage(err))
	}
	return err
}

// localTime writes a time as clinic lists do, in UK time.
func localTime(t time.Time) string { return t.In(crs.London).Format("02-Jan-2006 15:04") }

// Unwrap gives the located error, for the ERR.
func (e errMissing) Unwrap() error { return e.ackErr }
