package rtt

import (
	"math/rand"
	"testing"
	"time"
)

// stopEventOf is the event a stopped period is reported under, read from
// its decisions as the monthly return does.
func stopEventOf(c Clock) int32 {
	for i := len(c.Decisions) - 1; i >= 0; i-- {
		d := c.Decisions[i]
		if (d.Effect == EffectStopped || d.Effect == EffectCorrected) && d.Kind == c.StopKind {
			return int32(d.Index)
		}
	}
	return -1
}

// agrees reports how a stage differs from the clock Periods gives, or "".
func agrees(c Clock, s Stage, days int) string {
	switch {
	case c.Running != (s.Flags&StageRunning != 0):
		return "running"
	case dayNum(c.Start) != int64(s.Start):
		return "start"
	case !c.Running && dayNum(c.Stop) != int64(s.Stop):
		return "stop"
	case c.Days != days:
		return "days"
	case c.Nullified != (s.Flags&StageNullified != 0):
		return "nullified"
	case c.TransferredOut != (s.Flags&StageTransferredOut != 0):
		return "transferred"
	case c.DecisionToAdmit != (s.Flags&StageDecisionToAdmit != 0):
		return "decision to admit"
	case (c.StopKind == KindAdmittedForTreatment) != (s.Flags&StageAdmitted != 0):
		return "admitted"
	case !c.Running && stopEventOf(c) != s.StopEvent:
		return "stop event"
	}
	return ""
}

// TestCourseEqualsPeriods checks, for random pathways of every kind of
// event and status (same-day events, corrections, removals by omission),
// that the periods read from the course equal those Periods and Evaluate
// work out from the events, as of every day from before the first event
// to after the last.
func TestCourseEqualsPeriods(t *testing.T) {
	rng := rand.New(rand.NewSource(15))
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	statuses := []Status{0, 0, 0, 10, 11, 12, 20, 21, 30, 31, 32, 33, 34, 35, 36, 90, 91, 92, 98, 99}
	for n := 0; n < 4000; n++ {
		events := make([]Event, rng.Intn(9))
		for i := range events {
			events[i] = Event{Date: base.AddDate(0, 0, rng.Intn(60)), Kind: Kind(1 + rng.Intn(int(kindEnd))), Status: statuses[rng.Intn(len(statuses))]}
			if i == 0 && rng.Intn(3) > 0 {
				events[i].Kind, events[i].Status = KindReferralReceived, 0
			}
		}
		course := Course(events)
		for day := -2; day < 64; day++ {
			asOf := base.AddDate(0, 0, day)
			want := Periods(events, asOf)
			var got []Stage
			var gotDays []int
			CourseAt(course, dayNum(asOf), func(i int, d int) { got, gotDays = append(got, course[i]), append(gotDays, d) })
			if len(got) != len(want) {
				t.Fatalf("events %v as of %s: %d periods from the course, %d from the events", events, asOf.Format(time.DateOnly), len(got), len(want))
			}
			for i := range want {
				if why := agrees(want[i], got[i], gotDays[i]); why != "" {
					t.Fatalf("events %v as of %s, period %d: %s differs: course %+v, events %+v", events, asOf.Format(time.DateOnly), i, why, got[i], want[i])
				}
			}
			last := Evaluate(events, asOf)
			i, d := LastAt(course, dayNum(asOf))
			if ok := i >= 0; ok != !last.Start.IsZero() {
				t.Fatalf("events %v as of %s: LastAt ok %v, Evaluate %+v", events, asOf.Format(time.DateOnly), ok, last)
			}
			if i >= 0 {
				if why := agrees(last, course[i], d); why != "" {
					t.Fatalf("events %v as of %s: LastAt %s differs: %+v, %+v", events, asOf.Format(time.DateOnly), why, course[i], last)
				}
			}
		}
	}
}
