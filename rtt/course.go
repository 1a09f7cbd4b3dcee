package rtt

import (
	"slices"
	"time"
)

// Stage is the latest RTT period of a pathway as its events stand from a
// day on, until the next stage: what Periods says of that period for any
// as-of date from From to the day before the next stage's From. A
// pathway's course (Course) is its stages in day order; a period that
// has ended keeps the last stage it had before the next period started.
type Stage struct {
	// From is the day (days since 1970-01-01) from which the stage holds.
	From int32
	// Period numbers the pathway's RTT periods from 0, oldest first.
	Period int32
	// Start is the clock start day; Stop the day the clock stopped, was
	// nullified or handed on (0 while running).
	Start, Stop int32
	// Days is the wait of a period that has stopped (Clock.Days); a
	// running period's wait is worked out to the as-of date.
	Days int32
	// StopEvent is the index of the event whose activity a completed
	// period is reported under (the stop, or the correction that re-dated
	// it, of the stop's kind); -1 when there is none.
	StopEvent int32
	Flags     StageFlags
}

// StageFlags say what kind of period a stage is.
type StageFlags uint8

// Stage flags, mirroring the Clock fields of the same names.
const (
	StageRunning         StageFlags = 1 << iota // Clock.Running
	StageNullified                              // Clock.Nullified
	StageTransferredOut                         // Clock.TransferredOut
	StageDecisionToAdmit                        // Clock.DecisionToAdmit
	StageAdmitted                               // Clock.StopKind is KindAdmittedForTreatment: Part 1a
)

// Course works out a pathway's stages from its events (in any order;
// events on the same date taken in the order given): what the RTT
// clock said, period by period, as of every date. CourseAt reads
// Periods' answer for any as-of date back from it, so a return worked
// from a course kept with the pathway equals one worked from the events.
func Course(events []Event) []Stage {
	n := len(events)
	if n == 0 {
		return nil
	}
	days := make([]int64, n)
	for i := range events {
		days[i] = dayNum(events[i].Date)
	}
	order := dayOrder(days)
	w := walker{events: events, decisions: make([]Decision, 0, n), seen: -1, keepAll: true}
	var out []Stage
	add := func(s Stage) {
		if m := len(out); m > 0 && sameStage(out[m-1], s) {
			return
		}
		out = append(out, s)
	}
	for k, i := range order {
		d := days[i]
		ended := len(w.periods)
		w.step(i, events[i], d)
		// A period that ended at this event (a new one started) keeps
		// the state it had then.
		for j := ended; j < len(w.periods); j++ {
			c := &w.periods[j]
			add(stageOf(c, c.Decisions, int32(d), int32(j), dayNum(c.Start)))
		}
		if !w.hasCur || (k+1 < n && days[order[k+1]] == d) {
			continue
		}
		add(stageOf(&w.cur, w.decisions[w.curFrom:], int32(d), int32(len(w.periods)), w.startDay))
	}
	return out
}

// stageOf is period c, whose decisions are ds and whose clock started on
// day startDay, as a stage from day from.
func stageOf(c *Clock, ds []Decision, from, period int32, startDay int64) Stage {
	s := Stage{From: from, Period: period, Start: int32(startDay), StopEvent: -1}
	if c.Running {
		s.Flags |= StageRunning
	} else {
		s.Stop, s.Days = int32(dayNum(c.Stop)), int32(c.Days)
		for j := len(ds) - 1; j >= 0; j-- {
			d := ds[j]
			if (d.Effect == EffectStopped || d.Effect == EffectCorrected) && d.Kind == c.StopKind {
				s.StopEvent = int32(d.Index)
				break
			}
		}
	}
	if c.Nullified {
		s.Flags |= StageNullified
	}
	if c.TransferredOut {
		s.Flags |= StageTransferredOut
	}
	if c.DecisionToAdmit {
		s.Flags |= StageDecisionToAdmit
	}
	if c.StopKind == KindAdmittedForTreatment {
		s.Flags |= StageAdmitted
	}
	return s
}

func sameStage(a, b Stage) bool {
	a.From = b.From
	return a == b
}

// CourseAt calls fn with the index of each RTT period of the course as of the day
// asOf (days since 1970-01-01), oldest first: the periods Periods
// returns for that date, each as its last stage by then, with its wait in
// calendar days (to asOf while running). It calls fn not at all if no
// clock had started by then.
func CourseAt(stages []Stage, asOf int64, fn func(i int, days int)) {
	for i, s := range stages {
		if int64(s.From) > asOf {
			return
		}
		if i+1 < len(stages) && int64(stages[i+1].From) <= asOf && stages[i+1].Period == s.Period {
			continue
		}
		days := int(s.Days)
		if s.Flags&StageRunning != 0 {
			days = clampDays(asOf - int64(s.Start))
		}
		fn(i, days)
	}
}

// LastAt is the index of the latest period of the course as of day
// asOf, as Evaluate gives it, with its wait; -1 when no clock had started
// by then.
func LastAt(stages []Stage, asOf int64) (i int, days int) {
	i, _ = slices.BinarySearchFunc(stages, asOf, func(s Stage, d int64) int {
		if int64(s.From) <= d {
			return -1
		}
		return 1
	})
	if i == 0 {
		return -1, 0
	}
	s := stages[i-1]
	days = int(s.Days)
	if s.Flags&StageRunning != 0 {
		days = clampDays(asOf - int64(s.Start))
	}
	return i - 1, days
}

// DayNumber is the day of t's calendar date (in its own location) as
// days since 1970-01-01, the unit of a Stage.
func DayNumber(t time.Time) int64 { return dayNum(t) }

// DayDate is midnight UTC of day number n.
func DayDate(n int64) time.Time { return dateOf(n) }
