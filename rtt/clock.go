package rtt

import (
	"slices"
	"strconv"
	"time"
)

// Clock is one referral to treatment (RTT) period of a patient pathway as
// of a date: the 18-week waiting time clock that starts at referral and
// stops at first definitive treatment or a clinical decision that ends the
// wait. It answers whether the patient is still waiting, since when, and
// why, with the rule of the NHS England guidance behind each step.
//
// There are no pauses or suspensions: since October 2015 an RTT clock,
// once started, ticks every day until it stops (guidance s1.1).
type Clock struct {
	// Running is true while the patient is waiting: the clock started and
	// has not stopped by the as-of date. Running pathways are the
	// incomplete pathways of the monthly return and the PTL.
	Running bool
	// Start is the clock start date (midnight UTC of the calendar date);
	// zero if no clock has started on the pathway.
	Start time.Time
	// Stop is the date the clock stopped, was nullified or was handed to
	// another provider; zero while running.
	Stop time.Time
	// StopReason says in plain words why the clock stopped, e.g.
	// "first definitive treatment: admitted for treatment (30)".
	StopReason string
	// Days is the wait in calendar days: from Start to the as-of date if
	// running, from Start to Stop if stopped. A clock that starts and stops
	// on the same day waited 0 days (s10.1.7).
	Days int
	// Weeks is the weekly time band of the monthly return the wait falls
	// in, counted as the guidance does (s10.1.7): Weeks = n means the band
	// ">n to n+1 weeks" (0 means "0-1 weeks", which holds 0 to 7 days). See
	// WeekBand.
	Weeks int
	// Nullified is true when the clock was stopped and nullified by a DNA
	// of the first appointment after the referral (rule 5e): the period is
	// removed from both numerator and denominator of RTT measurement and is
	// reported neither as completed nor as incomplete.
	Nullified bool
	// TransferredOut is true when care and the RTT measurement passed to
	// another provider (status 21, s11.1): the clock keeps running there
	// and this provider no longer reports it. Stop is the transfer date.
	TransferredOut bool
	// DecisionToAdmit is true when a decision to admit for treatment
	// (or an addition to an admitted waiting list, or a TCI offer) was made
	// in this period: a running clock then also counts in Part 2a of the
	// return (incomplete pathways with a decision to admit, s10.1.1.2).
	DecisionToAdmit bool
	// StartKind and StartStatus are the kind and recorded status of the
	// event that started the clock.
	StartKind   Kind
	StartStatus Status
	// StopKind and StopStatus are the kind of the event that stopped the
	// clock and the status of the stop (recorded, or implied by the kind
	// when none was recorded). A stop of KindAdmittedForTreatment is an
	// admitted pathway (Part 1a of the return); every other stop is
	// non-admitted (Part 1b).
	StopKind   Kind
	StopStatus Status
	// Decisions explains, event by event in date order, what each event
	// in this period did to the clock and which rule applied. The first
	// period also holds the events before its start.
	Decisions []Decision
}

// Decision records what one pathway event did to the RTT clock and the
// rule of the guidance that applied. String gives it in plain English.
type Decision struct {
	Index  int       // position of the event in the slice given to Evaluate
	Date   time.Time // the event's date, as given
	Kind   Kind
	Status Status
	Effect Effect
	Rule   Rule
}

// String explains the decision, e.g. "event 0 (2026-01-05, referral
// received): clock started — the clock starts on the date the provider
// receives the referral (rule 1, s3.2.1)".
func (d Decision) String() string {
	b := make([]byte, 0, 160)
	b = append(b, "event "...)
	b = strconv.AppendInt(b, int64(d.Index), 10)
	b = append(b, " ("...)
	b = d.Date.AppendFormat(b, time.DateOnly)
	b = append(b, ", "...)
	b = append(b, d.Kind.String()...)
	if d.Status != 0 {
		b = append(b, ", status "...)
		b = append(b, d.Status.String()...)
	}
	b = append(b, "): "...)
	b = append(b, d.Effect.String()...)
	b = append(b, " — "...)
	b = append(b, d.Rule.String()...)
	return string(b)
}

