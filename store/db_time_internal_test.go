package store

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestFormatTime checks that formatTime writes what time.Format writes
// with timeLayout, in UTC, for times across the years it is written for
// and beyond them, in any zone, and "" for the zero time.
func TestFormatTime(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	times := []time.Time{
		time.Date(2026, 12, 4, 0, 16, 53, 123456789, time.UTC),
		time.Date(2026, 3, 29, 1, 0, 0, 999999999, london),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 1, 12, 0, 0, 0, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.FixedZone("", -5*3600)),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		times = append(times, time.Unix(r.Int64N(300e9)-62e9, r.Int64N(1e9)).In(london))
	}
	for _, tm := range times {
		if got, want := formatTime(tm), tm.UTC().Format(timeLayout); got != want {
			t.Errorf("formatTime(%v) = %q, want %q", tm, got, want)
		}
	}
	if got := formatTime(time.Time{}); got != "" {
		t.Errorf("formatTime of the zero time = %q, want \"\"", got)
	}
}

// BenchmarkFormatTime formats the time of a command, as its record,
// event and audit record are written.
func BenchmarkFormatTime(b *testing.B) {
	tm := time.Date(2026, 12, 4, 0, 16, 53, 123456789, time.UTC)
	for b.Loop() {
		_ = formatTime(tm)
	}
}
