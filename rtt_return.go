package crs

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/opencrs/crs/rtt"
)

// The RTT figures a trust reports to NHS England, worked out from the
// pathways' RTT events rather than from the clocks stored on them, so they
// can be produced for any past date and as the record stood at any time.

// PathwayHistory is one RTT pathway as a report reads it: the pathway, the
// patient it belongs to, the treatment function it is reported under and
// its RTT events in the order they were recorded.
type PathwayHistory struct {
	PathwayID         string
	PPI               string
	PatientID         string
	TreatmentFunction string
	GPPracticeCode    string // the patient's registered GP practice, whose commissioner pays
	Events            []rtt.Event
	// ActivityTreatmentFunctions holds, for each event that may stop a
	// clock (status 30-36), the treatment function of the activity it
	// was recorded at (the clinic of an appointment, the spell of an
	// admission); "" for other events and where none is known.
	ActivityTreatmentFunctions []string
	// RecordedAt and RemovedAt hold, for each event, when it was recorded
	// and when it was removed (its source record entered in error; zero if
	// it stands); filled, and removed events read, only for
	// ReportBasis.AllVersions.
	RecordedAt []time.Time
	RemovedAt  []time.Time
}

// ReportBasis says which of the record's events a report is computed from.
// The zero basis is everything known now, late corrections included
// (`--as-at`). With RecordedBy set, only the events recorded by then count:
// exactly what the system would have said at that time, that is what the
// trust submitted (`--as-recorded-at`).
type ReportBasis struct {
	RecordedBy time.Time
	// AllVersions reads every event ever recorded, removed ones included,
	// each with its recorded and removed times, so that a report can
	// work out both the figures known now and those recorded by
	// RecordedBy from one reading and show what changed between them.
	AllVersions bool
	// FromEvents works every clock out from the pathways' RTT events
	// rather than reading the clock courses the write path keeps with
	// each pathway: slower, and the reference the courses are checked
	// against.
	FromEvents bool
}

// AsRecordedBy returns the history as it stood at time t: the events
// recorded by then and not removed by then. The result shares nothing
// with h.
func (h *PathwayHistory) AsRecordedBy(t time.Time) *PathwayHistory {
	out := *h
	out.Events, out.ActivityTreatmentFunctions, out.RecordedAt, out.RemovedAt = nil, nil, nil, nil
	for i := range h.Events {
		if h.RecordedAt[i].After(t) || (!h.RemovedAt[i].IsZero() && !h.RemovedAt[i].After(t)) {
			continue
		}
		out.Events = append(out.Events, h.Events[i])
		out.ActivityTreatmentFunctions = append(out.ActivityTreatmentFunctions, h.ActivityTreatmentFunctions[i])
		out.RecordedAt = append(out.RecordedAt, h.RecordedAt[i])
		out.RemovedAt = append(out.RemovedAt, h.RemovedAt[i])
	}
	return &out
}

// RTTReportSource is what the RTT returns read from the record.
type RTTReportSource interface {
	// EachPathwayHistory calls fn with every RTT pathway of the actor's
	// trust that has an RTT event recorded (by basis.RecordedBy when set,
	// and not removed by then), with those events, in pathway id order;
	// with basis.AllVersions, every event ever recorded with its times. The history is valid only
	// during the call. The read is checked for the reports activity and
	// audited once.
	EachPathwayHistory(ctx context.Context, a Actor, basis ReportBasis, fn func(*PathwayHistory) error) error
	// EachPathwayCourse calls fn with every RTT pathway of the actor's
	// trust that has an RTT event recorded (by basis.RecordedBy when
	// set), with its clock course, in pathway id order. With
	// basis.AllVersions it gives the course now and as recorded by
	// basis.RecordedBy, and, after the last pathway, calls explain with
	// every version of the events of each pathway fn returned true for.
	// What fn and explain are given is valid only during the call. The
	// read is checked for the reports activity and audited once.
	EachPathwayCourse(ctx context.Context, a Actor, basis ReportBasis, fn func(*PathwayCourse) (bool, error), explain func(*PathwayHistory) error) error
}

// ClockCourse is the course of an RTT pathway's clock: its stages
// (rtt.Course), from which its periods as of any date are read, and,
// stage by stage, the treatment function a completed period is reported
// under, that of the clinic or spell whose activity stopped the clock
// ("" for the pathway's own).
type ClockCourse struct {
	Stages                 []rtt.Stage
	StopTreatmentFunctions []string
}

