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

// Part 2 of the monthly RTT return, the incomplete pathways at a census
// date: every pathway whose clock, worked out from its RTT events as of
// the end of that date, is still running.

// RTTIncompleteOptions choose what the incomplete figures hold.
type RTTIncompleteOptions = crs.RTTIncompleteOptions

// RTTIncomplete works out the incomplete RTT pathway figures of the trust
// at the end of the census date. A pathway counts when its clock runs at
// the census date: waits are census date minus clock start in calendar
// days, banded as the guidance does (s10.1.7); nullified clocks (33) are
// left out and counted apart; a pathway is reported under its treatment
// function and that function's line of the return.
func (s *Service) RTTIncomplete(ctx context.Context, a crs.Actor, census crs.Date, o RTTIncompleteOptions) (*crs.RTTIncomplete, error) {
	if census.IsZero() {
		return nil, crs.FieldErrorf("census", "give the census date")
	}
	out := &crs.RTTIncomplete{CensusDate: census.String(), ByTreatmentFunction: map[string]*crs.WaitGroup{}, ByRTTLine: map[string]*crs.WaitGroup{}}
	var all crs.WaitGroup
	group := func(m map[string]*crs.WaitGroup, k string) *crs.WaitGroup {
		g := m[k]
		if g == nil {
			g = &crs.WaitGroup{}
			m[k] = g
		}
		return g
	}
	count := func(h *crs.PathwayCourse, c rttPeriod) {
		if c.flags&rtt.StageNullified != 0 {
			out.OpenNullifiedExcluded++
			return
		}
		if c.flags&rtt.StageRunning == 0 {
			return
		}
		line := rttLine(h.TreatmentFunction)
		all.Add(c.days)
		group(out.ByTreatmentFunction, h.TreatmentFunction).Add(c.days)
		group(out.ByRTTLine, line).Add(c.days)
		dta := c.flags&rtt.StageDecisionToAdmit != 0
		if dta {
			out.WithDecisionToAdmit++
		}
		if o.Pathways {
			out.Pathways = append(out.Pathways, crs.IncompletePathway{PPI: h.PPI, TreatmentFunction: h.TreatmentFunction, RTTLine: line,
				ClockStart: crs.DateOf(rtt.DayDate(c.start)).String(), Days: c.days, Band: crs.BandLabel(rtt.WeekBand(c.days)), PathwayID: h.PathwayID,
				PatientID: h.PatientID, DecisionToAdmit: dta})
		}
	}
	var err error
	if o.Basis.FromEvents {
		err = s.src.EachPathwayHistory(ctx, a, o.Basis, func(h *crs.PathwayHistory) error {
			if c := rtt.Evaluate(h.Events, census.Time); !c.Start.IsZero() {
				count(&crs.PathwayCourse{PathwayID: h.PathwayID, PPI: h.PPI, PatientID: h.PatientID, TreatmentFunction: h.TreatmentFunction}, clockPeriod(c, ""))
			}
			return nil
		})
	} else {
		day := rtt.DayNumber(census.Time)
		err = s.src.EachPathwayCourse(ctx, a, o.Basis, func(h *crs.PathwayCourse) (bool, error) {
			if i, days := rtt.LastAt(h.Now.Stages, day); i >= 0 {
				st := &h.Now.Stages[i]
				count(h, rttPeriod{start: int64(st.Start), stop: int64(st.Stop), days: days, flags: st.Flags})
			}
			return false, nil
		}, nil)
	}
	if err != nil {
		return nil, err
	}
	out.Total, out.Within18Weeks, out.Over52Weeks, out.Over104Weeks = all.Total, all.Within18Weeks, all.Over52Weeks, all.Over104Weeks
	out.ShareWithin18Weeks, out.ByBand = all.ShareWithin18Weeks(), all.Bands
	slices.SortFunc(out.Pathways, func(x, y crs.IncompletePathway) int { return strings.Compare(x.PPI, y.PPI) })
	return out, nil
}

// rttLine is the line of the return a treatment function is reported on.
func rttLine(tfc string) string {
	if line, _ := rtt.ReportingLine(tfc); line != "" {
		return line
	}
	return crs.UnmappedRTTLine
}

// bandHeader is the weekly band columns of a CSV return, "0-1" to "104+".
var bandHeader = func() []string {
	h := make([]string, crs.TopBand+1)
	for i := range h {
		h[i] = crs.BandLabel(i)
	}
	return h
}()

// WriteRTTIncompleteCSV writes the incomplete figures as CSV: a line for
// the trust, then one per treatment function and one per return line, each
// with its total, within 18 weeks, the share, over 52 and 104 weeks and the
// count in every weekly band.
func WriteRTTIncompleteCSV(w io.Writer, r *crs.RTTIncomplete) error {
	cw := newCSVWriter(w)
	head := append([]string{"census_date", "group", "code", "total", "within_18_weeks", "share_within_18_weeks", "over_52_weeks", "over_104_weeks"}, bandHeader...)
	if err := cw.Write(head); err != nil {
		return err
	}
	all := crs.WaitGroup{Total: r.Total, Within18Weeks: r.Within18Weeks, Over52Weeks: r.Over52Weeks, Over104Weeks: r.Over104Weeks, Bands: r.ByBand}
	write := func(group, code string, g *crs.WaitGroup) error {
		rec := []string{r.CensusDate, group, code, strconv.Itoa(g.Total), strconv.Itoa(g.Within18Weeks),
			strconv.FormatFloat(g.ShareWithin18Weeks(), 'f', 4, 64), strconv.Itoa(g.Over52Weeks), strconv.Itoa(g.Over104Weeks)}
		for _, n := range g.Bands {
			rec = append(rec, strconv.Itoa(n))
		}
		return cw.Write(rec)
	}
	if err := write("trust", "", &all); err != nil {
		return err
	}
	for _, part := range []struct {
		name string
		m    map[string]*crs.WaitGroup
	}{{"treatment_function", r.ByTreatmentFunction}, {"rtt_line", r.ByRTTLine}} {
		codes := make([]string, 0, len(part.m))
		for c := range part.m {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		for _, c := range codes {
			if err := write(part.name, c, part.m[c]); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// RTTStandardByMonth works out, from one reading of the pathways, the
// share of incomplete pathways within 18 weeks at the end of each of the
// n months up to and including month, oldest first.
func (s *Service) RTTStandardByMonth(ctx context.Context, a crs.Actor, month crs.Date, n int) ([]crs.RTTMonthShare, error) {
	if n < 1 || n > 120 {
		return nil, crs.FieldErrorf("months", "give 1 to 120 months")
	}
	first := crs.NewDate(month.Year(), month.Month(), 1)
	out := make([]crs.RTTMonthShare, n)
	ends := make([]time.Time, n)
	for i := range out {
		m := first.AddDate(0, i-n+1, 0)
		out[i].Month, ends[i] = m.Format("2006-01"), m.AddDate(0, 1, -1)
	}
	days := make([]int64, n)
	for i, end := range ends {
		days[i] = rtt.DayNumber(end)
	}
	err := s.src.EachPathwayCourse(ctx, a, crs.ReportBasis{}, func(h *crs.PathwayCourse) (bool, error) {
		for i, day := range days {
			if j, d := rtt.LastAt(h.Now.Stages, day); j >= 0 && h.Now.Stages[j].Flags&rtt.StageRunning != 0 {
				out[i].Total++
				if !rtt.Breached(d) {
					out[i].Within++
				}
			}
		}
		return false, nil
	}, nil)
	for i := range out {
		out[i].Share = crs.Share4(out[i].Within, out[i].Total)
	}
	return out, err
}