// Effect is what an event did to the RTT clock.
type Effect uint8

// Effects of an event on the clock.
const (
	EffectStarted     Effect = iota + 1 // a new clock started
	EffectContinued                     // the running clock keeps ticking
	EffectStopped                       // the clock stopped
	EffectNullified                     // the clock stopped and was nullified (first-appointment DNA)
	EffectTransferred                   // the period passed to another provider
	EffectIgnored                       // no clock was running and the event did not start one
	EffectCorrected                     // a validator re-dated the start or stop
	EffectReopened                      // a validator reopened a clock wrongly stopped
)

var effectNames = [...]string{"no effect", "clock started", "clock continues",
	"clock stopped", "clock nullified", "clock transferred", "no clock running",
	"clock corrected", "clock reopened"}

// String returns the effect in plain words, e.g. "clock stopped".
func (e Effect) String() string {
	if int(e) < len(effectNames) {
		return effectNames[e]
	}
	return "Effect(" + strconv.Itoa(int(e)) + ")"
}

// WeekBand returns the weekly time band of the monthly RTT return that a
// wait of days calendar days is reported in, as the number of whole weeks
// at the band's lower edge: 0 for "0-1 weeks" (0 to 7 days), 1 for ">1-2
// weeks" (8 to 14 days), 17 for ">17-18 weeks" (120 to 126 days), and so
// on; 104 and above is ">104 weeks" (729 days or more). This is the
// guidance's count (s10.1.7), not days/7: a wait of exactly 7 days is in
// the 0-1 week band and one of exactly 126 days in the 17-18 week band.
func WeekBand(days int) int {
	if days <= 0 {
		return 0
	}
	return (days - 1) / 7
}

// StandardDays is the 18 weeks of the NHS Constitution standard in days. A
// wait of exactly 126 days is still within 18 weeks (s10.1.7).
const StandardDays = 18 * 7

// Breached reports whether a wait of days calendar days is over 18 weeks,
// that is in the >18-19 week band or later (more than 126 days, s10.1.7).
func Breached(days int) bool { return days > StandardDays }

// Evaluate works out the RTT clock of a patient pathway as of the date
// asOf, from the pathway's events (in any order; events on the same date
// are taken in the order given). Events dated after asOf are ignored, so the
// clock as of any past date can be computed. It returns the latest RTT
// period: the running clock, or the last one that stopped or was nullified,
// or, if no clock ever started, a Clock with Running false, a zero Start and
// Decisions explaining why. Only calendar dates count; times of day are
// ignored.
//
// Evaluate never fails: where the events contradict each other it follows
// the rules of the guidance and says so in Decisions; ValidateEvents lists
// the contradictions.
func Evaluate(events []Event, asOf time.Time) Clock {
	w := walker{events: events}
	w.run(dayNum(asOf))
	if !w.hasCur {
		return Clock{Decisions: w.decisions}
	}
	return w.cur
}

// Periods is like Evaluate but returns every RTT period of the pathway up
// to asOf, oldest first: a pathway can hold several periods one after
// another (after treatment of the first side of a bilateral procedure,
// after active monitoring, after a nullifying DNA; Annex C), never two at
// once. The last element equals Evaluate's result. Periods returns nil if no
// clock has started.
func Periods(events []Event, asOf time.Time) []Clock {
	w := walker{events: events, keepAll: true}
	w.run(dayNum(asOf))
	if !w.hasCur {
		return nil
	}
	return append(w.periods, w.cur)
}

// phase is where the pathway stands between events.
type phase uint8

const (
	phaseNone        phase = iota // no clock has started
	phaseRunning                  // the clock is ticking
	phaseStopped                  // stopped for treatment or non-treatment
	phaseMonitoring               // stopped for active monitoring (31, 32)
	phaseNullified                // nullified by a first-appointment DNA (33)
	phaseTransferred              // passed to another provider (21)
)

const maxDay = int64(1) << 40

