package rtt

import (
	"errors"
	"strconv"
	"time"
)

// Event is one thing that happened on a patient pathway (one referral for
// one condition, identified by its patient pathway identifier): a referral,
// a booking, an attendance and its outcome, an admission, a clinical
// decision. The RTT clock is derived from the pathway's events and nothing
// else.
type Event struct {
	// Date is the calendar date the event happened or the decision was
	// made and communicated to the patient; only its year, month and day (in
	// its own location) count. For the dates that start a clock see the
	// Kind constants.
	Date time.Time
	// Kind says what happened.
	Kind Kind
	// Status is the RTT period status recorded for the event (for an
	// attendance, the outcome on the clinic outcome sheet); zero if none
	// was recorded. For outcome events (KindAttended,
	// KindValidationCorrection) the status decides the effect on the clock.
	Status Status
	// Ref identifies the source record (appointment id, UBRN, spell id)
	// so that a Decision can be traced back to the PAS.
	Ref string
	// Note is free text from the user who recorded the event.
	Note string
}

// Kind is what happened at an event on a patient pathway.
type Kind uint8

// Kinds of pathway event. The zero Kind is not valid.
const (
	// KindReferralReceived: the provider received a referral for
	// consultant-led care (or an interface, referral management or
	// assessment service), including a patient self-referral ratified by a
	// care professional and a re-referral. Date is the date the referral
	// was received (rules 1, 2, 3c; s3.2.1, s3.3, s3.4.3).
	KindReferralReceived Kind = iota + 1
	// KindUBRNConverted: the patient converted the NHS e-Referral Service
	// UBRN, or the deferred UBRN appeared on the provider's Appointment Slot
	// Issue worklist. Date is that date; it starts the clock (s3.2.1).
	KindUBRNConverted
	// KindTransferIn: the patient's care was transferred to this provider
	// part way along an RTT period. Date must be the original clock start
	// from the IPTAMDS, not the date this provider received the referral
	// (s11.3).
	KindTransferIn
	// KindAppointmentBooked: an outpatient appointment was booked. After
	// a first-appointment DNA nullified the clock, Date is the date the
	// patient contacted the trust to rebook, which starts a new clock
	// (rule 3e, s3.4.5).
	KindAppointmentBooked
	// KindCancelledByPatient: the patient cancelled, rearranged or
	// postponed an appointment or admission (s4.4.2.1).
	KindCancelledByPatient
	// KindCancelledByHospital: the provider cancelled an appointment or
	// admission, including after admission for want of theatre time
	// (s4.4.2.2).
	KindCancelledByHospital
	// KindDidNotAttend: the patient did not attend an appointment or
	// admission without prior notice (DNA, or Was Not Brought). Whether it
	// was the first appointment after the referral is worked out from the
	// pathway; status 33 records that the provider applies rule 5e.
	KindDidNotAttend
	// KindAttended: the patient attended an outpatient appointment (face
	// to face or remote). Status is the outcome from the clinic outcome
	// sheet and decides the effect on the clock (Annex D).
	KindAttended
	// KindDecisionToAdmit: a clinical decision to admit for day case or
	// inpatient treatment (s10.1.1.2 Part 2a).
	KindDecisionToAdmit
	// KindAddedToWaitingList: the patient was added to an elective
	// admission (or, after a first-appointment DNA, outpatient) waiting
	// list.
	KindAddedToWaitingList
	// KindTCIOffered: a to-come-in date for admission was offered.
	KindTCIOffered
	// KindTCIDeclined: the patient declined an offered TCI or appointment
	// date (s8.3).
	KindTCIDeclined
	// KindAdmittedDiagnostic: admitted for a diagnostic test or procedure,
	// pre-treatment or pre-operative assessment only (s4.3.2.3).
	KindAdmittedDiagnostic
	// KindAdmittedNotTreated: admitted for first definitive treatment, but
	// the procedure was not carried out during the admission (s4.3.2.3).
	KindAdmittedNotTreated
	// KindAdmittedForTreatment: admitted as an inpatient or day case for
	// first definitive treatment; Date is the admission date (s4.3.2.3).
	KindAdmittedForTreatment
	// KindTreatmentStarted: first definitive treatment started outside an
	// admission: in outpatients, an interface service, or a therapy or
	// healthcare science intervention the consultant decided on (rule 4a,
	// s4.3.2.1, s4.3.2.2).
	KindTreatmentStarted
	// KindAddedToTransplantList: a clinical decision to add the patient to
	// a (matched) transplant list was made and communicated (rule 4b,
	// s4.3.2.4; recorded with status 34, Annex E).
	KindAddedToTransplantList
	// KindActiveMonitoringStarted: a decision to start active monitoring
	// (watchful waiting), by the care professional (32) or the patient
	// (31), including a patient who wishes to delay their pathway
	// (rule 5b, s4.4.1.4, s8.3).
	KindActiveMonitoringStarted
	// KindActiveMonitoringEnded: a decision to treat, or the patient's
	// decision to go ahead, after a period of active monitoring; Date is
	// the date the decision was made and communicated (rule 3d, s3.4.4).
	KindActiveMonitoringEnded
	// KindDecisionNotToTreat: a clinical decision not to treat, or that no
	// further contact is required, made and communicated (rule 5d,
	// s4.4.1.1, s4.4.1.2).
	KindDecisionNotToTreat
	// KindPatientDeclinedTreatment: the patient declined all treatment
	// having been offered it (rule 5c, s4.4.1.1, s4.4.1.2).
	KindPatientDeclinedTreatment
	// KindDischargedToGP: the patient was returned to primary care, for
	// non consultant-led treatment or after a DNA under the local access
	// policy (rules 5a, 5f).
	KindDischargedToGP
	// KindPatientDied: the provider learnt that the patient died
	// (s4.4.1.2).
	KindPatientDied
	// KindTransferOut: care and the RTT measurement passed to another
	// provider, recorded with status 21 (s11.1, Annex C).
	KindTransferOut
	// KindNewTreatmentDecision: a decision to start a substantively new
	// or different treatment that is not part of the agreed care plan, or a
	// referral for diagnostics or opinion with a view to it (rule 3b,
	// s3.4.2).
	KindNewTreatmentDecision
	// KindBilateralSecondSide: the patient became fit and ready for the
	// second side of a bilateral procedure (rule 3a, s3.4.1).
	KindBilateralSecondSide
	// KindFirstAppointmentReoffered: after a first-appointment DNA, the
	// clinician or provider decided to offer another first appointment
	// before the patient contacted the trust (rule 3e, s3.4.5).
	KindFirstAppointmentReoffered
	// KindSuspension: a waiting list suspension or pause was recorded
	// (start or end). Since October 2015 it has no effect on the clock
	// (s1.1).
	KindSuspension
	// KindValidationCorrection: a waiting list validator corrected the
	// pathway as of Date; Status is the corrected status and decides the
	// effect (a start status starts or re-dates the clock, 20 reopens a
	// clock wrongly stopped, a stop status stops or re-dates the stop).
	KindValidationCorrection

	kindEnd
)

