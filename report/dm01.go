package report

import (
	"context"
	"io"
	"strconv"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// DM01: for each listed test, the waiting list at the end of the month
// (requests not planned, not done and not cancelled by the month's last
// day) by completed weeks waited since the request, with those waiting 6
// weeks or more against the standard; and the tests done in the month,
// from the waiting list and planned. Unscheduled tests (done the day they
// were requested in an emergency) are counted with the waiting list ones.

// dm01BandLabel names DM01 band b: "0-1" ... "12-13", "13+".
func dm01BandLabel(b int) string {
	if b >= crs.DM01Bands-1 {
		return "13+"
	}
	return strconv.Itoa(b) + "-" + strconv.Itoa(b+1)
}

// DM01Return works out the DM01 return of the month that month falls in.
func (s *Service) DM01Return(ctx context.Context, a crs.Actor, month crs.Date) (*crs.DM01Return, error) {
	if month.IsZero() {
		return nil, crs.FieldErrorf("month", "give the month")
	}
	first := crs.NewDate(month.Year(), month.Month(), 1)
	last := crs.Date{Time: first.AddDate(0, 1, -1)}
	out := &crs.DM01Return{Month: first.Format("2006-01"), PeriodEnd: last.String(), Total: crs.DM01Test{Test: "TOTAL", Description: "All tests"}}
	byTest := map[string]*crs.DM01Test{}
	for _, c := range nhs.DM01Tests {
		t := &crs.DM01Test{Test: c.Code, Description: c.Description}
		out.Tests = append(out.Tests, t)
		byTest[c.Code] = t
	}
	open := func(d crs.Date) bool { return d.IsZero() || d.After(last.Time) }
	err := s.src.EachDiagnosticRequest(ctx, a, last, func(d *crs.DiagnosticRequest) error {
		t := byTest[d.Test]
		if t == nil {
			return nil // a test no longer on the return
		}
		for _, g := range []*crs.DM01Test{t, &out.Total} {
			if !d.Planned && open(d.PerformedOn) && open(d.CancelledOn) {
				days := int(last.Sub(d.RequestedOn.Time).Hours() / 24)
				g.Waiting++
				g.Bands[min(days/7, crs.DM01Bands-1)]++
				if days >= 7*crs.DM01StandardWeeks {
					g.Waiting6Plus++
				}
				g.WaitingIDs = append(g.WaitingIDs, crs.DM01WaitingItem{RequestID: d.ID, PatientID: d.PatientID, Days: days})
			}
			if !d.PerformedOn.IsZero() && !d.PerformedOn.Before(first.Time) && !d.PerformedOn.After(last.Time) {
				g.Activity++
				if d.Planned {
					g.ActivityPlanned++
				} else {
					g.ActivityWaiting++
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, t := range append(out.Tests, &out.Total) {
		t.Share6Plus = crs.Share4(t.Waiting6Plus, t.Waiting)
		t.BandsByLabel = map[string]int{}
		for b, n := range t.Bands {
			if n > 0 {
				t.BandsByLabel[dm01BandLabel(b)] = n
			}
		}
	}
	return out, nil
}

// WriteDM01CSV writes the DM01 return as CSV, a line per test then the
// total: the waiting list by week band, those waiting 6 weeks or more and
// the month's activity.
func WriteDM01CSV(w io.Writer, r *crs.DM01Return) error {
	cw := newCSVWriter(w)
	head := []string{"month", "test", "description", "waiting", "waiting_6_weeks_or_more", "share_waiting_6_weeks_or_more"}
	for b := range crs.DM01Bands {
		head = append(head, dm01BandLabel(b))
	}
	head = append(head, "activity_waiting_list", "activity_planned", "activity_total")
	_ = cw.Write(head)
	for _, t := range append(r.Tests, &r.Total) {
		rec := []string{r.Month, t.Test, t.Description, strconv.Itoa(t.Waiting), strconv.Itoa(t.Waiting6Plus), strconv.FormatFloat(t.Share6Plus, 'f', 4, 64)}
		for _, n := range t.Bands {
			rec = append(rec, strconv.Itoa(n))
		}
		rec = append(rec, strconv.Itoa(t.ActivityWaiting), strconv.Itoa(t.ActivityPlanned), strconv.Itoa(t.Activity))
		_ = cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}