// walker applies the rules to the events in date order.
type walker struct {
	events  []Event
	check   bool // collect problems for ValidateEvents
	keepAll bool // keep every period for Periods

	decisions []Decision
	periods   []Clock
	problems  []error

	cur      Clock
	curFrom  int // first decision of cur
	hasCur   bool
	phase    phase
	startDay int64

	seen       int // index of the first care activity attended in the period; -1 if none
	byReferral bool
	declined   int
	dnaSince   bool // a DNA since the patient was first seen
}

func (w *walker) run(asOf int64) {
	n := len(w.events)
	w.decisions = make([]Decision, 0, n)
	w.seen = -1
	var buf [16]int64
	days := buf[:0]
	if n > len(buf) {
		days = make([]int64, 0, n)
	}
	sorted := true
	for i := range w.events {
		d := dayNum(w.events[i].Date)
		if i > 0 && d < days[i-1] {
			sorted = false
		}
		days = append(days, d)
	}
	if sorted {
		for i := range w.events {
			w.event(i, days[i], asOf)
		}
	} else {
		for _, i := range dayOrder(days) {
			w.event(i, days[i], asOf)
		}
	}
	if !w.hasCur {
		return
	}
	w.finish(&w.cur, len(w.decisions))
	if w.cur.Running {
		w.cur.Days = clampDays(asOf - w.startDay)
		w.cur.Weeks = WeekBand(w.cur.Days)
	}
}

// dayOrder is the order of the events whose day numbers are days: by
// day, events of one day in the order given.
func dayOrder(days []int64) []int {
	order := make([]int, len(days))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case days[a] < days[b]:
			return -1
		case days[a] > days[b]:
			return 1
		}
		return 0
	})
	return order
}

func (w *walker) finish(c *Clock, to int) {
	c.Decisions = w.decisions[w.curFrom:to:to]
}

func clampDays(d int64) int {
	if d < 0 {
		return 0
	}
	if d > 1<<31-1 {
		return 1<<31 - 1
	}
	return int(d)
}

func (w *walker) event(i int, d, asOf int64) {
	e := w.events[i]
	if d > asOf {
		w.note(i, EffectIgnored, RuleAfterAsOf)
		return
	}
	w.step(i, e, d)
}

func (w *walker) note(i int, eff Effect, r Rule) {
	e := &w.events[i]
	w.decisions = append(w.decisions, Decision{Index: i, Date: e.Date, Kind: e.Kind, Status: e.Status, Effect: eff, Rule: r})
}

func (w *walker) problem(i int, reason string) {
	w.problems = append(w.problems, &EventError{Index: i, Event: w.events[i], Reason: reason})
}

// start begins a new RTT period at the event.
func (w *walker) start(i int, e Event, d int64, r Rule, byReferral bool) {
	from := 0
	if w.hasCur {
		from = len(w.decisions)
		if w.keepAll {
			prev := w.cur
			w.finish(&prev, from)
			w.periods = append(w.periods, prev)
		}
	}
	st := e.Status
	if st.Category() != CategoryClockStart {
		st = 0
	}
	w.cur = Clock{Running: true, Start: dateOf(d), StartKind: e.Kind, StartStatus: st}
	w.curFrom, w.hasCur, w.phase, w.startDay = from, true, phaseRunning, d
	w.seen, w.byReferral, w.declined, w.dnaSince = -1, byReferral, 0, false
	w.note(i, EffectStarted, r)
}

// stop ends the running period at the event with status st.
func (w *walker) stop(i int, e Event, d int64, st Status, r Rule, eff Effect) {
	c := &w.cur
	c.Running, c.Stop, c.StopKind, c.StopStatus = false, dateOf(d), e.Kind, st
	c.Days = clampDays(d - w.startDay)
	c.Weeks = WeekBand(c.Days)
	c.Nullified, c.TransferredOut = false, false
	c.StopReason = stopReason(e.Kind, st)
	switch st {
	case StatusActiveMonitoringPatient, StatusActiveMonitoringClinician:
		w.phase = phaseMonitoring
	case StatusDidNotAttendFirst:
		w.phase, c.Nullified = phaseNullified, true
	case StatusTransferred:
		w.phase, c.TransferredOut = phaseTransferred, true
	default:
		w.phase = phaseStopped
	}
	if eff == 0 {
		switch w.phase {
		case phaseNullified:
			eff = EffectNullified
		case phaseTransferred:
			eff = EffectTransferred
		default:
			eff = EffectStopped
		}
	}
	w.note(i, eff, r)
}

