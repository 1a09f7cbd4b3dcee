package report

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// The A&E and KH03 returns known now beside the same return as recorded
// at a past time, as the RTT return's comparison does: the figures that
// differ, and each record counted differently with the events recorded
// since that explain it.

// differing lists, sorted, the keys whose values differ between now and
// then (a key missing from one counting as its zero value).
func differing[K comparable, V comparable](now, then map[K]V, less func(x, y K) int) []K {
	var out []K
	for k, v := range now {
		if then[k] != v {
			out = append(out, k)
		}
	}
	for k, v := range then {
		if _, ok := now[k]; !ok && v != *new(V) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, less)
	return out
}

// figureKey names one figure of one line of a return.
type figureKey = string

// figureDifferences lists the figures, line by line, that differ between
// the return now and as recorded, each flattened to "line\tfigure".
func figureDifferences(now, then map[figureKey]float64) []crs.FigureDifference {
	var out []crs.FigureDifference
	for _, k := range differing(now, then, strings.Compare) {
		line, figure, _ := strings.Cut(k, "\t")
		out = append(out, crs.FigureDifference{Line: line, Figure: figure, AsAt: now[k], AsRecorded: then[k]})
	}
	return out
}

// recordChanges lists the records counted differently (how now and then
// say how each was counted; "" where it was not), with the events explain
// gives for each.
func recordChanges(now, then map[string]string, explain func(subject string) []crs.RecordedEvent) []crs.RecordChange {
	var out []crs.RecordChange
	for _, k := range differing(now, then, strings.Compare) {
		out = append(out, crs.RecordChange{Subject: k, AsAt: orNotCounted(now[k]), AsRecorded: orNotCounted(then[k]), Events: explain(k)})
	}
	return out
}

func orNotCounted(s string) string {
	if s == "" {
		return "not counted"
	}
	return s
}

// recordedEvent is an event as a comparison lists it.
func recordedEvent(e crs.Event) crs.RecordedEvent {
	return crs.RecordedEvent{Type: e.Type, Summary: e.Summary, EffectiveAt: e.EffectiveAt.UTC().Format(time.RFC3339), RecordedAt: e.RecordedAt.UTC().Format(time.RFC3339)}
}

// AEReturnCompare works out the month's A&E return known now (patients
// still in the department counting to now) and as recorded at recordedBy,
// the figures that differ, and each attendance counted differently with
// its A&E events recorded since.
func (s *Service) AEReturnCompare(ctx context.Context, a crs.Actor, month crs.Date, now, recordedBy time.Time) (*crs.ReturnComparison[*crs.AEReturn], error) {
	if recordedBy.IsZero() {
		return nil, crs.FieldErrorf("as_recorded_at", "give the time the return was recorded at")
	}
	nowHow, thenHow, patients := map[string]string{}, map[string]string{}, map[string]string{}
	into := func(m map[string]string) func(*crs.EDReportRow, string) {
		return func(r *crs.EDReportRow, how string) { m[r.AttendanceID], patients[r.AttendanceID] = how, r.PatientID }
	}
	asAt, err := s.aeReturn(ctx, a, month, now, crs.AEReturnOptions{}, into(nowHow))
	if err != nil {
		return nil, err
	}
	asRec, err := s.aeReturn(ctx, a, month, now, crs.AEReturnOptions{Basis: crs.ReportBasis{RecordedBy: recordedBy}}, into(thenHow))
	if err != nil {
		return nil, err
	}
	late, err := s.src.EventsRecordedAfter(ctx, a, recordedBy, "ed.")
	if err != nil {
		return nil, err
	}
	cmp := &crs.ReturnComparison[*crs.AEReturn]{Report: "ae", Period: asAt.Month, RecordedBy: asRec.RecordedBy, AsAt: asAt, AsRecorded: asRec,
		Differences: figureDifferences(aeFigures(asAt), aeFigures(asRec))}
	cmp.Changes = recordChanges(nowHow, thenHow, func(id string) []crs.RecordedEvent {
		var out []crs.RecordedEvent
		for _, e := range late {
			if e.SubjectID == id {
				out = append(out, recordedEvent(e))
			}
		}
		return out
	})
	for i := range cmp.Changes {
		cmp.Changes[i].PatientID = patients[cmp.Changes[i].Subject]
	}
	return cmp, nil
}

