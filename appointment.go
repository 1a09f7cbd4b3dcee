package crs

import (
	"context"
	"strings"
	"time"

	"github.com/opencrs/crs/rtt"
)

// Event types of outpatient appointments.
const (
	EventAppointmentBooked      = "appointment.booked"      // booked into a slot (HL7 SIU^S12)
	EventAppointmentCancelled   = "appointment.cancelled"   // cancelled by the patient or the hospital; the slot is free again (SIU^S15)
	EventAppointmentRescheduled = "appointment.rescheduled" // moved to another slot in one command (SIU^S13)
	EventAppointmentCheckedIn   = "appointment.checked_in"  // the patient arrived at clinic
	EventAppointmentAttended    = "appointment.attended"    // the patient was seen
	EventAppointmentDNA         = "appointment.dna"         // the patient did not attend without notice
	EventAppointmentOutcome     = "appointment.outcome"     // the clinic outcome with its RTT status was recorded
)

// Appointment statuses.
const (
	AppointmentBooked    = "booked"
	AppointmentCheckedIn = "checked_in"
	AppointmentAttended  = "attended"
	AppointmentDNA       = "dna"
	AppointmentCancelled = "cancelled"
)

// Who cancelled an appointment.
const (
	CancelledByPatient  = "patient"
	CancelledByHospital = "hospital"
)

// Next steps of a clinic outcome.
const (
	NextDischarge   = "discharge"    // discharged to the GP
	NextFollowUp    = "follow_up"    // follow-up in FollowUpWeeks
	NextWaitingList = "waiting_list" // decision to admit: added to the waiting list
	NextReferOn     = "refer_on"     // referred to another consultant or provider
	NextRebook      = "rebook"       // after a DNA: offer another appointment
)

// AttendanceOutcome is the NHS Data Dictionary OUTCOME OF ATTENDANCE
// CODE of a clinic outcome's next step, as the outpatient CDS and the
// outpatient Encounter carry it: 1 discharged from the consultant's care
// (also when referred on), 2 another appointment given (a follow-up), 3
// an appointment to be made at a later date (listed for admission, or
// to be rebooked); "" for a step it does not know.
func AttendanceOutcome(nextStep string) string {
	switch nextStep {
	case NextDischarge, NextReferOn:
		return "1"
	case NextFollowUp:
		return "2"
	case NextWaitingList, NextRebook:
		return "3"
	}
	return ""
}

// Appointment is an outpatient appointment for a referral, always in a
// slot of a clinic.
type Appointment struct {
	ID          string
	OrgID       string
	PatientID   string
	ReferralID  string
	PathwayID   string
	SlotID      string
	ClinicID    string
	Start       time.Time
	End         time.Time // the end of its slot; zero for one migrated without a slot
	Kind        string    // new or follow_up
	Status      string    // booked, checked_in, attended, dna, cancelled
	BookedAt    time.Time
	CancelledBy string // patient or hospital
	Reason      string // why it was cancelled
	CancelledAt time.Time
	CheckedInAt time.Time
	AttendedAt  time.Time
	OutcomedAt  time.Time
	Outcome     *Outcome // nil until recorded
}

// Booking asks for a referral's patient to be booked into a slot. There
// is no way to book without a slot.
type Booking struct {
	ID         string // the appointment's id when the caller gives it (an entry of a FHIR transaction others refer to); else new
	ReferralID string
	SlotID     string
	Kind       string // new or follow_up; "" works it out from the referral
}

// Cancellation says who cancelled an appointment and why. Cancellations
// never stop the RTT clock.
type Cancellation struct {
	By     string // patient or hospital
	Reason string
}

// Validate checks the cancellation.
func (c Cancellation) Validate() error {
	var es Errors
	if c.By != CancelledByPatient && c.By != CancelledByHospital {
		es = append(es, FieldErrorf("cancelled_by", "say whether the patient or the hospital cancelled"))
	}
	if strings.TrimSpace(c.Reason) == "" {
		es = append(es, FieldErrorf("reason", "say why the appointment was cancelled"))
	}
	es.addNote("reason", "the reason", c.Reason, MaxCommentLength)
	return es.Err()
}