func stopReason(k Kind, st Status) string {
	switch k {
	case KindAdmittedForTreatment:
		return "first definitive treatment: admitted for treatment (30)"
	case KindTreatmentStarted:
		return "first definitive treatment started (30)"
	case KindAddedToTransplantList:
		return "added to transplant list (34)"
	case KindDischargedToGP:
		return "discharged back to the GP (34)"
	case KindDidNotAttend:
		return "did not attend the first appointment after referral: clock nullified (33)"
	}
	if st.Valid() {
		return statuses[st].label + " (" + st.String() + ")"
	}
	return "stopped"
}

// ignoreRule is the rule that explains why an event had no effect when no
// clock is running.
func (w *walker) ignoreRule() Rule {
	switch w.phase {
	case phaseStopped:
		return RuleStoppedIgnored
	case phaseMonitoring:
		return RuleMonitoringIgnored
	case phaseNullified:
		return RuleNullifiedIgnored
	case phaseTransferred:
		return RuleTransferredIgnored
	}
	return RuleNoClock
}

// state describes the clock for a problem message (check mode only).
func (w *walker) state() string {
	switch w.phase {
	case phaseRunning:
		return "the clock has been running since " + w.cur.Start.Format(time.DateOnly)
	case phaseStopped:
		return "the clock stopped on " + w.cur.Stop.Format(time.DateOnly) + " with status " + w.cur.StopStatus.label()
	case phaseMonitoring:
		return "the clock stopped for active monitoring on " + w.cur.Stop.Format(time.DateOnly)
	case phaseNullified:
		return "the clock was nullified by a first-appointment DNA on " + w.cur.Stop.Format(time.DateOnly)
	case phaseTransferred:
		return "the pathway was transferred to another provider on " + w.cur.Stop.Format(time.DateOnly)
	}
	return "no clock start (referral) is recorded before it"
}

