package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestDM01HandMade records diagnostic requests by hand and checks the
// February 2026 DM01 return (month end 2026-02-28):
//
//	1 MRI requested 20/02:                 waiting, 8 days, band 1-2
//	2 MRI requested 10/01:                 waiting, 49 days, band 7-8, 6 weeks or more
//	3 MRI requested 17/01:                 waiting, 42 days (6 weeks exactly), band 6-7, 6 weeks or more
//	4 CT requested 05/01, done 10/02:      activity from the waiting list
//	5 CT planned 01/01 due 15/02, done 15/02: planned activity, never waiting
//	6 CT requested 01/02, done 01/03:      still waiting at the month's end, 27 days, band 3-4
//	7 COLONOSCOPY requested 01/02, cancelled 05/02: neither
//	8 GASTROSCOPY requested 01/11/2025:    waiting 119 days (29+31+31+28), band 13+
//
// MRI: 3 waiting, 2 at 6 weeks or more, 0.6667. CT: 1 waiting, activity 2
// (1 waiting list, 1 planned). All: 5 waiting, 3 at 6 weeks or more, 0.6.
func TestDM01HandMade(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RDM", 3)
		ds := store.NewDiagnosticService(db)
		d := func(y, m, day int) crs.Date { return crs.NewDate(y, time.Month(m), day) }
		add := func(p int, test string, req crs.Date, planned bool, due crs.Date) *crs.DiagnosticRequest {
			t.Helper()
			r := &crs.DiagnosticRequest{PatientID: s.patients[p].ID, Test: test, RequestedOn: req, Planned: planned, DueOn: due}
			if err := ds.RequestDiagnostic(ctx, s.clerk, r); err != nil {
				t.Fatalf("request %s: %v", test, err)
			}
			return r
		}
		add(0, "MRI", d(2026, 2, 20), false, crs.Date{})
		add(1, "mri", d(2026, 1, 10), false, crs.Date{})
		add(2, "MRI", d(2026, 1, 17), false, crs.Date{})
		ct := add(0, "CT", d(2026, 1, 5), false, crs.Date{})
		planned := add(1, "CT", d(2026, 1, 1), true, d(2026, 2, 15))
		late := add(2, "CT", d(2026, 2, 1), false, crs.Date{})
		colon := add(0, "COLONOSCOPY", d(2026, 2, 1), false, crs.Date{})
		add(1, "GASTROSCOPY", d(2025, 11, 1), false, crs.Date{})
		for r, on := range map[*crs.DiagnosticRequest]crs.Date{ct: d(2026, 2, 10), planned: d(2026, 2, 15), late: d(2026, 3, 1)} {
			if err := ds.RecordDiagnosticDone(ctx, s.clerk, r.ID, on); err != nil {
				t.Fatalf("done: %v", err)
			}
		}
		if err := ds.CancelDiagnostic(ctx, s.clerk, colon.ID, d(2026, 2, 5), "no longer needed"); err != nil {
			t.Fatal(err)
		}
		// Bad requests are refused with the field that is wrong.
		for field, bad := range map[string]*crs.DiagnosticRequest{
			"test":         {PatientID: s.patients[0].ID, Test: "XRAY", RequestedOn: d(2026, 2, 1)},
			"requested_on": {PatientID: s.patients[0].ID, Test: "CT", RequestedOn: d(2026, 4, 1)},
			"due_on":       {PatientID: s.patients[0].ID, Test: "CT", RequestedOn: d(2026, 2, 1), Planned: true},
		} {
			if err := ds.RequestDiagnostic(ctx, s.clerk, bad); crs.FieldErrors(err)[field] == "" {
				t.Errorf("bad %s: %v, want an error on the field", field, err)
			}
		}
		if err := ds.RecordDiagnosticDone(ctx, s.clerk, ct.ID, d(2026, 2, 11)); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("done twice: %v, want a conflict", err)
		}
		if list, err := ds.FindDiagnosticRequests(ctx, s.clerk, s.patients[0].ID); err != nil || len(list) != 3 {
			t.Errorf("P0's requests: %d, %v; want 3", len(list), err)
		}

		got, err := report.New(store.NewReportSource(db)).DM01Return(ctx, s.tr.Actor(crs.RoleAnalyst), d(2026, 2, 1))
		if err != nil {
			t.Fatal(err)
		}
		tests := map[string]*crs.DM01Test{}
		for _, x := range got.Tests {
			tests[x.Test] = x
		}
		if m := tests["MRI"]; m.Waiting != 3 || m.Waiting6Plus != 2 || m.Share6Plus != 0.6667 || m.Bands[1] != 1 || m.Bands[6] != 1 || m.Bands[7] != 1 {
			t.Errorf("MRI: %+v", m)
		}
		if c := tests["CT"]; c.Waiting != 1 || c.Bands[3] != 1 || c.Activity != 2 || c.ActivityWaiting != 1 || c.ActivityPlanned != 1 {
			t.Errorf("CT: %+v", c)
		}
		if g := tests["GASTROSCOPY"]; g.Waiting != 1 || g.Bands[13] != 1 {
			t.Errorf("gastroscopy: %+v", g)
		}
		if tot := got.Total; tot.Waiting != 5 || tot.Waiting6Plus != 3 || tot.Share6Plus != 0.6 || tot.Activity != 2 {
			t.Errorf("total: %+v", tot)
		}
		var csv bytes.Buffer
		if err := report.WriteDM01CSV(&csv, got); err != nil {
			t.Fatal(err)
		}
		storetest.Golden(t, "dm01.csv", csv.Bytes(), *update)
	})
}
