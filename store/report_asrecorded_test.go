package store_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestKH03AsRecorded: a discharge recorded late, backdated over two
// nights already counted, changes the KH03 return known now (the census
// is taken again) but not the return as recorded before it, which is
// exactly what the system said then. A bed closed changes the available
// beds of the nights after it, never of a night already counted.
//
//	3 Mar 10:00  P1 and P2 admitted to WD1 (4 beds); WD2 (1 bed) open overnight
//	4 Mar 01:00  census of 1, 2 and 3 March taken: 0, 0, 2 occupied; 5 available
//	4 Mar 12:00  WD1 bed B04 closed
//	5 Mar 01:00  census of 4 March: 2 occupied, 4 available
//	5 Mar 08:00  the return as the system says it then (recorded at)
//	5 Mar 09:00  P2's discharge recorded, backdated to 3 Mar 20:00
//	5 Mar 10:00  the census job takes 3 and 4 March again: 1 and 1
func TestKH03AsRecorded(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RKR", 2)
		at := func(day, h int) time.Time { return time.Date(2026, time.March, day, h, 0, 0, 0, crs.London) }
		analyst := s.tr.Actor(crs.RoleAnalyst)
		svc := report.New(store.NewReportSource(db))
		first, last := crs.NewDate(2026, 3, 1), crs.NewDate(2026, 3, 4)
		kh03 := func(basis crs.ReportBasis) *crs.KH03Return {
			t.Helper()
			r, err := svc.KH03Return(ctx, analyst, "test", first, last, basis)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		census := func(when time.Time, want int) {
			t.Helper()
			clock.Set(when)
			if n, err := store.RecordMissingCensuses(ctx, db, 3); err != nil || n != want {
				t.Fatalf("census job at %s took %d, %v; want %d", when, n, err, want)
			}
		}
		clock.Set(at(3, 10))
		var spells []*crs.Spell
		for i, p := range s.patients {
			sp, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: p.ID, Method: "21", Source: "19", WardID: s.ward.ID, BedID: s.beds[i].ID, ConsultantCode: "C1234567"})
			if err != nil {
				t.Fatal(err)
			}
			spells = append(spells, sp)
		}
		census(at(4, 1), 3)
		clock.Set(at(4, 12))
		bed := *s.beds[3]
		bed.Status = crs.BedClosed
		if err := store.NewOrganisationService(db).UpdateLocation(ctx, s.tr.Actor(crs.RoleAdmin), &bed); err != nil {
			t.Fatal(err)
		}
		census(at(5, 1), 1)
		said := at(5, 8)
		clock.Set(said)
		then := kh03(crs.ReportBasis{})
		clock.Set(at(5, 9))
		if err := s.ip.Discharge(ctx, s.clerk, spells[1].ID, crs.Discharge{Method: "1", Destination: "19", At: at(3, 20)}); err != nil {
			t.Fatal(err)
		}
		if r := kh03(crs.ReportBasis{}); !reflect.DeepEqual(r.ByNight, then.ByNight) {
			t.Errorf("before the census is taken again the return changed: %+v, was %+v", r.ByNight, then.ByNight)
		}
		census(at(5, 10), 2)
		census(at(5, 11), 0)

		nights := func(r *crs.KH03Return) (occ, avail []int) {
			for _, n := range r.ByNight {
				occ, avail = append(occ, n.Occupied), append(avail, n.Available)
			}
			return occ, avail
		}
		now := kh03(crs.ReportBasis{})
		occ, avail := nights(now)
		if !reflect.DeepEqual(occ, []int{0, 0, 1, 1}) || !reflect.DeepEqual(avail, []int{5, 5, 5, 4}) {
			t.Errorf("as at: occupied %v, available %v; want 0 0 1 1 and 5 5 5 4", occ, avail)
		}
		if ga := now.Overnight[crs.SectorGeneralAcute]; ga.Available != 4.75 || ga.Occupied != 0.5 {
			t.Errorf("as at, general and acute %+v; want 4.75 available (5 5 5 4), 0.5 occupied", *ga)
		}
		// Property: the occupied beds are the census, night by night.
		for _, n := range now.ByNight {
			var k int
			if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM census WHERE org_id = $1 AND night = $2`, s.tr.Org.ID, n.Night).Scan(&k); err != nil {
				t.Fatal(err)
			}
			if k != n.Occupied {
				t.Errorf("night %s: KH03 %d occupied, census %d", n.Night, n.Occupied, k)
			}
		}
		// Property: a late entry never changes the return as recorded
		// before it: it is what the system said then.
		rec := kh03(crs.ReportBasis{RecordedBy: said})
		if rec.RecordedBy == "" {
			t.Error("the return as recorded does not say when")
		}
		rec.RecordedBy = ""
		if !reflect.DeepEqual(rec, then) {
			t.Errorf("as recorded at %s:\n%+v\nthe system said then:\n%+v", said, rec, then)
		}
		occ, avail = nights(rec)
		if !reflect.DeepEqual(occ, []int{0, 0, 2, 2}) || !reflect.DeepEqual(avail, []int{5, 5, 5, 4}) {
			t.Errorf("as recorded: occupied %v, available %v; want 0 0 2 2 and 5 5 5 4", occ, avail)
		}
		early := kh03(crs.ReportBasis{RecordedBy: at(4, 2)})
		if early.NightsCounted != 3 || len(early.NightsMissing) != 1 || early.Overnight[crs.SectorGeneralAcute].Available != 5 {
			t.Errorf("as recorded on 4 March: %d nights, missing %v, %+v; want 3 nights counted, 4 March missing, 5 available",
				early.NightsCounted, early.NightsMissing, *early.Overnight[crs.SectorGeneralAcute])
		}

		cmp, err := svc.KH03ReturnCompare(ctx, analyst, "test", first, last, said)
		if err != nil {
			t.Fatal(err)
		}
		if len(cmp.Changes) != 2 || cmp.Changes[0].Subject != "2026-03-03" || cmp.Changes[1].Subject != "2026-03-04" {
			t.Fatalf("nights changed: %+v; want 3 and 4 March", cmp.Changes)
		}
		for _, ch := range cmp.Changes {
			types := map[string]bool{}
			for _, e := range ch.Events {
				types[e.Type] = true
			}
			if !types[crs.EventSpellDischarged] || !types[crs.EventCensusRecorded] || ch.AsAt != "1 occupied of 5 available" && ch.AsAt != "1 occupied of 4 available" {
				t.Errorf("night %s: %+v; want the discharge and the census taken again", ch.Subject, ch)
			}
		}
		var diff bool
		for _, d := range cmp.Differences {
			if d.Line == "overnight "+crs.SectorGeneralAcute && d.Figure == "occupied" {
				diff = d.AsAt == 0.5 && d.AsRecorded == 1
			}
		}
		if !diff {
			t.Errorf("differences %+v; want overnight occupied 0.5 as at, 1 as recorded", cmp.Differences)
		}
		var csv bytes.Buffer
		if err := report.WriteComparisonCSV(&csv, cmp); err != nil || !strings.Contains(csv.String(), "2026-03-03,1 occupied of 5 available,2 occupied of 5 available,spell.discharged") {
			t.Errorf("comparison CSV (%v):\n%s", err, csv.String())
		}
	})
}

// TestAEAsRecorded: a departure entered the next day, backdated, changes
// the A&E return known now but not the return as recorded the evening
// before, which is what the system said then (the patient still in the
// department, counting to then).
//
//	3 Mar 10:00  A1 and A2 arrive; A2 leaves 13:00 (3h, within 4 hours)
//	3 Mar 23:00  the return then: A1 still there 13h, over 4 and over 12 hours
//	4 Mar 09:00  A1's departure entered, at 3 Mar 12:00: 2h, within
func TestAEAsRecorded(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RAR", 3)
		at := func(day, h int) time.Time { return time.Date(2026, time.March, day, h, 0, 0, 0, crs.London) }
		analyst := s.tr.Actor(crs.RoleAnalyst)
		svc := report.New(store.NewReportSource(db))
		month := crs.NewDate(2026, 3, 1)
		clock.Set(at(3, 10))
		var ids []string
		for _, p := range s.patients[:2] {
			e := &crs.EDAttendance{PatientID: p.ID, ArrivedAt: at(3, 10), ArrivalMode: "1048021000000102", AttendanceCategory: "1"}
			if err := s.ed.Arrive(ctx, s.clerk, e); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, e.ID)
		}
		depart := func(id string, when time.Time) {
			t.Helper()
			if err := s.ed.Depart(ctx, s.clerk, id, crs.EDDeparture{Kind: crs.EDDischarged, Status: "182992009", Destination: "306689006", At: when}); err != nil {
				t.Fatal(err)
			}
		}
		clock.Set(at(3, 13))
		depart(ids[1], at(3, 13))
		said := at(3, 23)
		clock.Set(said)
		then, err := svc.AEReturn(ctx, analyst, month, said, crs.AEReturnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := (crs.AEGroup{Attendances: 2, Within4Hours: 1, Over4Hours: 1, ShareWithin4: 0.5, Over12HoursFromArrival: 1, StillInDepartment: 1}); then.Total != want {
			t.Fatalf("the return on the evening: %+v; want %+v", then.Total, want)
		}
		clock.Set(at(4, 9))
		depart(ids[0], at(3, 12))
		now, err := svc.AEReturn(ctx, analyst, month, clock.Now(), crs.AEReturnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := (crs.AEGroup{Attendances: 2, Within4Hours: 2, ShareWithin4: 1, MeetsStandard: true}); now.Total != want {
			t.Errorf("as at: %+v; want %+v", now.Total, want)
		}
		// Property: the late departure does not change the return as
		// recorded before it.
		rec, err := svc.AEReturn(ctx, analyst, month, clock.Now(), crs.AEReturnOptions{Basis: crs.ReportBasis{RecordedBy: said}})
		if err != nil {
			t.Fatal(err)
		}
		if rec.RecordedBy == "" {
			t.Error("the return as recorded does not say when")
		}
		rec.RecordedBy = ""
		if !reflect.DeepEqual(rec, then) {
			t.Errorf("as recorded at %s: %+v\nthe system said then: %+v", said, rec.Total, then.Total)
		}
		// Before anyone arrived, nothing was recorded.
		if r, err := svc.AEReturn(ctx, analyst, month, clock.Now(), crs.AEReturnOptions{Basis: crs.ReportBasis{RecordedBy: at(3, 9)}}); err != nil || r.Total.Attendances != 0 {
			t.Errorf("as recorded before the arrivals: %+v, %v; want none", r, err)
		}
		cmp, err := svc.AEReturnCompare(ctx, analyst, month, clock.Now(), said)
		if err != nil {
			t.Fatal(err)
		}
		if len(cmp.Changes) != 1 || cmp.Changes[0].Subject != ids[0] || len(cmp.Changes[0].Events) != 1 || cmp.Changes[0].Events[0].Type != crs.EventEDDeparted ||
			!strings.Contains(cmp.Changes[0].AsRecorded, "still in the department") {
			t.Errorf("attendances changed: %+v; want A1 with its departure", cmp.Changes)
		}
		found := map[string]bool{}
		for _, d := range cmp.Differences {
			if d.Line == "all" {
				found[d.Figure] = true
			}
		}
		for _, f := range []string{"within_4_hours", report.AEOver4Hours, report.AEOver12HoursArrival, "still_in_department", "share_within_4_hours"} {
			if !found[f] {
				t.Errorf("difference of %s not listed: %+v", f, cmp.Differences)
			}
		}
		// An admission from A&E cancelled in error puts the attendance
		// back in the department, in its events too: the return as
		// recorded after the cancellation says so, as the return now does.
		s.ed.Arrive(ctx, s.clerk, &crs.EDAttendance{PatientID: s.patients[2].ID, ArrivedAt: at(4, 9), ArrivalMode: "1048021000000102", AttendanceCategory: "1"})
		var third string
		if err := db.Reader().QueryRowContext(ctx, `SELECT id FROM ed_attendances WHERE org_id = $1 AND patient_id = $2`, s.tr.Org.ID, s.patients[2].ID).Scan(&third); err != nil {
			t.Fatal(err)
		}
		clock.Set(at(4, 10))
		sp, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: s.patients[2].ID, Method: "21", Source: "19", WardID: s.ward.ID, BedID: s.beds[0].ID,
			ConsultantCode: "C1234567", EDAttendanceID: third})
		if err != nil {
			t.Fatal(err)
		}
		clock.Set(at(4, 11))
		if err := s.ip.CancelAdmission(ctx, s.clerk, sp.ID, "entered in error"); err != nil {
			t.Fatal(err)
		}
		clock.Set(at(4, 12))
		for _, basis := range []crs.ReportBasis{{}, {RecordedBy: clock.Now()}} {
			r, err := svc.AEReturn(ctx, analyst, month, clock.Now(), crs.AEReturnOptions{Basis: basis})
			if err != nil || r.Total.Attendances != 3 || r.Total.StillInDepartment != 1 {
				t.Errorf("after the admission from A&E was cancelled (%v): %+v, %v; want 3 attendances, 1 still in the department", basis.RecordedBy, r, err)
			}
		}
	})
}
