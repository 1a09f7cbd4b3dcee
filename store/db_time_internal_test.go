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

// TestParseTime checks that parseTime reads what time.Parse reads with
// timeLayout (or RFC 3339 after it), and the zero time for what neither
// reads.
func TestParseTime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var in []string
	for range 10000 {
		in = append(in, formatTime(time.Unix(r.Int64N(300e9)-62e9, r.Int64N(1e9))))
	}
	in = append(in, "2026-12-04T00:16:53.123456Z", "0000-01-01T00:00:00.000000Z", "2024-02-29T23:59:59.999999Z",
		"2023-02-29T00:00:00.000000Z", "2026-13-01T00:00:00.000000Z", "2026-04-31T00:00:00.000000Z", "2026-01-01T24:00:00.000000Z",
		"2026-01-01T00:60:00.000000Z", "2026-01-01T00:00:60.000000Z", "2026-01-01T00:00:00.00000aZ", "2026-00-10T00:00:00.000000Z",
		"2026-01-00T00:00:00.000000Z", "2026-01-01 00:00:00.000000Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.123+01:00", "not a time", "")
	for _, s := range in {
		want, err := time.Parse(timeLayout, s)
		if err != nil {
			want, _ = time.Parse(time.RFC3339Nano, s)
		}
		if got := parseTime(s); !got.Equal(want) || got.Location() != want.Location() {
			t.Errorf("parseTime(%q) = %v, want %v", s, got, want)
		}
	}
}

// BenchmarkParseTime reads a stored time, as a patient's record is read.
func BenchmarkParseTime(b *testing.B) {
	for b.Loop() {
		_ = parseTime("2026-12-04T00:16:53.123456Z")
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