func (w *walker) step(i int, e Event, d int64) {
	s := e.Status
	running := w.phase == phaseRunning
	switch e.Kind {
	case KindReferralReceived, KindUBRNConverted, KindTransferIn:
		switch {
		case s == StatusNotApplicable:
			w.note(i, w.effectIf(running), RuleNotRTT)
		case running:
			if w.check && s == StatusSeparateCondition {
				w.problem(i, "RTT status 12 starts a new RTT period for a separate condition, which needs its own pathway identifier (Annex E), but "+w.state())
			}
			w.note(i, EffectContinued, RuleAlreadyRunning)
		default:
			r := RuleReferral
			switch {
			case e.Kind == KindTransferIn:
				r = RuleTransferIn
			case w.hasCur:
				r = RuleReReferral
			case e.Kind == KindUBRNConverted:
				r = RuleUBRN
			}
			if w.check && s == StatusSubsequentActivity && e.Kind != KindTransferIn {
				w.problem(i, "RTT status 20 says the clock is already running, but "+w.state()+"; a patient joining part way along an RTT period is a transfer in dated at the original clock start (s11.3)")
			}
			w.start(i, e, d, r, e.Kind != KindTransferIn)
		}
	case KindAppointmentBooked:
		if w.phase == phaseNullified {
			w.start(i, e, d, RuleRebookAfterDNA, true)
			return
		}
		w.neutral(i, e, RuleBooking)
	case KindCancelledByPatient:
		w.neutral(i, e, RuleCancelByPatient)
	case KindCancelledByHospital:
		w.neutral(i, e, RuleCancelByHospital)
	case KindTCIOffered:
		if running {
			w.cur.DecisionToAdmit = true
		}
		w.neutral(i, e, RuleTCIOffered)
	case KindTCIDeclined:
		r := RuleTCIDeclined
		if running {
			w.declined++
			if w.declined >= 2 {
				r = RuleTCIDeclinedTwice
			}
		}
		w.neutral(i, e, r)
	case KindSuspension:
		w.neutral(i, e, RuleNoPause)
	case KindDidNotAttend:
		w.dna(i, e, d)
	case KindAttended, KindValidationCorrection:
		w.outcome(i, e, d)
	case KindDecisionToAdmit, KindAddedToWaitingList:
		switch {
		case w.phase == phaseMonitoring && s.Category() != CategoryNotRTT:
			if w.check && s != 0 && s != StatusAfterActiveMonitoring {
				w.problem(i, "after active monitoring the decision to treat starts a new clock and is recorded with RTT status 11, not "+s.label())
			}
			w.start(i, e, d, RuleDecisionToTreatAfterAM, false)
			w.cur.DecisionToAdmit = e.Kind == KindDecisionToAdmit || w.cur.DecisionToAdmit
			return
		case w.phase == phaseNullified && e.Kind == KindAddedToWaitingList:
			w.start(i, e, d, RuleWaitingListAfterDNA, true)
			return
		case running:
			w.cur.DecisionToAdmit = true
		}
		r := RuleDecisionToAdmit
		if e.Kind == KindAddedToWaitingList {
			r = RuleWaitingList
		}
		w.activity(i, e, d, r)
	case KindAdmittedDiagnostic:
		w.activity(i, e, d, RuleAdmittedDiagnostic)
	case KindAdmittedNotTreated:
		w.activity(i, e, d, RuleAdmittedNotTreated)
	case KindAdmittedForTreatment, KindTreatmentStarted:
		if s == StatusAfterTreatment || s == StatusNotApplicable {
			if w.check && running && s == StatusAfterTreatment {
				w.problem(i, "RTT status 90 says first definitive treatment already happened, but "+w.state())
			}
			r := RuleNotRTT
			if s == StatusAfterTreatment {
				r = RuleAfterTreatment
			}
			w.note(i, w.effectIf(running), r)
			return
		}
		r := RuleAdmittedForTreatment
		if e.Kind == KindTreatmentStarted {
			r = RuleTreatmentStarted
		}
		w.stopKind(i, e, d, StatusFirstTreatment, r)
	case KindAddedToTransplantList:
		w.stopKind(i, e, d, StatusDecisionNotToTreat, RuleTransplantList)
	case KindActiveMonitoringStarted:
		w.stopKind(i, e, d, StatusActiveMonitoringClinician, RuleActiveMonitoringStarted)
	case KindDecisionNotToTreat:
		w.stopKind(i, e, d, StatusDecisionNotToTreat, RuleDecisionNotToTreat)
	case KindPatientDeclinedTreatment:
		w.stopKind(i, e, d, StatusDeclinedTreatment, RulePatientDeclined)
	case KindDischargedToGP, KindPatientDied:
		if s.Category() == CategoryNotRTT {
			if w.check && running && s != StatusNotApplicable {
				w.problem(i, "RTT status "+s.label()+" says the activity is outside an RTT period, but "+w.state())
			}
			w.note(i, w.effectIf(running), w.ignoreRule())
			return
		}
		r := RuleDied
		def := StatusDied
		if e.Kind == KindDischargedToGP {
			r, def = RuleDischarged, StatusDecisionNotToTreat
			if w.dnaSince {
				r = RuleDischargedAfterDNA
			}
		}
		w.stopKind(i, e, d, def, r)
	case KindTransferOut:
		w.stopKind(i, e, d, StatusTransferred, RuleTransferOut)
	case KindActiveMonitoringEnded, KindNewTreatmentDecision, KindBilateralSecondSide, KindFirstAppointmentReoffered:
		w.newPeriod(i, e, d)
	default:
		if w.check {
			w.problem(i, "unknown event kind "+strconv.Itoa(int(e.Kind)))
		}
		w.note(i, w.effectIf(running), RuleUnknownKind)
	}
}