// aeFigures flattens the A&E return's figures, line by line.
func aeFigures(r *crs.AEReturn) map[figureKey]float64 {
	out := map[figureKey]float64{}
	put := func(line string, g *crs.AEGroup) {
		for _, f := range []struct {
			name string
			v    float64
		}{{"attendances", float64(g.Attendances)}, {"within_4_hours", float64(g.Within4Hours)}, {AEOver4Hours, float64(g.Over4Hours)},
			{"share_within_4_hours", g.ShareWithin4}, {AEOver12HoursArrival, float64(g.Over12HoursFromArrival)},
			{AEOver12HoursDTA, float64(g.Over12HoursFromDTA)}, {"still_in_department", float64(g.StillInDepartment)}} {
			out[line+"\t"+f.name] = f.v
		}
	}
	put("all", &r.Total)
	for k, g := range r.ByDepartmentType {
		put(k, g)
	}
	return out
}

// KH03ReturnCompare works out the quarter's KH03 return known now and as
// recorded at recordedBy, the figures that differ, and each night counted
// differently with the events recorded since that explain it: the census
// of the night taken again, and the admissions, transfers and discharges
// recorded after that midnight with an effective time before it.
func (s *Service) KH03ReturnCompare(ctx context.Context, a crs.Actor, quarter string, first, last crs.Date, recordedBy time.Time) (*crs.ReturnComparison[*crs.KH03Return], error) {
	if recordedBy.IsZero() {
		return nil, crs.FieldErrorf("as_recorded_at", "give the time the return was recorded at")
	}
	asAt, err := s.KH03Return(ctx, a, quarter, first, last, crs.ReportBasis{})
	if err != nil {
		return nil, err
	}
	asRec, err := s.KH03Return(ctx, a, quarter, first, last, crs.ReportBasis{RecordedBy: recordedBy})
	if err != nil {
		return nil, err
	}
	late, err := s.src.EventsRecordedAfter(ctx, a, recordedBy, "census.", "spell.")
	if err != nil {
		return nil, err
	}
	cmp := &crs.ReturnComparison[*crs.KH03Return]{Report: "kh03", Period: quarter, RecordedBy: asRec.RecordedBy, AsAt: asAt, AsRecorded: asRec,
		Differences: figureDifferences(kh03Figures(asAt), kh03Figures(asRec))}
	cmp.Changes = recordChanges(kh03Nights(asAt), kh03Nights(asRec), func(night string) []crs.RecordedEvent {
		d, err := crs.ParseDate(night)
		if err != nil {
			return nil
		}
		midnight := time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, crs.London)
		var out []crs.RecordedEvent
		for _, e := range late {
			if e.SubjectID == "census:"+night || (strings.HasPrefix(e.Type, "spell.") && !e.EffectiveAt.After(midnight) && e.RecordedAt.After(midnight)) {
				out = append(out, recordedEvent(e))
			}
		}
		return out
	})
	return cmp, nil
}

// kh03Figures flattens the KH03 return's figures, sector by sector.
func kh03Figures(r *crs.KH03Return) map[figureKey]float64 {
	out := map[figureKey]float64{"all\tnights_counted": float64(r.NightsCounted)}
	for _, part := range []struct {
		name string
		m    map[string]*crs.KH03Beds
	}{{"overnight", r.Overnight}, {"day_only", r.DayOnly}} {
		for sec, b := range part.m {
			out[part.name+" "+sec+"\tavailable"] = b.Available
			out[part.name+" "+sec+"\toccupied"] = b.Occupied
			out[part.name+" "+sec+"\toccupancy"] = b.Occupancy
		}
	}
	return out
}

// kh03Nights says, night by night, what the census counted.
func kh03Nights(r *crs.KH03Return) map[string]string {
	out := map[string]string{}
	for _, n := range r.ByNight {
		out[n.Night] = fmt.Sprintf("%d occupied of %d available", n.Occupied, n.Available)
	}
	return out
}

// WriteComparisonCSV writes the figures of the return that differ, known
// now and as recorded, then each record counted differently with the
// events that explain it, a line per event.
func WriteComparisonCSV[R any](w io.Writer, c *crs.ReturnComparison[R]) error {
	cw := newCSVWriter(w)
	write := func(rec ...string) {
		if cw.Error() == nil {
			_ = cw.Write(rec)
		}
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	write("period", "as_recorded_at", "line", "figure", "as_at", "as_recorded", "difference")
	for _, d := range c.Differences {
		write(c.Period, c.RecordedBy, d.Line, d.Figure, f(d.AsAt), f(d.AsRecorded), f(math.Round((d.AsAt-d.AsRecorded)*10000)/10000))
	}
	write()
	write("subject", "counted_as_at", "counted_as_recorded", "event", "summary", "effective_at", "recorded_at")
	for _, ch := range c.Changes {
		if len(ch.Events) == 0 {
			write(ch.Subject, ch.AsAt, ch.AsRecorded, "", "", "", "")
		}
		for _, e := range ch.Events {
			write(ch.Subject, ch.AsAt, ch.AsRecorded, e.Type, e.Summary, e.EffectiveAt, e.RecordedAt)
		}
	}
	cw.Flush()
	return cw.Error()
}
