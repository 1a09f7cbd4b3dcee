package crs

import "time"

// SchedulingTx is what a command may do with outpatient bookings inside
// its transaction: what an external booking system's SIU messages need
// to be mapped onto the trust's clinic slots. Bookings keep every rule of
// the outpatient service: an appointment is always in a free slot of a
// clinic, for an open referral of the clinic's treatment function.
type SchedulingTx interface {
	// FindClinicsByCode lists the trust's active clinics a sender's
	// location code names: the clinic with that code, or the clinics held
	// in the clinic room with that code.
	FindClinicsByCode(code string) ([]*Clinic, error)
	// FindSlotsAt lists the slots of the clinics that start at start,
	// booked or free.
	FindSlotsAt(clinicIDs []string, start time.Time) ([]*Slot, error)
	// FindSlotTimes lists the start times of the clinics' slots on the
	// day of start (UK time), for a refusal that says what there is.
	FindSlotTimes(clinicIDs []string, day Date) ([]time.Time, error)
	// FindOpenReferrals lists the patient's open referrals, oldest first.
	FindOpenReferrals(patientID string) ([]*Referral, error)
	// PatientPathways lists the patient's RTT pathways, as the command
	// has left them so far.
	PatientPathways(patientID string) ([]*Pathway, error)
	// GetAppointment reads one of the trust's appointments.
	GetAppointment(id string) (*Appointment, error)
	// BookAppointment books a referral into a free slot (see
	// OutpatientService.BookAppointment).
	BookAppointment(b Booking) (*Appointment, error)
	// CancelAppointment cancels a booked appointment and frees its slot.
	CancelAppointment(id string, c Cancellation) error
	// CheckInAppointment checks the patient in for a booked appointment
	// (at; zero means now).
	CheckInAppointment(id string, at time.Time) error
	// RescheduleAppointment cancels an appointment and books its referral
	// into another slot.
	RescheduleAppointment(id string, c Cancellation, slotID string) (*Appointment, error)
	// RecordAttendance records that the patient was seen or did not attend.
	RecordAttendance(id string, attended bool, at time.Time) error
	// LinkAppointment records that a booking system (by its facility)
	// knows the appointment by its own id, so its later messages find it;
	// a link already held moves to the appointment given (a reschedule
	// makes a new appointment).
	LinkAppointment(facility, externalID, appointmentID string) error
	// FindLinkedAppointment returns the appointment a booking system's id
	// names; ENOTFOUND when it names none.
	FindLinkedAppointment(facility, externalID string) (*Appointment, error)
}
