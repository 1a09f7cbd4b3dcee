package crs

import (
	"regexp"
	"strings"
	"time"

	"github.com/opencrs/crs/nhs"
)

// Event types of clinics.
const (
	EventClinicCreated  = "clinic.created"         // a clinic template was added
	EventSlotsGenerated = "clinic.slots_generated" // bookable slots were generated from a template
)

// Slot types.
const (
	SlotNew      = "new"       // a first appointment after referral
	SlotFollowUp = "follow_up" // a follow-up appointment
	SlotUrgent   = "urgent"    // an urgent or two week wait first appointment
)

// Clinic is an outpatient clinic template: a consultant's (or team's)
// clinic for one treatment function in a clinic room, held in weekly
// sessions from which bookable slots are generated.
type Clinic struct {
	ID                string
	OrgID             string
	Code              string // short code on clinic lists, e.g. "GSURG-MON"
	Name              string
	ConsultantCode    string
	ConsultantName    string
	Team              string // the team, when the clinic is not one consultant's
	TreatmentFunction string
	Specialty         string
	LocationID        string // the clinic room
	Sessions          []ClinicSession
	Active            bool
	CreatedAt         time.Time
}

// ClinicSession is a weekly session of a clinic: a weekday morning or
// afternoon, in UK local time, divided into slots of one length and type.
type ClinicSession struct {
	Weekday     time.Weekday
	Start       string // "09:00", UK local time
	End         string // "12:30"
	SlotMinutes int
	SlotType    string // new, follow_up or urgent
}

var hhmm = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Minutes returns the session's start and end as minutes after midnight.
func (s ClinicSession) Minutes() (start, end int) {
	m := func(t string) int {
		if !hhmm.MatchString(t) {
			return -1
		}
		return int(t[0]-'0')*600 + int(t[1]-'0')*60 + int(t[3]-'0')*10 + int(t[4]-'0')
	}
	return m(s.Start), m(s.End)
}

// Validate checks the clinic template.
func (c *Clinic) Validate() error {
	var es Errors
	if strings.TrimSpace(c.Code) == "" {
		es = append(es, FieldErrorf("code", "a clinic needs a code"))
	}
	if strings.TrimSpace(c.Name) == "" {
		es = append(es, FieldErrorf("name", "a clinic needs a name"))
	}
	if c.ConsultantCode == "" && c.Team == "" {
		es = append(es, FieldErrorf("consultant", "a clinic belongs to a consultant or a team"))
	}
	if c.ConsultantCode != "" && !ValidConsultantCode(c.ConsultantCode) {
		es = append(es, FieldErrorf("consultant", "consultant code %q must be 2 to 10 capital letters or digits", c.ConsultantCode))
	}
	if _, ok := nhs.Lookup(nhs.TreatmentFunctions, c.TreatmentFunction); !ok {
		es = append(es, FieldErrorf("treatment_function", "treatment function %q is not a current TREATMENT FUNCTION CODE", c.TreatmentFunction))
	}
	if c.LocationID == "" {
		es = append(es, FieldErrorf("location", "a clinic is held in a clinic room"))
	}
	if len(c.Sessions) == 0 {
		es = append(es, FieldErrorf("sessions", "a clinic needs at least one weekly session"))
	}
	for _, s := range c.Sessions {
		start, end := s.Minutes()
		switch {
		case start < 0 || end < 0:
			es = append(es, FieldErrorf("sessions", "session times %q-%q must be HH:MM", s.Start, s.End))
		case end <= start:
			es = append(es, FieldErrorf("sessions", "a session must end after it starts (%s-%s)", s.Start, s.End))
		case s.SlotMinutes < 5 || s.SlotMinutes > end-start:
			es = append(es, FieldErrorf("sessions", "slot length %d minutes does not fit the session %s-%s", s.SlotMinutes, s.Start, s.End))
		}
		if s.Weekday < time.Sunday || s.Weekday > time.Saturday {
			es = append(es, FieldErrorf("sessions", "weekday %d is not a day of the week", s.Weekday))
		}
		if !validSlotType(s.SlotType) {
			es = append(es, FieldErrorf("sessions", "slot type %q is not new, follow_up or urgent", s.SlotType))
		}
	}
	c.validateText(&es)
	return es.Err()
}

func validSlotType(t string) bool { return t == SlotNew || t == SlotFollowUp || t == SlotUrgent }

// Slot is one bookable period of a clinic session. A slot holds at most
// one live appointment, and every appointment is in a slot: there are no
// out-of-slot appointments.
type Slot struct {
	ID         string
	OrgID      string
	ClinicID   string
	Start      time.Time
	End        time.Time
	Type       string
	Booked     bool   // a live appointment holds the slot
	ClinicCode string // the clinic's code, for lists
}

// SlotQuery finds slots.
type SlotQuery struct {
	ID                string // one slot, whenever it is
	ClinicID          string
	TreatmentFunction string
	Type              string
	From, To          time.Time // start within [From, To); zero To means From + 8 weeks
	FreeOnly          bool
	Limit             int  // 0 means 200
	Desc              bool // the latest first
}

// London is the time zone clinic sessions are written in; it falls back
// to UTC when the zone database is missing.
var London = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return l
}()

// LocalDate returns the calendar date of t in the UK.
func LocalDate(t time.Time) Date {
	y, m, d := t.In(London).Date()
	return NewDate(y, m, d)
}
