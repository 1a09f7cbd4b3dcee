package report

import (
	"context"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

// The monthly RTT return to NHS England (guidance s10.1.1.2), worked out
// from the pathways' RTT events: every RTT period up to the month's end,
// as the events known (or recorded by a time) say.

// RTTReturnOptions choose how the monthly return is worked out.
type RTTReturnOptions = crs.RTTReturnOptions

// ParseMonth reads a reporting month written YYYY-MM.
func ParseMonth(s string) (crs.Date, error) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	if err != nil {
		return crs.Date{}, crs.FieldErrorf("month", "%q is not a month; write it as YYYY-MM, e.g. 2026-10", s)
	}
	return crs.Date{Time: t}, nil
}

// RTTReturn works out the monthly RTT return of the month that starts on
// month (its first day):
//
//   - completed pathways: RTT periods whose clock stopped in the month,
//     for treatment or a decision that ended the wait; admitted when the
//     stop was an admission for treatment (Part 1a), else non-admitted
//     (1b). Reported under the treatment function of the activity that
//     stopped the clock (the clinic of the appointment, the spell of the
//     admission), or the pathway's where the stop was a decision recorded
//     on the pathway. Periods handed to another provider (21) are theirs
//     to report.
//   - incomplete pathways: periods still running at the end of the month's
//     last day (Part 2), and those with a decision to admit (2a), under
//     the pathway's treatment function.
//   - new periods: clocks that started in the month (Part 3).
//
// Nullified periods (a first-appointment DNA, 33) are in no part. Waits
// are in calendar days from clock start to stop or to the month's end.
func (s *Service) RTTReturn(ctx context.Context, a crs.Actor, month crs.Date, o RTTReturnOptions) (*crs.RTTReturn, error) {
	t, err := newRTTTally(month, o)
	if err != nil {
		return nil, err
	}
	if o.Basis.FromEvents {
		err = s.src.EachPathwayHistory(ctx, a, o.Basis, func(h *crs.PathwayHistory) error {
			t.add(h)
			return nil
		})
	} else {
		err = s.src.EachPathwayCourse(ctx, a, o.Basis, func(p *crs.PathwayCourse) (bool, error) {
			t.addCourse(p, &p.Now)
			return false, nil
		}, nil)
	}
	if err != nil {
		return nil, err
	}
	return t.finish(), nil
}

// rttTally adds pathways up into a monthly return.
type rttTally struct {
	first, last crs.Date
	firstDay    int64 // first and last as rtt day numbers
	lastDay     int64
	o           RTTReturnOptions
	out         *crs.RTTReturn
	lines       map[rttKey]*crs.RTTReturnLine
	newLines    map[rttKey]int
}

type rttKey struct{ part, comm, line string }

func newRTTTally(month crs.Date, o RTTReturnOptions) (*rttTally, error) {
	if month.IsZero() {
		return nil, crs.FieldErrorf("month", "give the month")
	}
	first := crs.NewDate(month.Year(), month.Month(), 1)
	last := crs.Date{Time: first.AddDate(0, 1, -1)}
	out := &crs.RTTReturn{Month: first.Format("2006-01"), PeriodEnd: last.String(), Parts: map[string]*crs.RTTPartSummary{},
		NewPeriods: crs.NewPeriods{ByRTTLine: map[string]int{}, ByCommissioner: map[string]int{}}}
	if !o.Basis.RecordedBy.IsZero() {
		out.RecordedBy = o.Basis.RecordedBy.UTC().Format(time.RFC3339)
	}
	return &rttTally{first: first, last: last, firstDay: rtt.DayNumber(first.Time), lastDay: rtt.DayNumber(last.Time), o: o, out: out, lines: map[rttKey]*crs.RTTReturnLine{}, newLines: map[rttKey]int{}}, nil
}

// rttPeriod is one RTT period of a pathway as the return counts it.
type rttPeriod struct {
	start, stop int64 // rtt day numbers of the clock start and stop
	days        int   // the wait, to the stop or to the month's end
	flags       rtt.StageFlags
	// stoppedUnder is the treatment function of the activity that
	// stopped the clock, "" for the pathway's.
	stoppedUnder string
}