var kindNames = [...]string{
	"unknown kind",
	"referral received", "UBRN converted", "transfer in",
	"appointment booked", "cancelled by patient", "cancelled by hospital",
	"did not attend", "attended", "decision to admit",
	"added to waiting list", "TCI offered", "TCI declined",
	"admitted for diagnostics only", "admitted, treatment not carried out",
	"admitted for treatment", "treatment started",
	"added to transplant list", "active monitoring started",
	"active monitoring ended", "decision not to treat",
	"patient declined treatment", "discharged to GP", "patient died",
	"transfer out", "new treatment decision", "bilateral second side",
	"first appointment reoffered", "suspension", "validation correction",
}

// String returns the kind in plain words, e.g. "did not attend".
func (k Kind) String() string {
	if k < kindEnd {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Valid reports whether k is one of the Kind constants.
func (k Kind) Valid() bool { return k > 0 && k < kindEnd }

// statusSet is a bit set of status codes 0-99.
type statusSet [2]uint64

func setOf(codes ...Status) (s statusSet) {
	for _, c := range codes {
		s[c/64] |= 1 << (c % 64)
	}
	return s
}

func (s statusSet) has(c Status) bool { return c < 128 && s[c/64]&(1<<(c%64)) != 0 }

// allowed lists, for each Kind, the statuses that can be recorded on it at
// all; 0 (not recorded) is allowed everywhere except on a validation
// correction. Statuses on bookings, cancellations and offers are the
// intended status and never start or stop a clock.
var allowed = [kindEnd]statusSet{
	KindReferralReceived:          setOf(0, 10, 12, 20, 98, 99),
	KindUBRNConverted:             setOf(0, 10, 12, 20, 98, 99),
	KindTransferIn:                setOf(0, 10, 20, 99),
	KindAppointmentBooked:         setOf(0, 10, 11, 12, 20, 30, 90, 91, 98, 99),
	KindCancelledByPatient:        setOf(0, 10, 11, 12, 20, 90, 91, 98, 99),
	KindCancelledByHospital:       setOf(0, 10, 11, 12, 20, 90, 91, 98, 99),
	KindDidNotAttend:              setOf(0, 10, 20, 33, 90, 91, 98, 99),
	KindAttended:                  setOf(0, 10, 11, 12, 20, 21, 30, 31, 32, 34, 35, 90, 91, 92, 98, 99),
	KindDecisionToAdmit:           setOf(0, 10, 11, 12, 20, 90, 98, 99),
	KindAddedToWaitingList:        setOf(0, 10, 11, 12, 20, 90, 98, 99),
	KindTCIOffered:                setOf(0, 10, 11, 12, 20, 30, 90, 98, 99),
	KindTCIDeclined:               setOf(0, 10, 11, 12, 20, 90, 98, 99),
	KindAdmittedDiagnostic:        setOf(0, 10, 11, 12, 20, 90, 91, 98, 99),
	KindAdmittedNotTreated:        setOf(0, 20, 99),
	KindAdmittedForTreatment:      setOf(0, 30, 90, 98),
	KindTreatmentStarted:          setOf(0, 30),
	KindAddedToTransplantList:     setOf(0, 34),
	KindActiveMonitoringStarted:   setOf(0, 31, 32),
	KindActiveMonitoringEnded:     setOf(0, 11),
	KindDecisionNotToTreat:        setOf(0, 34),
	KindPatientDeclinedTreatment:  setOf(0, 35),
	KindDischargedToGP:            setOf(0, 34, 90, 91, 98),
	KindPatientDied:               setOf(0, 36, 90, 91, 98),
	KindTransferOut:               setOf(0, 21),
	KindNewTreatmentDecision:      setOf(0, 10, 11),
	KindBilateralSecondSide:       setOf(0, 10),
	KindFirstAppointmentReoffered: setOf(0, 10),
	KindSuspension:                setOf(0, 10, 11, 12, 20, 90, 91, 98, 99),
	KindValidationCorrection:      setOf(10, 11, 12, 20, 21, 30, 31, 32, 33, 34, 35, 36, 90, 91, 92, 98, 99),
}

// hints explain why a status cannot go on a kind, where a plain "not
// allowed" would leave the user guessing.
func kindStatusHint(k Kind, s Status) string {
	switch {
	case k == KindValidationCorrection && s == 0:
		return "a validation correction must carry the corrected RTT status"
	case (k == KindCancelledByPatient || k == KindCancelledByHospital) && s.Category() == CategoryClockStop:
		return "a cancellation never stops the clock (s4.4.2); record the clinical decision (e.g. discharge to GP) as its own event"
	case k == KindDidNotAttend && s.Category() == CategoryClockStop:
		return "a DNA stops the clock only as 33 (first appointment, rule 5e) or through a discharge to the GP (rule 5f); record the discharge as its own event"
	case k == KindAttended && s == StatusDidNotAttendFirst:
		return "the patient attended; 33 is for a DNA of the first appointment"
	case k == KindAdmittedDiagnostic && s == StatusFirstTreatment:
		return "if definitive treatment was given during a diagnostic admission, record it as admitted for treatment (Annex E)"
	case k == KindBilateralSecondSide && s == StatusSeparateCondition:
		return "12 is a referral for a separate condition (Annex E); the second side of a bilateral procedure is a new RTT period for the same condition: record 10"
	case s.Category() == CategoryClockStop:
		return "this kind of event cannot stop a clock"
	case s.Category() == CategoryClockStart:
		return "this kind of event cannot start a clock"
	}
	return "not a status this kind of event can carry"
}

// EventError is a problem with one event of a pathway, found by
// ValidateEvent or ValidateEvents.
type EventError struct {
	Index  int   // position of the event in the slice given; -1 if not known
	Event  Event // the event as given
	Reason string
}

// Error names the event and says what is wrong, e.g. `event 3 (2026-02-01,
// attended, status 10): RTT status 10 marks ...`.
func (e *EventError) Error() string {
	b := make([]byte, 0, 96+len(e.Reason))
	b = append(b, "event "...)
	if e.Index >= 0 {
		b = strconv.AppendInt(b, int64(e.Index), 10)
		b = append(b, ' ')
	}
	b = append(b, '(')
	if e.Event.Date.IsZero() {
		b = append(b, "no date"...)
	} else {
		b = e.Event.Date.AppendFormat(b, time.DateOnly)
	}
	b = append(b, ", "...)
	b = append(b, e.Event.Kind.String()...)
	if e.Event.Status != 0 {
		b = append(b, ", status "...)
		b = append(b, e.Event.Status.String()...)
	}
	b = append(b, "): "...)
	b = append(b, e.Reason...)
	return string(b)
}

// ValidateEvent checks one event on its own: that it has a date and a
// known kind, that its status is a national RTT period status, and that the
// status is one that kind of event can carry. It returns nil or an
// *EventError (with Index -1). Checks that depend on the rest of the
// pathway are made by ValidateEvents.
func ValidateEvent(e Event) error {
	if r := eventProblem(e); r != "" {
		return &EventError{Index: -1, Event: e, Reason: r}
	}
	return nil
}

func eventProblem(e Event) string {
	switch {
	case e.Date.IsZero():
		return "the event has no date"
	case !e.Kind.Valid():
		return "unknown event kind " + strconv.Itoa(int(e.Kind))
	case e.Status != 0 && !e.Status.Valid():
		return "RTT status " + e.Status.String() + " is not a national RTT period status (10-12, 20-21, 30-36, 90-92, 98, 99)"
	case !allowed[e.Kind].has(e.Status):
		return "RTT status " + e.Status.label() + " cannot be recorded on " + e.Kind.String() + ": " + kindStatusHint(e.Kind, e.Status)
	}
	return ""
}

// ValidateEvents checks every event with ValidateEvent and then checks
// that each status agrees with the state of the clock at that point of the
// pathway (in date order), as Evaluate would see it: for example a clock
// start status while the clock is already running, 20 after the clock has
// stopped, 33 on a DNA after the patient has already attended, or an
// activity with no referral before it. It returns nil, or the problems
// joined with errors.Join, each an *EventError naming the event's index in
// events.
//
// Evaluate still gives an answer for a pathway that fails validation; the
// errors say where that answer rests on data that needs correcting.
func ValidateEvents(events []Event) error {
	var errs []error
	for i, e := range events {
		if r := eventProblem(e); r != "" {
			errs = append(errs, &EventError{Index: i, Event: e, Reason: r})
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	w := walker{events: events, check: true}
	w.run(maxDay)
	return errors.Join(w.problems...)
}
