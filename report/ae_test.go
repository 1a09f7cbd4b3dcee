package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestAEReturnHandMade checks the October 2026 A&E return of a hand-made
// month. The trust has a major A&E (EDMAJ, type 01) with an area MAJ, and
// an urgent treatment centre (UTC, type 03). Times are London time.
//
//	1 MAJ arrived 05/10 10:00, left 13:59:  3h59, within 4 hours
//	2 MAJ arrived 05/10 10:00, left 14:00:  4h00, within (4 hours exactly is within)
//	3 MAJ arrived 06/10 09:00, left 14:01:  5h01, over 4 hours
//	4 MAJ arrived 07/10 08:00, decision to admit 09:00, left 22:00: 14h,
//	  over 4 hours, over 12 hours from arrival, 13h from the decision: over 12
//	5 UTC arrived 08/10 10:00, left 11:00: type 03, within
//	6 MAJ arrived 31/10 23:00, left 01/11 01:00: October's, within
//	7 arrived 01/11 00:30: November's, not counted
//	8 arrived 30/09 23:30 (22:30 UTC): September's, not counted
//	9 no area, arrived 10/10 12:00, left 12:30: two departments, so type 01, within
//
// Type 01: 1 2 3 4 6 9 = 6, within 4 (1 2 6 9), share 0.6667, over 12 hours
// from arrival 1, from the decision 1. Type 03: 1, within 1.
// Trust: 7, within 5, share 5/7 = 0.7143, short of the 95% standard.
func TestAEReturnHandMade(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		clock.Set(handMadeRecorded)
		tr := storetest.NewTrust(t, db, "RAE")
		admin, nurse := tr.Actor(crs.RoleAdmin), tr.Actor(crs.RoleNurse)
		tr.AssignToED(t, db, nurse)
		orgs := store.NewOrganisationService(db)
		site := &crs.Location{Kind: crs.LocationSite, Code: "MAIN", Name: "Main"}
		if err := orgs.CreateLocation(ctx, admin, site); err != nil {
			t.Fatal(err)
		}
		for _, l := range []*crs.Location{{Kind: crs.LocationED, Code: "EDMAJ", Name: "Emergency department", EDType: "01"},
			{Kind: crs.LocationED, Code: "UTC", Name: "Urgent treatment centre", EDType: "03"}} {
			l.ParentID = site.ID
			if err := orgs.CreateLocation(ctx, admin, l); err != nil {
				t.Fatal(err)
			}
			if l.Code == "EDMAJ" {
				if err := orgs.CreateLocation(ctx, admin, &crs.Location{ParentID: l.ID, Kind: crs.LocationED, Code: "MAJ", Name: "Majors"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		gen := demo.NewGenerator(31)
		var ps []*crs.Patient
		for range 9 {
			ps = append(ps, gen.Patient())
		}
		if _, err := db.LoadPatients(ctx, tr.System, ps, crs.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		at := func(day, month, h, m int) time.Time {
			return time.Date(2026, time.Month(month), day, h, m, 0, 0, crs.London)
		}
		ed := store.NewEDService(db)
		for i, a := range []struct {
			area               string
			arrived, dta, left time.Time
		}{
			{"MAJ", at(5, 10, 10, 0), time.Time{}, at(5, 10, 13, 59)},
			{"MAJ", at(5, 10, 10, 0), time.Time{}, at(5, 10, 14, 0)},
			{"MAJ", at(6, 10, 9, 0), time.Time{}, at(6, 10, 14, 1)},
			{"MAJ", at(7, 10, 8, 0), at(7, 10, 9, 0), at(7, 10, 22, 0)},
			{"UTC", at(8, 10, 10, 0), time.Time{}, at(8, 10, 11, 0)},
			{"MAJ", at(31, 10, 23, 0), time.Time{}, at(1, 11, 1, 0)},
			{"MAJ", at(1, 11, 0, 30), time.Time{}, at(1, 11, 2, 0)},
			{"MAJ", at(30, 9, 23, 30), time.Time{}, at(1, 10, 1, 0)},
			{"", at(10, 10, 12, 0), time.Time{}, at(10, 10, 12, 30)},
		} {
			e := &crs.EDAttendance{PatientID: ps[i].ID, ArrivedAt: a.arrived, ArrivalMode: "1048021000000102", AttendanceCategory: "1"}
			if err := ed.Arrive(ctx, nurse, e); err != nil {
				t.Fatalf("arrival %d: %v", i+1, err)
			}
			if a.area != "" {
				if err := ed.Move(ctx, nurse, e.ID, a.area); err != nil {
					t.Fatalf("move %d: %v", i+1, err)
				}
			}
			if !a.dta.IsZero() {
				if err := ed.DecideToAdmit(ctx, nurse, e.ID, "300", a.dta); err != nil {
					t.Fatalf("decision to admit %d: %v", i+1, err)
				}
			}
			if err := ed.Depart(ctx, nurse, e.ID, crs.EDDeparture{Kind: crs.EDDischarged, Status: "182992009", Destination: "306689006", At: a.left}); err != nil {
				t.Fatalf("departure %d: %v", i+1, err)
			}
		}
		got, err := report.New(store.NewReportSource(db)).AEReturn(ctx, tr.Actor(crs.RoleAnalyst), crs.NewDate(2026, 10, 1), clock.Now(), crs.AEReturnOptions{Breaches: true})
		if err != nil {
			t.Fatal(err)
		}
		want := crs.AEGroup{Attendances: 7, Within4Hours: 5, Over4Hours: 2, ShareWithin4: 0.7143, Over12HoursFromArrival: 1, Over12HoursFromDTA: 1}
		if got.Total != want {
			t.Errorf("trust: got %+v\nwant %+v", got.Total, want)
		}
		if g := got.ByDepartmentType["01"]; g == nil || g.Attendances != 6 || g.Within4Hours != 4 || g.ShareWithin4 != 0.6667 {
			t.Errorf("type 01: %+v; want 6 attendances, 4 within, 0.6667", g)
		}
		if g := got.ByDepartmentType["03"]; g == nil || g.Attendances != 1 || !g.MeetsStandard {
			t.Errorf("type 03: %+v; want 1 attendance within the standard", g)
		}
		if len(got.Breaches) != 4 { // 3 and 4 over 4 hours; 4 over 12 from arrival and from the decision
			t.Errorf("%d breaches listed, want 4: %+v", len(got.Breaches), got.Breaches)
		}
		js, _ := json.MarshalIndent(got, "", " ")
		golden(t, "ae_return.json", append(js, '\n'))
		var csv bytes.Buffer
		if err := report.WriteAEReturnCSV(&csv, got); err != nil {
			t.Fatal(err)
		}
		golden(t, "ae_return.csv", csv.Bytes())
	})
}
