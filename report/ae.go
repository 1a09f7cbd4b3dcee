package report

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/opencrs/crs"
)

// The monthly A&E return: attendances that arrived in the month (London
// time) by emergency care department type, the share that left within
// four hours of arrival against the 95% standard, and the twelve-hour
// waits from arrival and from the decision to admit.

// AE figures' names, as AEBreach.Figure holds them.
const (
	AEOver4Hours         = "over_4_hours"
	AEOver12HoursArrival = "over_12_hours_from_arrival"
	AEOver12HoursDTA     = "over_12_hours_from_decision_to_admit"
)

// AEReturn works out the A&E return of the month that month falls in. A
// patient still in the department at now counts with the time so far.
// With o.Breaches, the attendances behind each breach figure are listed.
// With o.Basis.RecordedBy, the attendances are as recorded by then and
// the time so far runs to then: what the return said at that time.
func (s *Service) AEReturn(ctx context.Context, a crs.Actor, month crs.Date, now time.Time, o crs.AEReturnOptions) (*crs.AEReturn, error) {
	return s.aeReturn(ctx, a, month, now, o, nil)
}

// aeReturn works the return out, telling counted, when given, how each
// attendance was counted.
func (s *Service) aeReturn(ctx context.Context, a crs.Actor, month crs.Date, now time.Time, o crs.AEReturnOptions, counted func(r *crs.EDReportRow, how string)) (*crs.AEReturn, error) {
	if month.IsZero() {
		return nil, crs.FieldErrorf("month", "give the month")
	}
	from := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, crs.London)
	to := from.AddDate(0, 1, 0)
	out := &crs.AEReturn{Month: from.Format("2006-01"), Standard: crs.AEStandard, ByDepartmentType: map[string]*crs.AEGroup{}}
	if t := o.Basis.RecordedBy; !t.IsZero() {
		now, out.RecordedBy = t, t.UTC().Format(time.RFC3339)
	}
	breaches := o.Breaches
	err := s.src.EachEDAttendance(ctx, a, from, to, o.Basis, func(r *crs.EDReportRow) error {
		g := out.ByDepartmentType[r.DepartmentType]
		if g == nil {
			g = &crs.AEGroup{}
			out.ByDepartmentType[r.DepartmentType] = g
		}
		left := r.DepartedAt
		if left.IsZero() {
			left = now
		}
		stay := left.Sub(r.ArrivedAt)
		if counted != nil {
			counted(r, aeCounted(r, stay))
		}
		breach := func(figure string, d time.Duration) {
			if breaches {
				out.Breaches = append(out.Breaches, crs.AEBreach{Figure: figure, DepartmentType: r.DepartmentType, AttendanceID: r.AttendanceID,
					PatientID: r.PatientID, Minutes: int(d / time.Minute)})
			}
		}
		for _, g := range []*crs.AEGroup{&out.Total, g} {
			g.Attendances++
			if r.DepartedAt.IsZero() {
				g.StillInDepartment++
			}
			if stay <= 4*time.Hour {
				g.Within4Hours++
			} else {
				g.Over4Hours++
			}
			if stay > 12*time.Hour {
				g.Over12HoursFromArrival++
			}
			if !r.DecisionToAdmitAt.IsZero() && left.Sub(r.DecisionToAdmitAt) > 12*time.Hour {
				g.Over12HoursFromDTA++
			}
		}
		if stay > 4*time.Hour {
			breach(AEOver4Hours, stay)
		}
		if stay > 12*time.Hour {
			breach(AEOver12HoursArrival, stay)
		}
		if d := left.Sub(r.DecisionToAdmitAt); !r.DecisionToAdmitAt.IsZero() && d > 12*time.Hour {
			breach(AEOver12HoursDTA, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, g := range append([]*crs.AEGroup{&out.Total}, mapValues(out.ByDepartmentType)...) {
		g.ShareWithin4 = crs.Share4(g.Within4Hours, g.Attendances)
		g.MeetsStandard = g.Attendances > 0 && g.ShareWithin4 >= crs.AEStandard
	}
	return out, nil
}

// aeCounted says how an attendance counts in the return: its department
// type, its time in the department and whether it had left.
func aeCounted(r *crs.EDReportRow, stay time.Duration) string {
	how := "within 4 hours"
	if stay > 4*time.Hour {
		how = "over 4 hours"
	}
	left := "left"
	if r.DepartedAt.IsZero() {
		left = "still in the department"
	}
	return fmt.Sprintf("type %s, %s in the department, %s, %s", r.DepartmentType, stay.Round(time.Minute), how, left)
}

func mapValues[V any](m map[string]V) []V {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]V, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// WriteAEReturnCSV writes the A&E return as CSV: a line for the trust,
// then one per department type.
func WriteAEReturnCSV(w io.Writer, r *crs.AEReturn) error {
	cw := newCSVWriter(w)
	_ = cw.Write([]string{"month", "department_type", "attendances", "within_4_hours", "over_4_hours", "share_within_4_hours",
		"meets_95_percent_standard", "over_12_hours_from_arrival", "over_12_hours_from_decision_to_admit", "still_in_department"})
	line := func(typ string, g *crs.AEGroup) {
		_ = cw.Write([]string{r.Month, typ, strconv.Itoa(g.Attendances), strconv.Itoa(g.Within4Hours), strconv.Itoa(g.Over4Hours),
			strconv.FormatFloat(g.ShareWithin4, 'f', 4, 64), strconv.FormatBool(g.MeetsStandard), strconv.Itoa(g.Over12HoursFromArrival),
			strconv.Itoa(g.Over12HoursFromDTA), strconv.Itoa(g.StillInDepartment)})
	}
	line("all", &r.Total)
	keys := make([]string, 0, len(r.ByDepartmentType))
	for k := range r.ByDepartmentType {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		line(k, r.ByDepartmentType[k])
	}
	cw.Flush()
	return cw.Error()
}