// PathwayCourse is one RTT pathway as the returns read it from the clock
// courses kept with each pathway: what its clock said, period by period,
// as of any date, from one row rather than from its events.
type PathwayCourse struct {
	PathwayID         string
	PPI               string
	PatientID         string
	TreatmentFunction string
	GPPracticeCode    string
	// Now is the course as the events stand now, or as recorded by
	// ReportBasis.RecordedBy when set without AllVersions.
	Now ClockCourse
	// Then is, with ReportBasis.AllVersions, the course as the events
	// stood at ReportBasis.RecordedBy (Now being the course now); nil
	// when none of them had been recorded by then.
	Then *ClockCourse
}

// TopBand is the last weekly time band of the RTT return, 104 weeks and
// over (guidance s10.1.1.3, from April 2021).
const TopBand = 104

// BandLabel names the weekly time band of the RTT return that WeekBand
// number b stands for: "0-1" (0 to 7 days), "1-2", ..., "103-104", and
// "104+" (729 days or more; guidance s10.1.7).
func BandLabel(b int) string {
	if b >= TopBand {
		return "104+"
	}
	if b < 0 {
		b = 0
	}
	return strconv.Itoa(b) + "-" + strconv.Itoa(b+1)
}

// BandCounts counts pathways by weekly time band of the RTT return: index
// b is the band BandLabel(b), the last one 104 weeks and over.
type BandCounts [TopBand + 1]int

// Add counts a wait of days calendar days in its band.
func (c *BandCounts) Add(days int) { c[min(rtt.WeekBand(days), TopBand)]++ }

