// Package crs holds the domain of OpenCRS, the care records service a
// hospital trust runs on: its types, the rules that do not need storage,
// and the service interfaces that the store implements and the edges
// (web, FHIR, HL7, import) call.
//
// Every change goes through one write path: a command applied by a service
// in one database transaction that checks the actor's access, validates,
// writes the current state, appends an event and appends an audit record.
// The package imports no edge: no HTTP, SQL, HL7 or FHIR.
package crs

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"time"
)

// Clock tells the time. Domain code asks an injected Clock rather than
// calling time.Now, so RTT clocks, census and reports can be computed as of
// any date and tested deterministically.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock of the machine, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// FixedClock is a clock that stands still until moved; tests use it.
type FixedClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFixedClock returns a clock stopped at t.
func NewFixedClock(t time.Time) *FixedClock { return &FixedClock{t: t.UTC()} }

// Now returns the clock's current time.
func (c *FixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *FixedClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *FixedClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t.UTC()
	c.mu.Unlock()
}

var idState struct {
	mu   sync.Mutex
	last int64 // last millisecond used
	seq  uint16
}

// NewID returns a new time-ordered identifier (a UUIDv7 in its canonical
// text form). Identifiers made by one process sort in the order they were
// made, which keeps indexes compact and events in order.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	ms := time.Now().UnixMilli()
	idState.mu.Lock()
	if ms <= idState.last {
		ms = idState.last
		idState.seq++
		if idState.seq > 0x0fff {
			ms++
			idState.seq = 0
		}
	} else {
		idState.seq = uint16(b[6])<<4 | uint16(b[7]>>4) // random start, room to count up
		idState.seq &= 0x07ff
	}
	idState.last = ms
	seq := idState.seq
	idState.mu.Unlock()
	b[0] = byte(ms >> 40)
	b[1] = byte(ms >> 32)
	b[2] = byte(ms >> 24)
	b[3] = byte(ms >> 16)
	b[4] = byte(ms >> 8)
	b[5] = byte(ms)
	b[6] = 0x70 | byte(seq>>8)&0x0f
	b[7] = byte(seq)
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// Date is a calendar date with no time of day, such as a date of birth.
// It is held as midnight UTC; the zero Date means "not known".
type Date struct{ time.Time }

// DateOf returns the calendar date of t as seen in UTC.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// NewDate returns the date y-m-d.
func NewDate(y int, m time.Month, d int) Date {
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// ParseDate reads a date written as YYYY-MM-DD, DD/MM/YYYY or YYYYMMDD.
func ParseDate(s string) (Date, error) {
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006", "20060102"} {
		// 0001-01-01 is the zero Date, which means "not known": not a date written.
		if t, err := time.Parse(layout, s); err == nil && !t.IsZero() {
			return Date{t}, nil
		}
	}
	return Date{}, Errorf(EINVALID, "%q is not a date; write it as DD/MM/YYYY or YYYY-MM-DD", s)
}

// String writes the date as YYYY-MM-DD, or "" for the zero date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format("2006-01-02")
}

// Display writes the date as the NHS displays it, e.g. 03-Feb-1961.
func (d Date) Display() string {
	if d.IsZero() {
		return ""
	}
	return d.Format("02-Jan-2006")
}

// AgeOn returns the age in whole years on the given day.
func (d Date) AgeOn(on time.Time) int {
	if d.IsZero() {
		return 0
	}
	y, m, dd := on.Date()
	age := y - d.Year()
	if m < d.Month() || (m == d.Month() && dd < d.Day()) {
		age--
	}
	return age
}

// Count writes a number of things in words a reader expects, the noun in
// the singular for one and the plural otherwise: "1 day", "27 weeks",
// "0 users".
func Count(n int, one, many string) string {
	if n == 1 || n == -1 {
		return strconv.Itoa(n) + " " + one
	}
	return strconv.Itoa(n) + " " + many
}