func (w *walker) effectIf(running bool) Effect {
	if running {
		return EffectContinued
	}
	return EffectIgnored
}

// checkRunning flags statuses that contradict a running clock.
func (w *walker) checkRunning(i int, s Status) {
	if !w.check {
		return
	}
	switch s {
	case StatusAfterTreatment:
		w.problem(i, "RTT status 90 says first definitive treatment already happened, but "+w.state())
	case StatusDuringActiveMonitoring:
		w.problem(i, "RTT status 91 is for activity during active monitoring, but "+w.state())
	case StatusNotYetReferred:
		w.problem(i, "RTT status 92 is for tests before referral, but "+w.state())
	}
}

// neutral handles events that never start or stop a clock; their status,
// if any, is the intended one.
func (w *walker) neutral(i int, e Event, r Rule) {
	if w.phase == phaseRunning {
		w.checkRunning(i, e.Status)
		w.note(i, EffectContinued, r)
		return
	}
	if w.check && e.Status == StatusSubsequentActivity {
		w.problem(i, "RTT status 20 says the clock is running, but "+w.state())
	}
	if r == RuleNoPause {
		w.note(i, EffectIgnored, r)
		return
	}
	w.note(i, EffectIgnored, w.ignoreRule())
}

// activity handles clinical activities that do not stop a clock but whose
// recorded status is the actual one: with no clock running, a clock start
// status starts a new period (Annex D).
func (w *walker) activity(i int, e Event, d int64, r Rule) {
	s := e.Status
	if w.phase == phaseRunning {
		w.checkRunning(i, s)
		if w.check && (s == StatusAfterActiveMonitoring || s == StatusSeparateCondition) {
			w.problem(i, "RTT status "+s.label()+" is a clock start, but "+w.state())
		}
		if e.Kind == KindAdmittedDiagnostic || e.Kind == KindAdmittedNotTreated {
			w.attend(i, e)
		}
		w.note(i, EffectContinued, r)
		return
	}
	if s.Category() == CategoryClockStart {
		w.startByStatus(i, e, d)
		return
	}
	if w.check && s == StatusSubsequentActivity {
		w.problem(i, "RTT status 20 says the clock is running, but "+w.state())
	}
	w.note(i, EffectIgnored, w.ignoreRule())
}

// attend records that the patient attended a care activity in the period.
func (w *walker) attend(i int, e Event) {
	if w.check && e.Status == StatusFirstActivity && w.seen >= 0 {
		f := w.events[w.seen]
		w.problem(i, "RTT status 10 marks the first activity of an RTT period, but the first activity was event "+strconv.Itoa(w.seen)+" on "+f.Date.Format(time.DateOnly))
	}
	if w.seen < 0 {
		w.seen = i
		w.dnaSince = false
	}
}

// startByStatus starts a period from an activity that carries a clock start
// status while no clock is running.
func (w *walker) startByStatus(i int, e Event, d int64) {
	s := e.Status
	r := RuleStartStatus
	switch s {
	case StatusAfterActiveMonitoring:
		r = RuleDecisionToTreatAfterAM
		if w.check && w.phase != phaseMonitoring {
			w.problem(i, "RTT status 11 starts a new clock after active monitoring, but "+w.state())
		}
	case StatusSeparateCondition:
		r = RuleSeparateCondition
	}
	if e.Kind == KindValidationCorrection {
		r = RuleCorrectionStart
	} else if w.phase == phaseNone || w.phase == phaseNullified {
		if w.check {
			w.problem(i, "the clock is started from this activity because "+w.state()+"; record the referral received date (s3.2.1) or the date the patient rebooked (s3.4.5)")
		}
		r = RuleNoReferral
	}
	w.start(i, e, d, r, false)
	if e.Kind == KindAttended || e.Kind == KindAdmittedDiagnostic || e.Kind == KindAdmittedNotTreated {
		w.attend(i, e)
	}
}