// MarshalJSON writes the counts as an object from "0-1" to "104+", bands
// with no pathway left out.
func (c BandCounts) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for i, n := range c {
		if n == 0 {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteByte('"')
		b.WriteString(BandLabel(i))
		b.WriteString(`":`)
		b.WriteString(strconv.Itoa(n))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads counts written by MarshalJSON, refusing a band
// label that is not one of the return's.
func (c *BandCounts) UnmarshalJSON(b []byte) error {
	var m map[string]int
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*c = BandCounts{}
	for label, n := range m {
		i := -1
		for b := range c {
			if BandLabel(b) == label {
				i = b
				break
			}
		}
		if i < 0 {
			return Errorf(EINVALID, "%q is not a weekly band of the RTT return (0-1 to 104+)", label)
		}
		c[i] = n
	}
	return nil
}

// WaitGroup is the waits of one line of a return (a treatment function,
// an RTT return line, a commissioner): how many pathways, how many within
// 18 weeks, and how many in each weekly band.
type WaitGroup struct {
	Total         int        `json:"total"`
	Within18Weeks int        `json:"within_18_weeks"`
	Over52Weeks   int        `json:"-"`
	Over104Weeks  int        `json:"-"`
	Bands         BandCounts `json:"bands"`
}

// Add counts a wait of days calendar days.
func (g *WaitGroup) Add(days int) {
	g.Total++
	if !rtt.Breached(days) {
		g.Within18Weeks++
	}
	if days >= 365 {
		g.Over52Weeks++
	}
	if days >= 729 {
		g.Over104Weeks++
	}
	g.Bands.Add(days)
}

// ShareWithin18Weeks is the share of the group's pathways within 18
// weeks, rounded half up to 4 decimal places; 0 when there is none.
func (g *WaitGroup) ShareWithin18Weeks() float64 { return Share4(g.Within18Weeks, g.Total) }

// Share4 is n out of of, rounded half up to 4 decimal places; 0 when of is 0.
func Share4(n, of int) float64 {
	if of <= 0 {
		return 0
	}
	tenThousandths := (int64(n)*20000 + int64(of)) / (2 * int64(of))
	return float64(tenThousandths) / 10000
}

// UnmappedRTTLine is the RTT return line under which a pathway is counted
// when its treatment function is not a current national code (199, 499, a
// retired code): it cannot go on the return until it is corrected.
const UnmappedRTTLine = "unmapped"

// RTTIncomplete is Part 2 of the monthly RTT return: the pathways still
// waiting to start treatment at the end of the census date, their waits in
// weekly bands by treatment function and by return line. Its JSON is the
// shape of section 8 of the legacy PAS extract's expected figures, so a
// go-live import can be checked against it.
type RTTIncomplete struct {
	CensusDate         string  `json:"census_date"`
	Total              int     `json:"total"`
	Within18Weeks      int     `json:"within_18_weeks"`
	ShareWithin18Weeks float64 `json:"share_within_18_weeks"`
	Over52Weeks        int     `json:"over_52_weeks"`
	Over104Weeks       int     `json:"over_104_weeks"`
	// OpenNullifiedExcluded counts the pathways whose last clock was
	// nullified by a first-appointment DNA (33) and has not restarted by
	// the census date: neither incomplete nor completed.
	OpenNullifiedExcluded int                   `json:"open_nullified_excluded"`
	ByBand                BandCounts            `json:"by_band"`
	ByTreatmentFunction   map[string]*WaitGroup `json:"by_treatment_function"`
	ByRTTLine             map[string]*WaitGroup `json:"by_rtt_line"`
	// WithDecisionToAdmit is Part 2a: the incomplete pathways on which a
	// decision to admit was made.
	WithDecisionToAdmit int `json:"-"`
	// Pathways lists every incomplete pathway, by PPI, when asked for.
	Pathways []IncompletePathway `json:"pathways,omitempty"`
}

// IncompletePathway is one pathway counted in the incomplete figures.
type IncompletePathway struct {
	PPI               string `json:"ppid"`
	TreatmentFunction string `json:"treatment_function_code"`
	RTTLine           string `json:"rtt_line"`
	ClockStart        string `json:"clock_start_date"`
	Days              int    `json:"days"`
	Band              string `json:"band"`
	PathwayID         string `json:"-"`
	PatientID         string `json:"-"`
	DecisionToAdmit   bool   `json:"-"`
}

// Centile is the wait in weeks below which the share p (0 to 1) of the
// group's pathways fall, read from the weekly bands by linear
// interpolation within the band that holds it, as NHS England works out
// the median and 92nd centile of a return from its bands: a band b runs
// from b to b+1 weeks (the 104+ band is taken as 104 to 105). 0 when the
// group is empty. Rounded to 2 places.
func (g *WaitGroup) Centile(p float64) float64 {
	if g.Total == 0 {
		return 0
	}
	target := p * float64(g.Total)
	cum := 0
	for b, n := range g.Bands {
		if n == 0 {
			continue
		}
		if float64(cum+n) >= target {
			w := float64(b) + (target-float64(cum))/float64(n)
			return float64(int64(w*100+0.5)) / 100
		}
		cum += n
	}
	return TopBand + 1
}

// Commissioner codes a return uses when the commissioner is not known.
const UnknownCommissioner = "unknown"

// Parts of the monthly RTT return (guidance s10.1.1.2).
const (
	RTTCompletedAdmitted    = "completed_admitted"     // Part 1a: completed with an admission for treatment in the month
	RTTCompletedNonAdmitted = "completed_non_admitted" // Part 1b: completed in the month for any other reason
	RTTIncompletePart       = "incomplete"             // Part 2: still waiting at the month's end
	RTTIncompleteDTA        = "incomplete_dta"         // Part 2a: still waiting with a decision to admit
	RTTNewPeriodsPart       = "new_periods"            // Part 3: clocks that started in the month
)

// RTTParts are the waits parts of the return in the template's order.
var RTTParts = []string{RTTCompletedAdmitted, RTTCompletedNonAdmitted, RTTIncompletePart, RTTIncompleteDTA}

// RTTReturnLine is one line of the monthly RTT return: one part for one
// commissioner and one treatment function line, with its waits.
type RTTReturnLine struct {
	Part         string `json:"part"`
	Commissioner string `json:"commissioner"`
	RTTLine      string `json:"rtt_line"`
	WaitGroup
}

// RTTPartSummary is one part of the return for the whole trust: its waits,
// median and 92nd centile wait in weeks, and the share within 18 weeks,
// by return line and by commissioner.
type RTTPartSummary struct {
	Total              int                   `json:"total"`
	Within18Weeks      int                   `json:"within_18_weeks"`
	ShareWithin18Weeks float64               `json:"share_within_18_weeks"`
	MedianWeeks        float64               `json:"median_weeks"`
	Centile92Weeks     float64               `json:"centile_92_weeks"`
	Over52Weeks        int                   `json:"over_52_weeks"`
	Over104Weeks       int                   `json:"over_104_weeks"`
	Bands              BandCounts            `json:"bands"`
	ByRTTLine          map[string]*WaitGroup `json:"by_rtt_line"`
	ByCommissioner     map[string]*WaitGroup `json:"by_commissioner"`
}

// RTTReturn is the monthly RTT return of a trust to NHS England
// (guidance s10.1.1.2): completed pathways in the month, admitted (Part
// 1a) and non-admitted (1b); pathways still waiting at its end (Part 2)
// and those with a decision to admit (2a); and the new RTT periods that
// started in it (Part 3), by commissioner and treatment function line.
// Nullified periods are left out of every part.
type RTTReturn struct {
	Month      string `json:"month"` // YYYY-MM
	PeriodEnd  string `json:"period_end"`
	RecordedBy string `json:"as_recorded_at,omitempty"` // set when only what was recorded by then counts
	// Parts holds each waits part for the whole trust.
	Parts map[string]*RTTPartSummary `json:"parts"`
	// NewPeriods is Part 3: the RTT periods that started in the month,
	// by return line and by commissioner.
	NewPeriods NewPeriods `json:"new_periods"`
	// Lines is every part by commissioner and return line, in that order.
	Lines []*RTTReturnLine `json:"lines"`
	// Patients lists, for each part and line, who is counted in it, so
	// every figure can be traced to its patients; left out of the JSON.
	Patients []RTTCounted `json:"-"`
}

// NewPeriods counts new RTT periods (Part 3 of the return).
type NewPeriods struct {
	Total          int              `json:"total"`
	ByRTTLine      map[string]int   `json:"by_rtt_line"`
	ByCommissioner map[string]int   `json:"by_commissioner"`
	Lines          []NewPeriodsLine `json:"lines"`
}

// NewPeriodsLine is the new RTT periods of one commissioner and return
// line.
type NewPeriodsLine struct {
	Commissioner string `json:"commissioner"`
	RTTLine      string `json:"rtt_line"`
	Total        int    `json:"total"`
}

// RTTCounted is one pathway counted in a part of the return.
type RTTCounted struct {
	Part         string // one of RTTParts, or RTTNewPeriodsPart
	Commissioner string
	RTTLine      string
	PathwayID    string
	PatientID    string
	PPI          string
	Days         int
}

// Merge adds another group's waits to g.
func (g *WaitGroup) Merge(o *WaitGroup) {
	g.Total += o.Total
	g.Within18Weeks += o.Within18Weeks
	g.Over52Weeks += o.Over52Weeks
	g.Over104Weeks += o.Over104Weeks
	for i, n := range o.Bands {
		g.Bands[i] += n
	}
}

// RTTReturnComparison sets the monthly return as the record holds it now
// (`--as-at`, late entries and corrections included) beside the return as
// the record stood at a past time (`--as-recorded-at`, what was
// submitted), with the lines whose figures differ and, pathway by pathway,
// the events recorded or removed since that explain the difference.
type RTTReturnComparison struct {
	Month       string              `json:"month"`
	RecordedBy  string              `json:"as_recorded_at"`
	AsAt        *RTTReturn          `json:"as_at"`
	AsRecorded  *RTTReturn          `json:"as_recorded"`
	Differences []RTTLineDifference `json:"differences"`
	Pathways    []RTTPathwayChange  `json:"pathways"`
}

// RTTLineDifference is a line of the return whose count differs.
type RTTLineDifference struct {
	Part         string `json:"part"`
	Commissioner string `json:"commissioner"`
	RTTLine      string `json:"rtt_line"`
	AsAt         int    `json:"as_at"`
	AsRecorded   int    `json:"as_recorded"`
}

// RTTPathwayChange is a pathway counted differently now from how it was
// counted at the past time, with the events that explain why.
type RTTPathwayChange struct {
	PPI        string      `json:"ppid"`
	PathwayID  string      `json:"pathway_id"`
	PatientID  string      `json:"patient_id"`
	AsAt       []string    `json:"as_at"`       // where it is counted now, e.g. "incomplete QKK 100 (31 days)"
	AsRecorded []string    `json:"as_recorded"` // where it was counted then
	Events     []LateEvent `json:"events"`
}

// LateEvent is an RTT event recorded, or removed, after the time a return
// was recorded at.
type LateEvent struct {
	Date       string `json:"date"`
	Kind       string `json:"kind"`
	Status     int    `json:"status,omitempty"`
	RecordedAt string `json:"recorded_at"`
	RemovedAt  string `json:"removed_at,omitempty"`
}