// Outcome is what the clinician decided at an attendance: the RTT period
// status (mandatory, checked against the pathway's clock) and the next
// step. After a DNA the outcome is the review decision: rebook or
// discharge, and the status is worked out.
type Outcome struct {
	RTTStatus     rtt.Status
	NextStep      string            // discharge, follow_up, waiting_list, refer_on, rebook
	FollowUpWeeks int               // for follow_up
	Listing       *WaitingListEntry // for waiting_list: the decision to admit
	Note          string
}

// Validate checks the outcome on its own; the store checks it against
// the pathway.
func (o *Outcome) Validate() error {
	var es Errors
	switch o.NextStep {
	case NextDischarge, NextReferOn, NextRebook:
	case NextFollowUp:
		if o.FollowUpWeeks < 1 || o.FollowUpWeeks > 104 {
			es = append(es, FieldErrorf("follow_up_weeks", "say in how many weeks (1 to 104) the follow-up is due"))
		}
	case NextWaitingList:
		if o.Listing == nil {
			es = append(es, FieldErrorf("listing", "adding to the waiting list needs the intended procedure, management, priority and consultant"))
		}
	default:
		es = append(es, FieldErrorf("next_step", "next step %q is not discharge, follow_up, waiting_list, refer_on or rebook", o.NextStep))
	}
	es.addNote("note", "the note", o.Note, MaxCommentLength)
	return es.Err()
}

// OutpatientService runs outpatient clinics: templates, slots, bookings,
// attendances and outcomes.
type OutpatientService interface {
	// CreateClinic adds a clinic template.
	CreateClinic(ctx context.Context, a Actor, c *Clinic) error
	// FindClinics lists the trust's clinics.
	FindClinics(ctx context.Context, a Actor) ([]*Clinic, error)
	// GenerateSlots makes the clinic's slots for the dates from..to
	// inclusive; slots already made are kept, so it can be run again. It
	// returns how many slots were added.
	GenerateSlots(ctx context.Context, a Actor, clinicID string, from, to Date) (int, error)
	// FindSlots lists slots, earliest first.
	FindSlots(ctx context.Context, a Actor, q SlotQuery) ([]*Slot, error)

	// BookAppointment books a referral into a free slot; ECONFLICT if the
	// slot is taken.
	BookAppointment(ctx context.Context, a Actor, b Booking) (*Appointment, error)
	// CancelAppointment cancels a booked appointment and frees its slot.
	CancelAppointment(ctx context.Context, a Actor, id string, c Cancellation) error
	// RescheduleAppointment cancels an appointment and books the
	// referral into another slot, in one command.
	RescheduleAppointment(ctx context.Context, a Actor, id string, c Cancellation, slotID string) (*Appointment, error)
	// CheckIn records that the patient arrived at clinic.
	CheckIn(ctx context.Context, a Actor, id string, at time.Time) error
	// RecordAttendance records that the patient was seen (attended true)
	// or did not attend without notice. A DNA of the first appointment
	// after referral nullifies the RTT clock.
	RecordAttendance(ctx context.Context, a Actor, id string, attended bool, at time.Time) error
	// RecordOutcome records the clinic outcome of an attendance or the
	// review of a DNA.
	RecordOutcome(ctx context.Context, a Actor, id string, o *Outcome) error
	// FindAppointment returns an appointment.
	FindAppointment(ctx context.Context, a Actor, id string) (*Appointment, error)
	// FindClinicAppointments lists one clinic's appointments on a day.
	FindClinicAppointments(ctx context.Context, a Actor, clinicID string, day Date) ([]*Appointment, error)
	// FindAppointments lists a referral's appointments, earliest first.
	FindAppointments(ctx context.Context, a Actor, referralID string) ([]*Appointment, error)
	// ListAppointments lists the trust's outpatient appointments across
	// its patients, a batch at a time in the order of RecordScan, and
	// the cursor of the next batch ("" after the last); audited as a
	// list shown of the patients booked.
	ListAppointments(ctx context.Context, a Actor, q RecordScan) ([]*Appointment, string, error)
	// CountAppointments counts what ListAppointments would list of a RecordScan, all
	// its batches (its cursor, order and limit aside).
	CountAppointments(ctx context.Context, a Actor, q RecordScan) (int, error)
}
