package store_test

import (
	"bytes"
	"context"
	"flag"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestKH03HandMade works out KH03 over three nights, 26 to 28 February
// 2026 (Thursday to Saturday), on the site's wards: WD1 with 4 beds open
// overnight, WD2 with 1 bed made day-only. Both general and acute.
//
//	P1 admitted to WD1 26/02 10:00, on leave from 28/02 18:00: in the census all three nights (leave keeps the bed)
//	P2 admitted to WD1 27/02 10:00, discharged 28/02 10:00: in the census of the 27th
//	P3 a day case on WD2 27/02 08:00 to 16:00: in no census; on WD2 on Friday
//
// Census: 26th 1, 27th 2, 28th 1. Overnight general and acute: available 4,
// occupied (1+2+1)/3 = 1.33, occupancy 4/3/4 = 0.3333. Day-only: available 1,
// occupied on the two weekdays (Thu 0, Fri 1) 0.5.
func TestKH03HandMade(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RKH", 3)
		if err := store.NewKH03Setup(db).SetWardDayOnly(ctx, s.tr.Actor(crs.RoleAdmin), "WD2", true); err != nil {
			t.Fatalf("day-only: %v", err)
		}
		if err := store.NewKH03Setup(db).SetWardDayOnly(ctx, s.tr.Actor(crs.RoleAdmin), "NOPE", true); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("day-only of an unknown ward: %v, want not found", err)
		}
		at := func(day, h int) time.Time { return time.Date(2026, time.February, day, h, 0, 0, 0, crs.London) }
		admit := func(p *crs.Patient, ward, bed string, when time.Time) *crs.Spell {
			t.Helper()
			clock.Set(when)
			sp, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: p.ID, Method: "21", Source: "19", WardID: ward, BedID: bed, ConsultantCode: "C1234567"})
			if err != nil {
				t.Fatalf("admit: %v", err)
			}
			return sp
		}
		discharge := func(sp *crs.Spell, when time.Time) {
			t.Helper()
			clock.Set(when)
			if err := s.ip.Discharge(ctx, s.clerk, sp.ID, crs.Discharge{Method: "1", Destination: "19"}); err != nil {
				t.Fatalf("discharge: %v", err)
			}
		}
		p1 := admit(s.patients[0], s.ward.ID, s.beds[0].ID, at(26, 10))
		p2 := admit(s.patients[1], s.ward.ID, s.beds[1].ID, at(27, 10))
		p3 := admit(s.patients[2], s.ward2.ID, s.beds[4].ID, at(27, 8))
		discharge(p3, at(27, 16))
		discharge(p2, at(28, 10))
		clock.Set(at(28, 18))
		if err := s.ip.StartLeave(ctx, s.clerk, p1.ID, time.Time{}); err != nil {
			t.Fatalf("leave: %v", err)
		}
		clock.Set(storetest.Epoch)
		census := map[string]int{}
		for d := 26; d <= 28; d++ {
			night := crs.NewDate(2026, time.February, d)
			wards, err := s.ip.RecordCensus(ctx, s.clerk, night)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range wards {
				census[night.String()] += w.Occupied
			}
		}
		got, err := report.New(store.NewReportSource(db)).KH03Return(ctx, s.tr.Actor(crs.RoleAnalyst), "test", crs.NewDate(2026, 2, 26), crs.NewDate(2026, 2, 28), crs.ReportBasis{})
		if err != nil {
			t.Fatal(err)
		}
		// Property: overnight occupied equals the census, night by night.
		if len(got.ByNight) != 3 {
			t.Fatalf("%d nights counted, want 3: %+v", len(got.ByNight), got)
		}
		for _, n := range got.ByNight {
			if n.Occupied != census[n.Night] {
				t.Errorf("night %s: KH03 %d occupied, census %d", n.Night, n.Occupied, census[n.Night])
			}
		}
		if census["2026-02-26"] != 1 || census["2026-02-27"] != 2 || census["2026-02-28"] != 1 {
			t.Errorf("census %v; want 1, 2, 1", census)
		}
		ga := got.Overnight[crs.SectorGeneralAcute]
		if *ga != (crs.KH03Beds{Available: 4, Occupied: 1.33, Occupancy: 0.3333}) {
			t.Errorf("overnight general and acute: %+v; want 4 available, 1.33 occupied", *ga)
		}
		if d := got.DayOnly[crs.SectorGeneralAcute]; d.Available != 1 || d.Occupied != 0.5 {
			t.Errorf("day-only general and acute: %+v; want 1 available, 0.5 occupied", *d)
		}
		var csv bytes.Buffer
		if err := report.WriteKH03CSV(&csv, got); err != nil {
			t.Fatal(err)
		}
		storetest.Golden(t, "kh03.csv", csv.Bytes(), *update)
	})
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata")
