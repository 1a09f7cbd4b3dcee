package report

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// The monthly return known now beside the return as recorded at a past
// time, from one reading of every version of the pathways' events.

// farFuture is a time after any event was recorded or removed.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// RTTReturnCompare works out the month's return twice from one reading
// of the record: as it stands now, and as it stood at recordedBy (only
// the events recorded by then, and not removed by then). It lists the
// lines whose figures differ and each pathway counted differently, with
// the events recorded or removed after recordedBy that explain it.
func (s *Service) RTTReturnCompare(ctx context.Context, a crs.Actor, month crs.Date, recordedBy time.Time, o RTTReturnOptions) (*crs.RTTReturnComparison, error) {
	if recordedBy.IsZero() {
		return nil, crs.FieldErrorf("as_recorded_at", "give the time the return was recorded at")
	}
	keep, fromEvents := o.Patients, o.Basis.FromEvents
	o.Patients, o.Basis = true, crs.ReportBasis{}
	now, err := newRTTTally(month, o)
	if err != nil {
		return nil, err
	}
	o.Basis.RecordedBy = recordedBy
	then, _ := newRTTTally(month, o)
	cmp := &crs.RTTReturnComparison{Month: now.out.Month, RecordedBy: then.out.RecordedBy}
	// counted adds a pathway up both ways and, when it is counted
	// differently, lists it.
	counted := func(h *crs.PathwayCourse, addNow, addThen func()) bool {
		n0, t0 := len(now.out.Patients), len(then.out.Patients)
		addNow()
		addThen()
		nowAt, thenAt := countedAs(now.out.Patients[n0:]), countedAs(then.out.Patients[t0:])
		if !keep {
			now.out.Patients, then.out.Patients = now.out.Patients[:n0], then.out.Patients[:t0]
		}
		if slices.Equal(nowAt, thenAt) {
			return false
		}
		cmp.Pathways = append(cmp.Pathways, crs.RTTPathwayChange{PPI: h.PPI, PathwayID: h.PathwayID, PatientID: h.PatientID, AsAt: nowAt, AsRecorded: thenAt})
		return true
	}
	basis := crs.ReportBasis{RecordedBy: recordedBy, AllVersions: true}
	if fromEvents {
		basis.FromEvents = true
		err = s.src.EachPathwayHistory(ctx, a, basis, func(h *crs.PathwayHistory) error {
			p := &crs.PathwayCourse{PathwayID: h.PathwayID, PPI: h.PPI, PatientID: h.PatientID}
			if counted(p, func() { now.add(h.AsRecordedBy(farFuture)) }, func() { then.add(h.AsRecordedBy(recordedBy)) }) {
				cmp.Pathways[len(cmp.Pathways)-1].Events = lateEvents(h, recordedBy)
			}
			return nil
		})
	} else {
		at := map[string]int{}
		err = s.src.EachPathwayCourse(ctx, a, basis, func(h *crs.PathwayCourse) (bool, error) {
			ok := counted(h, func() { now.addCourse(h, &h.Now) }, func() {
				if h.Then != nil {
					then.addCourse(h, h.Then)
				}
			})
			if ok {
				at[h.PathwayID] = len(cmp.Pathways) - 1
			}
			return ok, nil
		}, func(h *crs.PathwayHistory) error {
			if i, ok := at[h.PathwayID]; ok {
				cmp.Pathways[i].Events = lateEvents(h, recordedBy)
			}
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	cmp.AsAt, cmp.AsRecorded = now.finish(), then.finish()
	cmp.Differences = lineDifferences(cmp.AsAt, cmp.AsRecorded)
	slices.SortFunc(cmp.Pathways, func(x, y crs.RTTPathwayChange) int { return strings.Compare(x.PPI, y.PPI) })
	return cmp, nil
}

// lateEvents lists the events of a pathway recorded or removed after
// recordedBy.
func lateEvents(h *crs.PathwayHistory, recordedBy time.Time) []crs.LateEvent {
	var out []crs.LateEvent
	for i, e := range h.Events {
		rec, rem := h.RecordedAt[i], h.RemovedAt[i]
		if !rec.After(recordedBy) && (rem.IsZero() || !rem.After(recordedBy)) {
			continue
		}
		le := crs.LateEvent{Date: crs.DateOf(e.Date).String(), Kind: e.Kind.String(), Status: int(e.Status), RecordedAt: rec.UTC().Format(time.RFC3339)}
		if !rem.IsZero() {
			le.RemovedAt = rem.UTC().Format(time.RFC3339)
		}
		out = append(out, le)
	}
	return out
}

// countedAs says where a pathway is counted, one entry per part.
func countedAs(cs []crs.RTTCounted) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		if c.Part == crs.RTTNewPeriodsPart {
			out = append(out, fmt.Sprintf("%s %s %s", c.Part, c.Commissioner, c.RTTLine))
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %s (%d days)", c.Part, c.Commissioner, c.RTTLine, c.Days))
	}
	return out
}

// lineDifferences lists the lines, of every part and of the new periods,
// whose totals differ between the two returns.
func lineDifferences(now, then *crs.RTTReturn) []crs.RTTLineDifference {
	totals := func(r *crs.RTTReturn) map[rttKey]int {
		out := map[rttKey]int{}
		for _, l := range r.Lines {
			out[rttKey{l.Part, l.Commissioner, l.RTTLine}] = l.Total
		}
		for _, l := range r.NewPeriods.Lines {
			out[rttKey{crs.RTTNewPeriodsPart, l.Commissioner, l.RTTLine}] = l.Total
		}
		return out
	}
	n, t := totals(now), totals(then)
	var out []crs.RTTLineDifference
	for _, k := range differing(n, t, func(x, y rttKey) int {
		return strings.Compare(x.part+"/"+x.comm+"/"+x.line, y.part+"/"+y.comm+"/"+y.line)
	}) {
		out = append(out, crs.RTTLineDifference{Part: k.part, Commissioner: k.comm, RTTLine: k.line, AsAt: n[k], AsRecorded: t[k]})
	}
	return out
}

// WriteRTTComparisonCSV writes the lines of the return whose figures
// differ, as known now and as recorded, then each pathway counted
// differently with the events that explain it, a line per event.
func WriteRTTComparisonCSV(w io.Writer, c *crs.RTTReturnComparison) error {
	cw := newCSVWriter(w)
	write := func(rec ...string) {
		if cw.Error() == nil {
			_ = cw.Write(rec)
		}
	}
	write("month", "as_recorded_at", "part", "commissioner", "rtt_line", "as_at", "as_recorded", "difference")
	for _, d := range c.Differences {
		write(c.Month, c.RecordedBy, d.Part, d.Commissioner, d.RTTLine, strconv.Itoa(d.AsAt), strconv.Itoa(d.AsRecorded), strconv.Itoa(d.AsAt-d.AsRecorded))
	}
	write()
	write("ppid", "pathway_id", "counted_as_at", "counted_as_recorded", "event_date", "event", "rtt_status", "recorded_at", "removed_at")
	for _, p := range c.Pathways {
		for _, e := range p.Events {
			st := ""
			if e.Status != 0 {
				st = strconv.Itoa(e.Status)
			}
			write(p.PPI, p.PathwayID, strings.Join(p.AsAt, "; "), strings.Join(p.AsRecorded, "; "), e.Date, e.Kind, st, e.RecordedAt, e.RemovedAt)
		}
	}
	cw.Flush()
	return cw.Error()
}