// outcome handles an attendance outcome or a validation correction, whose
// status decides the effect.
func (w *walker) outcome(i int, e Event, d int64) {
	s := e.Status
	corr := e.Kind == KindValidationCorrection
	if w.phase == phaseRunning {
		switch s.Category() {
		case CategoryClockStart:
			switch {
			case corr:
				w.cur.Start, w.startDay = dateOf(d), d
				w.cur.StartKind, w.cur.StartStatus = e.Kind, s
				w.note(i, EffectCorrected, RuleCorrectionStart)
			case s == StatusFirstActivity:
				w.attend(i, e)
				w.note(i, EffectContinued, RuleFirstActivity)
			default:
				if w.check {
					w.problem(i, "RTT status "+s.label()+" is a clock start, but "+w.state())
				}
				w.attend(i, e)
				w.note(i, EffectContinued, RuleAlreadyRunningStart)
			}
		case CategoryClockStop:
			r := statusRule(s)
			if corr {
				r = RuleCorrectionStop
			}
			w.stop(i, e, d, s, r, 0)
		case CategoryClockRunning:
			if s == StatusTransferred {
				w.stop(i, e, d, s, RuleTransferOut, 0)
				return
			}
			if !corr {
				w.attend(i, e)
			}
			w.note(i, EffectContinued, RuleSubsequent)
		case CategoryNotRTT:
			w.checkRunning(i, s)
			if !corr {
				w.attend(i, e)
			}
			w.note(i, EffectContinued, RuleStatusConflict)
		default: // 99 or none recorded
			if !corr {
				w.attend(i, e)
			}
			w.note(i, EffectContinued, RuleSubsequent)
		}
		return
	}
	switch s.Category() {
	case CategoryClockStart:
		w.startByStatus(i, e, d)
	case CategoryClockRunning:
		if corr && w.hasCur {
			c := &w.cur
			c.Running, c.Stop, c.StopReason, c.StopKind, c.StopStatus = true, time.Time{}, "", 0, 0
			c.Nullified, c.TransferredOut, c.Days, c.Weeks = false, false, 0, 0
			w.phase = phaseRunning
			w.note(i, EffectReopened, RuleCorrectionReopen)
			return
		}
		if w.check {
			w.problem(i, "RTT status "+s.label()+" says the clock is running, but "+w.state())
		}
		w.note(i, EffectIgnored, w.ignoreRule())
	case CategoryClockStop:
		if corr && w.hasCur && (w.phase == phaseStopped || w.phase == phaseMonitoring) {
			w.stop(i, e, d, s, RuleCorrectionStop, EffectCorrected)
			return
		}
		if w.check {
			w.problem(i, "RTT status "+s.label()+" stops a clock, but "+w.state()+" (an event that matches no open RTT period is not applied, Annex E)")
		}
		w.note(i, EffectIgnored, RuleStopNotMatched)
	case CategoryNotRTT:
		if w.check && s == StatusDuringActiveMonitoring && w.phase != phaseMonitoring {
			w.problem(i, "RTT status 91 is for activity during active monitoring, but "+w.state())
		}
		switch s {
		case StatusAfterTreatment:
			w.note(i, EffectIgnored, RuleAfterTreatment)
		case StatusDuringActiveMonitoring:
			w.note(i, EffectIgnored, RuleMonitoringIgnored)
		default:
			w.note(i, EffectIgnored, RuleNotRTT)
		}
	default:
		w.note(i, EffectIgnored, w.ignoreRule())
	}
}

func statusRule(s Status) Rule {
	switch s {
	case StatusFirstTreatment:
		return RuleTreatmentStarted
	case StatusActiveMonitoringPatient, StatusActiveMonitoringClinician:
		return RuleActiveMonitoringStarted
	case StatusDidNotAttendFirst:
		return RuleDNAFirstNullifies
	case StatusDecisionNotToTreat:
		return RuleDecisionNotToTreat
	case StatusDeclinedTreatment:
		return RulePatientDeclined
	case StatusDied:
		return RuleDied
	}
	return RuleStatusConflict
}

