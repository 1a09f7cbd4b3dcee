package rtt

import (
	"fmt"
	"strconv"
	"strings"
)

// Status is a REFERRAL TO TREATMENT PERIOD STATUS (NHS Data Dictionary,
// DSCN 18/2006; guidance Annex D): the two-digit code the lead care
// professional records for each activity on a pathway, usually on the
// clinic outcome sheet, saying whether the activity started an RTT clock,
// left it running, stopped it, or is not part of an RTT period.
//
// The zero Status means "not recorded" (the PAS holds no status for the
// event); it is not a valid national code.
type Status uint8

// The 17 national RTT period status codes.
const (
	// Clock starts.
	StatusFirstActivity         Status = 10 // first activity in an RTT period (e.g. first outpatient appointment)
	StatusAfterActiveMonitoring Status = 11 // first activity of a new RTT period after active monitoring
	StatusSeparateCondition     Status = 12 // first activity of a new RTT period after a referral to a consultant for a separate condition

	// Clock still running.
	StatusSubsequentActivity Status = 20 // further activities anticipated
	StatusTransferred        Status = 21 // care transferred to another provider, which continues the period

	// Clock stops.
	StatusFirstTreatment            Status = 30 // start of first definitive treatment
	StatusActiveMonitoringPatient   Status = 31 // start of active monitoring initiated by the patient
	StatusActiveMonitoringClinician Status = 32 // start of active monitoring initiated by the care professional
	StatusDidNotAttendFirst         Status = 33 // patient did not attend the first care activity after the referral
	StatusDecisionNotToTreat        Status = 34 // decision not to treat, or no further contact required (also transplant list)
	StatusDeclinedTreatment         Status = 35 // patient declined offered treatment
	StatusDied                      Status = 36 // patient died before treatment

	// Not part of an RTT period.
	StatusAfterTreatment         Status = 90 // first definitive treatment occurred previously
	StatusDuringActiveMonitoring Status = 91 // care activity during active monitoring
	StatusNotYetReferred         Status = 92 // diagnostic tests by the GP before referral
	StatusNotApplicable          Status = 98 // activity not applicable to RTT periods (e.g. not consultant-led)

	// Not yet known.
	StatusNotKnown Status = 99 // RTT period status not yet known
)

// Category groups RTT period status codes by their effect on the clock, as
// the Data Dictionary and guidance Annex D group them.
type Category uint8

// Categories of RTT period status. The zero Category belongs to no valid
// status.
const (
	CategoryClockStart   Category = iota + 1 // 10-12: first activity of an RTT period
	CategoryClockRunning                     // 20-21: the period continues
	CategoryClockStop                        // 30-36: the period ends
	CategoryNotRTT                           // 90-92, 98: not part of an RTT period
	CategoryUnknown                          // 99: not yet known
)

var categoryNames = [...]string{
	"not an RTT status", "clock start", "clock running", "clock stop",
	"not part of an RTT period", "not yet known",
}

// String returns the category in plain words, e.g. "clock stop".
func (c Category) String() string {
	if int(c) < len(categoryNames) {
		return categoryNames[c]
	}
	return "Category(" + strconv.Itoa(int(c)) + ")"
}

type statusInfo struct {
	cat   Category
	label string // short label used in messages
	desc  string // Data Dictionary description
}

// statuses is the national code table, written from the NHS Data
// Dictionary descriptions (REFERRAL TO TREATMENT PERIOD STATUS) and guidance
// Annex D.
var statuses = [100]statusInfo{
	10: {CategoryClockStart, "first activity", "First activity in a referral to treatment period"},
	11: {CategoryClockStart, "new period after active monitoring", "First activity at the start of a new referral to treatment period following active monitoring"},
	12: {CategoryClockStart, "new period for a separate condition", "First activity at the start of a new referral to treatment period following a decision to refer directly to the consultant or NHS allied health professional service (referral to treatment measurement) for a separate condition"},
	20: {CategoryClockRunning, "subsequent activity", "Subsequent activity during a referral to treatment period - further activities anticipated"},
	21: {CategoryClockRunning, "transferred to another provider", "Subsequent activity by another health care provider following a transfer to another health care provider during a referral to treatment period anticipated"},
	30: {CategoryClockStop, "first definitive treatment", "End of the referral to treatment period: start of first definitive treatment"},
	31: {CategoryClockStop, "active monitoring initiated by the patient", "End of the referral to treatment period: start of active monitoring initiated by the patient"},
	32: {CategoryClockStop, "active monitoring initiated by the care professional", "End of the referral to treatment period: start of active monitoring initiated by the care professional"},
	33: {CategoryClockStop, "did not attend first appointment", "End of the referral to treatment period: did not attend - the patient did not attend the first care activity after the referral"},
	34: {CategoryClockStop, "decision not to treat", "End of the referral to treatment period: decision not to treat - decision not to treat made or no further contact required"},
	35: {CategoryClockStop, "patient declined treatment", "End of the referral to treatment period: patient declined offered treatment"},
	36: {CategoryClockStop, "patient died before treatment", "End of the referral to treatment period: patient died before treatment"},
	90: {CategoryNotRTT, "after treatment", "Not part of a referral to treatment period: after treatment - first definitive treatment occurred previously (e.g. admitted as an emergency from A&E or the activity is after the start of treatment)"},
	91: {CategoryNotRTT, "during active monitoring", "Not part of a referral to treatment period: care activity during active monitoring"},
	92: {CategoryNotRTT, "not yet referred", "Not part of a referral to treatment period: not yet referred for treatment, undergoing diagnostic tests by general practitioner before referral"},
	98: {CategoryNotRTT, "not applicable", "Not part of a referral to treatment period: activity not applicable to referral to treatment periods"},
	99: {CategoryUnknown, "not yet known", "Referral to treatment period status not yet known"},
}

// Statuses returns the 17 national RTT period status codes in ascending
// order.
func Statuses() []Status {
	var out []Status
	for i := range statuses {
		if statuses[i].cat != 0 {
			out = append(out, Status(i))
		}
	}
	return out
}

// ParseStatus reads an RTT period status as it appears in a PAS extract,
// CDS record or HL7 message ("30", " 30 "). It reports an error for anything
// that is not one of the 17 national codes.
func ParseStatus(s string) (Status, error) {
	s = strings.TrimSpace(s)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n >= len(statuses) || statuses[n].cat == 0 {
		return 0, fmt.Errorf("%q is not an RTT period status (10-12, 20-21, 30-36, 90-92, 98, 99)", s)
	}
	return Status(n), nil
}

// Valid reports whether s is one of the 17 national RTT period status codes.
func (s Status) Valid() bool {
	return int(s) < len(statuses) && statuses[s].cat != 0
}

// Category returns the effect of s on the clock; the zero Category if s is
// not valid.
func (s Status) Category() Category {
	if int(s) < len(statuses) {
		return statuses[s].cat
	}
	return 0
}

// Description returns the Data Dictionary meaning of s, or "" if s is not
// valid.
func (s Status) Description() string {
	if int(s) < len(statuses) {
		return statuses[s].desc
	}
	return ""
}

// String returns the two-digit code, or "none" for the zero Status.
func (s Status) String() string {
	if s == 0 {
		return "none"
	}
	return strconv.Itoa(int(s))
}

// label returns "30 (first definitive treatment)" for messages.
func (s Status) label() string {
	if s.Valid() {
		return s.String() + " (" + statuses[s].label + ")"
	}
	return s.String()
}
