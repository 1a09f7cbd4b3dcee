package crs

import (
	"time"

	"github.com/opencrs/crs/rtt"
)

// States of a pathway's RTT clock, as stored on the pathway.
const (
	ClockNone        = "none"        // no clock has started
	ClockRunning     = "running"     // the patient is waiting: on the PTL
	ClockStopped     = "stopped"     // treated, or a decision ended the wait
	ClockMonitoring  = "monitoring"  // stopped for active monitoring (31, 32)
	ClockNullified   = "nullified"   // nullified by a DNA of the first appointment (33)
	ClockTransferred = "transferred" // handed to another provider (21)
)

// Pathway is an RTT patient pathway: one patient's journey for one
// condition from referral to first definitive treatment, identified by
// its patient pathway identifier (PPI). Its clock columns hold the clock
// as last worked out by rtt.Evaluate, rewritten by every command that
// records an RTT event.
type Pathway struct {
	ID                string
	OrgID             string
	PatientID         string
	PPI               string // patient pathway identifier, unique in the trust
	PPIIssuer         string // who issued the PPI: the trust's ODS code, or "e-RS" for a UBRN
	ReferralID        string
	TreatmentFunction string
	Specialty         string
	ConsultantCode    string
	Priority          string

	ClockState      string     // none, running, stopped, monitoring, nullified, transferred
	ClockStart      Date       // start of the current or last RTT period
	ClockStop       Date       // when it stopped; zero while running
	StopStatus      rtt.Status // status of the stop
	StopReason      string
	LastStatus      rtt.Status // the last status recorded
	DecisionToAdmit bool       // a decision to admit was made in this period (admitted pathway)
	NextEventAt     time.Time  // the booked appointment or TCI date next; zero if none
	NextEventKind   string     // "appointment", "tci" or ""
	DNAReview       bool       // a DNA awaits review

	CreatedAt time.Time
	UpdatedAt time.Time
}

// PathwayClock is a pathway's RTT clock as of a date, with the events it
// was worked out from.
type PathwayClock struct {
	Pathway *Pathway
	AsOf    Date
	Clock   rtt.Clock
	Events  []rtt.Event
	// Periods are every RTT period of the pathway by AsOf, oldest first
	// (Annex C: one pathway, one PPI, periods one after another); the
	// last is Clock. Nil if no clock has started.
	Periods []rtt.Clock
}

// MeasurementNote says why a stopped period is outside RTT measurement,
// e.g. "Removed from measurement: nullified on 02-Mar-2026, reason did
// not attend the first appointment after referral (33)"; "" for a period
// that is measured. A nullified period is never reported in a week band
// (rule 5e, s4.4.1.3).
func MeasurementNote(c rtt.Clock) string {
	if !c.Nullified {
		return ""
	}
	return "Removed from measurement: nullified on " + DateOf(c.Stop).Display() + ", reason " + c.StopReason
}

// DNAThenDischarge finds, for a period stopped by a discharge back to the
// GP after a later-appointment DNA (rule 5f), the date of the last DNA
// before the discharge; ok is false for any other period.
func DNAThenDischarge(c rtt.Clock) (dna Date, ok bool) {
	if c.Running || c.StopKind != rtt.KindDischargedToGP {
		return Date{}, false
	}
	for _, d := range c.Decisions {
		if d.Kind == rtt.KindDidNotAttend && d.Effect == rtt.EffectContinued {
			dna, ok = DateOf(d.Date), true
		}
		if d.Kind == rtt.KindDischargedToGP && d.Rule == rtt.RuleDischargedAfterDNA {
			return dna, ok
		}
	}
	return Date{}, false
}

// Validation flags of a PTL row: what a waiting list validator must look
// at.
const (
	FlagNoFutureActivity = "no future activity" // nothing booked: the patient could be lost
	FlagOver18Weeks      = "over 18 weeks"      // the wait is over the 18-week standard
	FlagDNAToReview      = "DNA to review"      // a DNA awaits a clinical decision
)

// PTLFilter narrows and orders the patient tracking list.
type PTLFilter struct {
	TreatmentFunction string
	ConsultantCode    string
	Flag              string // only rows with this validation flag
	ShortestFirst     bool   // order by shortest wait first (default: longest first)
	Limit             int    // rows per page; 0 means 100, at most 1000
	Cursor            string // from PTLPage.Next, for the following page
	AsOf              Date   // the date waits are counted to; zero means today
}

// PTLRow is one incomplete pathway on the patient tracking list.
type PTLRow struct {
	PathwayID         string
	PPI               string
	PatientID         string
	MRN               string
	NHSNumber         string
	Name              string
	TreatmentFunction string
	ConsultantCode    string
	Priority          string
	ClockStart        Date
	Days              int  // days waiting
	Weeks             int  // weeks waiting, as the RTT return bands it
	Admitted          bool // a decision to admit was made (admitted pathway)
	NextEventAt       time.Time
	NextEventKind     string
	Flags             []string
}

// PTLPage is one page of the patient tracking list.
type PTLPage struct {
	Rows []*PTLRow
	Next string // cursor of the next page; "" on the last
	AsOf Date
	// Removed are the latest pathways (at most PTLRemovedShown) of the
	// filter's service and consultant whose clock was nullified by a DNA
	// of the first appointment (rule 5e): removed from measurement, so
	// never on the list, shown apart so that no one takes them for lost.
	Removed      []*PTLRemoved
	RemovedTotal int // how many such pathways there are in all
}

// PTLRemovedShown is how many nullified pathways a PTL page shows.
const PTLRemovedShown = 20

// PTLRemoved is a pathway removed from RTT measurement: its last clock
// was nullified.
type PTLRemoved struct {
	PathwayID  string
	PPI        string
	PatientID  string
	Name       string
	Nullified  Date   // the date of the DNA that nullified the clock
	StopReason string // why, e.g. "did not attend the first appointment after referral: clock nullified (33)"
}

// Note says "Removed from measurement: nullified on DATE, reason ...".
func (r *PTLRemoved) Note() string {
	return "Removed from measurement: nullified on " + r.Nullified.Display() + ", reason " + r.StopReason
}