// stopKind handles events whose kind stops a running clock.
func (w *walker) stopKind(i int, e Event, d int64, def Status, r Rule) {
	if w.phase != phaseRunning {
		if w.check && e.Status != 0 {
			w.problem(i, "RTT status "+e.Status.label()+" stops a clock, but "+w.state())
		}
		w.note(i, EffectIgnored, w.ignoreRule())
		return
	}
	st := e.Status
	if st == 0 {
		st = def
	}
	w.stop(i, e, d, st, r, 0)
}

// dna applies rules 5e and 5f.
func (w *walker) dna(i int, e Event, d int64) {
	s := e.Status
	if w.phase != phaseRunning {
		if w.check && (s == StatusDidNotAttendFirst || s == StatusSubsequentActivity) {
			w.problem(i, "RTT status "+s.label()+" needs a running clock, but "+w.state())
		}
		w.note(i, EffectIgnored, w.ignoreRule())
		return
	}
	w.checkRunning(i, s)
	first := w.seen < 0
	switch {
	case s == StatusDidNotAttendFirst && first,
		first && w.byReferral && (s == 0 || s == StatusFirstActivity || s == StatusNotKnown):
		w.stop(i, e, d, StatusDidNotAttendFirst, RuleDNAFirstNullifies, 0)
	case s == StatusDidNotAttendFirst:
		if w.check {
			f := w.events[w.seen]
			w.problem(i, "RTT status 33 is a DNA of the first appointment after the referral, but the patient already attended on "+f.Date.Format(time.DateOnly)+" (event "+strconv.Itoa(w.seen)+")")
		}
		w.dnaSince = true
		w.note(i, EffectContinued, RuleDNASubsequent)
	case first && s == StatusSubsequentActivity:
		w.note(i, EffectContinued, RuleDNAFirstNotNullified)
	default:
		w.dnaSince = true
		w.note(i, EffectContinued, RuleDNASubsequent)
	}
}

// newPeriod handles the rule 3 clock starts that follow the end of an
// earlier period.
func (w *walker) newPeriod(i int, e Event, d int64) {
	if w.phase == phaseRunning {
		if w.check {
			w.problem(i, e.Kind.String()+" starts a new clock, but "+w.state())
		}
		w.note(i, EffectContinued, RuleAlreadyRunningStart)
		return
	}
	var r Rule
	byReferral := false
	switch e.Kind {
	case KindActiveMonitoringEnded:
		r = RuleDecisionToTreatAfterAM
		if w.check && w.phase != phaseMonitoring {
			w.problem(i, "active monitoring ended, but the patient is not on active monitoring: "+w.state())
		}
	case KindNewTreatmentDecision:
		r = RuleNewTreatment
		if w.check && e.Status == StatusAfterActiveMonitoring && w.phase != phaseMonitoring {
			w.problem(i, "RTT status 11 starts a new clock after active monitoring, but "+w.state())
		}
	case KindBilateralSecondSide:
		r = RuleBilateral
		if w.check && (w.phase != phaseStopped || w.cur.StopStatus != StatusFirstTreatment) {
			w.problem(i, "a new clock for the second side of a bilateral procedure follows treatment of the first side, but "+w.state())
		}
	default: // KindFirstAppointmentReoffered
		r, byReferral = RuleReofferAfterDNA, true
		if w.check && w.phase != phaseNullified {
			w.problem(i, "another first appointment is offered after a first-appointment DNA nullified the clock, but "+w.state())
		}
	}
	w.start(i, e, d, r, byReferral)
}

// dayNum returns the number of days since 1970-01-01 of t's calendar date
// in its own location.
func dayNum(t time.Time) int64 {
	_, off := t.Zone()
	sec := t.Unix() + int64(off)
	d := sec / 86400
	if sec%86400 < 0 {
		d--
	}
	return d
}

// dateOf returns midnight UTC of day number n.
func dateOf(n int64) time.Time { return time.Unix(n*86400, 0).UTC() }