// add counts one pathway's RTT periods up to the month's end, worked
// out from its events.
func (t *rttTally) add(h *crs.PathwayHistory) {
	p := crs.PathwayCourse{PathwayID: h.PathwayID, PPI: h.PPI, PatientID: h.PatientID, TreatmentFunction: h.TreatmentFunction, GPPracticeCode: h.GPPracticeCode}
	for _, c := range rtt.Periods(h.Events, t.last.Time) {
		t.period(&p, clockPeriod(c, stoppedUnder(h, c)))
	}
}

// addCourse counts one pathway's RTT periods up to the month's end, read
// from its clock course c.
func (t *rttTally) addCourse(p *crs.PathwayCourse, c *crs.ClockCourse) {
	rtt.CourseAt(c.Stages, t.lastDay, func(i, days int) {
		s := &c.Stages[i]
		t.period(p, rttPeriod{start: int64(s.Start), stop: int64(s.Stop), days: days, flags: s.Flags, stoppedUnder: c.StopTreatmentFunctions[i]})
	})
}

// clockPeriod is a clock worked out from the events as the return
// counts it.
func clockPeriod(c rtt.Clock, stoppedUnder string) rttPeriod {
	p := rttPeriod{start: rtt.DayNumber(c.Start), days: c.Days, stoppedUnder: stoppedUnder}
	if !c.Stop.IsZero() {
		p.stop = rtt.DayNumber(c.Stop)
	}
	for _, f := range []struct {
		on   bool
		flag rtt.StageFlags
	}{{c.Running, rtt.StageRunning}, {c.Nullified, rtt.StageNullified}, {c.TransferredOut, rtt.StageTransferredOut},
		{c.DecisionToAdmit, rtt.StageDecisionToAdmit}, {c.StopKind == rtt.KindAdmittedForTreatment, rtt.StageAdmitted}} {
		if f.on {
			p.flags |= f.flag
		}
	}
	return p
}

// period counts one RTT period of pathway h.
func (t *rttTally) period(h *crs.PathwayCourse, c rttPeriod) {
	if c.flags&rtt.StageNullified != 0 {
		return
	}
	comm := t.o.Commissioners[h.GPPracticeCode]
	if comm == "" {
		comm = crs.UnknownCommissioner
	}
	if c.start >= t.firstDay {
		line := rttLine(h.TreatmentFunction)
		t.out.NewPeriods.Total++
		t.out.NewPeriods.ByRTTLine[line]++
		t.out.NewPeriods.ByCommissioner[comm]++
		t.newLines[rttKey{crs.RTTNewPeriodsPart, comm, line}]++
		t.patient(crs.RTTNewPeriodsPart, comm, line, 0, h)
	}
	switch {
	case c.flags&rtt.StageRunning != 0:
		line := rttLine(h.TreatmentFunction)
		t.count(crs.RTTIncompletePart, comm, line, c.days, h)
		if c.flags&rtt.StageDecisionToAdmit != 0 {
			t.count(crs.RTTIncompleteDTA, comm, line, c.days, h)
		}
	case c.flags&rtt.StageTransferredOut != 0 || c.stop < t.firstDay:
	default:
		part := crs.RTTCompletedNonAdmitted
		if c.flags&rtt.StageAdmitted != 0 {
			part = crs.RTTCompletedAdmitted
		}
		tf := c.stoppedUnder
		if tf == "" {
			tf = h.TreatmentFunction
		}
		t.count(part, comm, rttLine(tf), c.days, h)
	}
}

func (t *rttTally) count(part, comm, line string, days int, h *crs.PathwayCourse) {
	k := rttKey{part, comm, line}
	l := t.lines[k]
	if l == nil {
		l = &crs.RTTReturnLine{Part: part, Commissioner: comm, RTTLine: line}
		t.lines[k] = l
	}
	l.Add(days)
	t.patient(part, comm, line, days, h)
}

func (t *rttTally) patient(part, comm, line string, days int, h *crs.PathwayCourse) {
	if t.o.Patients {
		t.out.Patients = append(t.out.Patients, crs.RTTCounted{Part: part, Commissioner: comm, RTTLine: line, PathwayID: h.PathwayID, PatientID: h.PatientID, PPI: h.PPI, Days: days})
	}
}

