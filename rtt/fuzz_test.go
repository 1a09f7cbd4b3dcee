package rtt

import (
	"testing"
	"time"
)

// FuzzEvaluate feeds random event sequences to Evaluate, Periods and
// ValidateEvents: three bytes per event (day offset, kind, status), the
// last byte the as-of offset.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte{0, 1, 0, 20, 8, 10, 50, 16, 30, 200})
	f.Add([]byte{0, 1, 0, 10, 7, 0, 20, 4, 10, 30, 8, 30, 100})
	f.Add([]byte{5, 8, 32, 0, 1, 0, 9, 8, 11, 3, 29, 20, 255})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		asOf := base.AddDate(0, 0, int(data[len(data)-1]))
		var events []Event
		for b := data[:len(data)-1]; len(b) >= 3; b = b[3:] {
			events = append(events, Event{
				Date:   base.AddDate(0, 0, int(b[0])),
				Kind:   Kind(b[1] % uint8(kindEnd+1)),
				Status: Status(b[2] % 101),
			})
		}
		c := Evaluate(events, asOf)
		ps := Periods(events, asOf)
		_ = ValidateEvents(events)
		check := func(c Clock) {
			if c.Days < 0 || c.Weeks != WeekBand(c.Days) {
				t.Fatalf("Days %d Weeks %d", c.Days, c.Weeks)
			}
			if c.Running && !c.Stop.IsZero() {
				t.Fatalf("running with a stop: %+v", c)
			}
			if !c.Running && !c.Stop.IsZero() && c.Stop.Before(c.Start) {
				t.Fatalf("stop %v before start %v", c.Stop, c.Start)
			}
			if !c.Start.IsZero() && c.Start.After(asOf) {
				t.Fatalf("start %v after asOf %v", c.Start, asOf)
			}
			if c.Running && int(asOf.Sub(c.Start).Hours()/24) != c.Days {
				t.Fatalf("running Days %d, start %v asOf %v", c.Days, c.Start, asOf)
			}
		}
		check(c)
		n := 0
		for i, p := range ps {
			check(p)
			n += len(p.Decisions)
			if i < len(ps)-1 && p.Running {
				t.Fatalf("period %d of %d still running", i, len(ps))
			}
			if i > 0 && p.Start.Before(ps[i-1].Stop) {
				t.Fatalf("period %d starts before the previous stop", i)
			}
		}
		if len(ps) > 0 && n != len(events) {
			t.Fatalf("%d decisions for %d events", n, len(events))
		}
		if len(ps) == 0 && (c.Running || len(c.Decisions) != len(events)) {
			t.Fatalf("no periods but clock %+v", c)
		}
	})
}