// finish orders the lines and adds up each part for the trust.
func (t *rttTally) finish() *crs.RTTReturn {
	out := t.out
	for _, l := range t.lines {
		out.Lines = append(out.Lines, l)
	}
	order := func(part string) int { return slices.Index(crs.RTTParts, part) }
	slices.SortFunc(out.Lines, func(x, y *crs.RTTReturnLine) int {
		if c := order(x.Part) - order(y.Part); c != 0 {
			return c
		}
		if c := strings.Compare(x.Commissioner, y.Commissioner); c != 0 {
			return c
		}
		return strings.Compare(x.RTTLine, y.RTTLine)
	})
	for k, n := range t.newLines {
		out.NewPeriods.Lines = append(out.NewPeriods.Lines, crs.NewPeriodsLine{Commissioner: k.comm, RTTLine: k.line, Total: n})
	}
	slices.SortFunc(out.NewPeriods.Lines, func(x, y crs.NewPeriodsLine) int {
		return strings.Compare(x.Commissioner+"/"+x.RTTLine, y.Commissioner+"/"+y.RTTLine)
	})
	for _, part := range crs.RTTParts {
		out.Parts[part] = summarise(out.Lines, part)
	}
	return out
}

// stoppedUnder is the treatment function of the activity that stopped the
// period's clock, "" when none is known (the pathway's counts).
func stoppedUnder(h *crs.PathwayHistory, c rtt.Clock) string {
	for i := len(c.Decisions) - 1; i >= 0; i-- {
		d := c.Decisions[i]
		if (d.Effect == rtt.EffectStopped || d.Effect == rtt.EffectCorrected) && d.Kind == c.StopKind {
			if d.Index < len(h.ActivityTreatmentFunctions) && h.ActivityTreatmentFunctions[d.Index] != "" {
				return h.ActivityTreatmentFunctions[d.Index]
			}
			break
		}
	}
	return ""
}

// summarise adds up a part's lines for the trust.
func summarise(lines []*crs.RTTReturnLine, part string) *crs.RTTPartSummary {
	s := &crs.RTTPartSummary{ByRTTLine: map[string]*crs.WaitGroup{}, ByCommissioner: map[string]*crs.WaitGroup{}}
	var all crs.WaitGroup
	for _, l := range lines {
		if l.Part != part {
			continue
		}
		all.Merge(&l.WaitGroup)
		for _, g := range []struct {
			m map[string]*crs.WaitGroup
			k string
		}{{s.ByRTTLine, l.RTTLine}, {s.ByCommissioner, l.Commissioner}} {
			if g.m[g.k] == nil {
				g.m[g.k] = &crs.WaitGroup{}
			}
			g.m[g.k].Merge(&l.WaitGroup)
		}
	}
	s.Total, s.Within18Weeks, s.Over52Weeks, s.Over104Weeks, s.Bands = all.Total, all.Within18Weeks, all.Over52Weeks, all.Over104Weeks, all.Bands
	s.ShareWithin18Weeks, s.MedianWeeks, s.Centile92Weeks = all.ShareWithin18Weeks(), all.Centile(0.5), all.Centile(0.92)
	return s
}

// WriteRTTReturnCSV writes the return as CSV, one line per part,
// commissioner and treatment function line, as the collection template
// lays it out: total, within 18 weeks, the share, median and 92nd centile
// weeks, over 52 and 104 weeks and the count in every weekly band; then a
// line per commissioner and return line of new RTT periods (Part 3).
func WriteRTTReturnCSV(w io.Writer, r *crs.RTTReturn) error {
	cw := newCSVWriter(w)
	head := append([]string{"month", "part", "commissioner", "rtt_line", "total", "within_18_weeks", "share_within_18_weeks",
		"median_weeks", "centile_92_weeks", "over_52_weeks", "over_104_weeks"}, bandHeader...)
	if err := cw.Write(head); err != nil {
		return err
	}
	f := func(x float64, places int) string { return strconv.FormatFloat(x, 'f', places, 64) }
	for _, l := range r.Lines {
		rec := []string{r.Month, l.Part, l.Commissioner, l.RTTLine, strconv.Itoa(l.Total), strconv.Itoa(l.Within18Weeks),
			f(l.ShareWithin18Weeks(), 4), f(l.Centile(0.5), 2), f(l.Centile(0.92), 2), strconv.Itoa(l.Over52Weeks), strconv.Itoa(l.Over104Weeks)}
		for _, n := range l.Bands {
			rec = append(rec, strconv.Itoa(n))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	for _, l := range r.NewPeriods.Lines {
		rec := make([]string, len(head))
		rec[0], rec[1], rec[2], rec[3], rec[4] = r.Month, crs.RTTNewPeriodsPart, l.Commissioner, l.RTTLine, strconv.Itoa(l.Total)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
