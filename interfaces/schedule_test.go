package interfaces

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// clinicSetUp gives the trust a clinic room OPD1 with the Monday morning
// general surgery clinic GS-MON of consultant C1234567 (20-minute new
// slots from 09:00 to 12:00) and eight weeks of its slots.
func clinicSetUp(t *testing.T, db *store.DB, tr *storetest.Trust, today time.Time) *crs.Clinic {
	t.Helper()
	ctx, admin := context.Background(), tr.Actor(crs.RoleAdmin)
	orgs := store.NewOrganisationService(db)
	site := &crs.Location{Kind: crs.LocationSite, Code: "MAIN", Name: "Main site"}
	if err := orgs.CreateLocation(ctx, admin, site); err != nil {
		t.Fatal(err)
	}
	room := &crs.Location{ParentID: site.ID, Kind: crs.LocationClinicRoom, Code: "OPD1", Name: "Outpatients 1"}
	if err := orgs.CreateLocation(ctx, admin, room); err != nil {
		t.Fatal(err)
	}
	c := &crs.Clinic{Code: "GS-MON", Name: "General surgery", ConsultantCode: "C1234567", TreatmentFunction: "100", LocationID: room.ID,
		Sessions: []crs.ClinicSession{{Weekday: time.Monday, Start: "09:00", End: "12:00", SlotMinutes: 20, SlotType: crs.SlotNew}}}
	op := store.NewOutpatientService(db)
	if err := op.CreateClinic(ctx, admin, c); err != nil {
		t.Fatal(err)
	}
	d := crs.LocalDate(today)
	if _, err := op.GenerateSlots(ctx, tr.Actor(crs.RoleClerk), c.ID, d, crs.Date{Time: d.AddDate(0, 0, 56)}); err != nil {
		t.Fatal(err)
	}
	return c
}

// siu writes an SIU message from the external booking system BOOKIT (v2.5)
// for the appointment it knows as ext, at start (UK time, yyyymmddhhmm)
// in the clinic or room code, with the consultant and service.
func siu(trig, ctrl, nhsNo, ext, start, clinic string, more ...string) string {
	segs := []string{"MSH|^~\\&|BOOKIT|RXXBK|OPENCRS|RXX|20260302093000||SIU^" + trig + "^SIU_S12|" + ctrl + "|P|2.5|||AL|NE|GBR",
		segment("SCH", map[int]string{1: "PL-" + ext, 2: ext + "^BOOKIT", 6: "", 7: "ROUTINE^Routine", 9: "20", 10: "MIN", 11: "^^20^" + start + "00^"}),
		"PID|1||" + nhsNo + "^^^NHS^NH||SMITH^ANNE||19800101|F", "RGS|1",
		segment("AIS", map[int]string{1: "1", 3: "100^General surgery", 4: start + "00", 7: "20", 8: "MIN"}),
		segment("AIL", map[int]string{1: "1", 3: clinic + "^^^MAIN", 4: "CLINIC", 6: start + "00"}),
		segment("AIP", map[int]string{1: "1", 3: "C1234567^GREY^ANN", 4: "CONSULTANT"})}
	return strings.Join(append(segs, more...), "\r") + "\r"
}

// TestSchedulingFromABookingSystem books, refuses what fits no slot,
// reschedules, cancels and records a no-show from an external booking
// system's SIU messages over MLLP, each on the trust's clinic slots.
func TestSchedulingFromABookingSystem(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f, n1 := senderFixture(t, db, "BOOKIT", "RXXBK", 41)
		ctx, clerk := context.Background(), f.trust.Actor(crs.RoleClerk)
		clinicSetUp(t, db, f.trust, clock.Now())
		n2, n3 := testNHS(42), testNHS(43)
		for _, n := range []string{n2, n3} {
			if ack, _ := f.send(t, adtMsg("A28", "REG-"+n, "RXX", strings.Replace(pidSeg(n, "", "RXX", "JONES", "BEN", "19700101"), "NSTS01", "NSTS02", 1))); ack.Code != hl7.AA {
				t.Fatalf("register: %+v", ack)
			}
		}
		refs := map[string]*crs.Referral{}
		for _, n := range []string{n1, n2} { // the third patient has no referral
			r := &crs.Referral{PatientID: findByNHS(t, db, f.trust, n).ID, Source: "03", ReceivedOn: crs.NewDate(2026, 2, 2), Priority: crs.PriorityRoutine,
				TreatmentFunction: "100", ConsultantCode: "C1234567", ConsultantLed: true}
			if err := store.NewReferralService(db).RecordReferral(ctx, clerk, r); err != nil {
				t.Fatalf("referral: %v", err)
			}
			refs[n] = r
		}
		op := store.NewOutpatientService(db)
		appts := func(n string) []*crs.Appointment {
			t.Helper()
			as, err := op.FindAppointments(ctx, clerk, refs[n].ID)
			if err != nil {
				t.Fatal(err)
			}
			return as
		}
		live := func(n string) *crs.Appointment {
			t.Helper()
			for _, a := range appts(n) {
				if a.Status == crs.AppointmentBooked || a.Status == crs.AppointmentDNA {
					return a
				}
			}
			return nil
		}
		at := func(s string) time.Time {
			tm, _ := time.ParseInLocation("200601021504", s, crs.London)
			return tm.UTC()
		}
		// Monday 9 March 2026: the clinic runs 09:00-12:00 in 20-minute slots.
		steps := []struct {
			name, msg, code string
			seg             string
			field           int
			want            string
			check           func(t *testing.T)
		}{
			{"S12 books into the slot", siu("S12", "S1", n1, "BK-1", "202603090920", "GS-MON"), hl7.AA, "", 0, "", func(t *testing.T) {
				if a := live(n1); a == nil || !a.Start.Equal(at("202603090920")) || a.Status != crs.AppointmentBooked {
					t.Errorf("after S12: %+v, want booked at 09:20", appts(n1))
				}
			}},
			{"S12 again for the same appointment", siu("S12", "S1b", n1, "BK-1", "202603090940", "GS-MON"), hl7.AE, "SCH", 2, "already booked", nil},
			{"S12 into a taken slot", siu("S12", "S2", n2, "BK-2", "202603090920", "OPD1"), hl7.AE, "AIS", 4, "already booked: the clinic is full", nil},
			{"S12 between slots", siu("S12", "S3", n2, "BK-2", "202603090925", "GS-MON"), hl7.AE, "AIS", 4, "no slot starting at 09-Mar-2026 09:25; its slots that day start at 09:00, 09:20, 09:40", nil},
			{"S12 on a day without a session", siu("S12", "S4", n2, "BK-2", "202603100920", "GS-MON"), hl7.AE, "AIS", 4, "no session on Tue 10-Mar-2026", nil},
			{"S12 to an unknown clinic is held until it is mapped", siu("S12", "S5", n2, "BK-5", "202603090940", "SURG1"), hl7.AE, "AIL", 3, "no active clinic or clinic room has code SURG1", func(t *testing.T) {
				if m := messageByControlID(t, db, f.trust.Org.ID, "S5"); m.Status != crs.MessageHeld {
					t.Errorf("status %s, want held", m.Status)
				}
				// The analyst maps the booking system's clinic code and
				// reprocesses: the booking is made in the 09:40 slot.
				analyst := f.trust.Actor(crs.RoleInterfaceAnalyst)
				ifs, err := db.FindInterfacesBySender(ctx, "BOOKIT", "RXXBK")
				if err != nil || len(ifs) != 1 {
					t.Fatalf("the booking system's interface: %v", err)
				}
				if err := f.e.SetCodeMap(ctx, analyst, &crs.CodeMap{InterfaceID: ifs[0].ID, Table: crs.MapLocation, From: "SURG1", To: "GS-MON"}); err != nil {
					t.Fatalf("map SURG1: %v", err)
				}
				clock.Advance(time.Minute)
				if rep, err := f.e.ReprocessHeld(ctx, analyst, ifs[0].ID, time.Time{}); err != nil || rep.Applied != 1 {
					t.Fatalf("reprocess after mapping: %+v, %v", rep, err)
				}
				if a := live(n2); a == nil || !a.Start.Equal(at("202603090940")) {
					t.Fatalf("after reprocessing: %+v, want booked at 09:40", appts(n2))
				}
				// The booking system cancels it again.
				if ack, _ := f.send(t, siu("S15", "S5c", n2, "BK-5", "202603090940", "SURG1")); ack.Code != hl7.AA {
					t.Fatalf("cancel BK-5: %s %+v", ack.Code, ack.Errors)
				}
			}},
			{"S12 without a referral", siu("S12", "S6", n3, "BK-3", "202603090940", "GS-MON"), hl7.AE, "PID", 3, "no open referral for treatment function 100", nil},
			{"S12 without a time", strings.Replace(strings.Replace(strings.Replace(siu("S12", "S7", n2, "BK-2", "", "GS-MON"), "^^20^00^", "", 1), "|00|", "||", 2), "|00", "|", 1), hl7.AE, "SCH", 11, "no start time", nil},
			{"S13 reschedules", siu("S13", "S8", n1, "BK-1", "202603091000", "GS-MON"), hl7.AA, "", 0, "", func(t *testing.T) {
				as := appts(n1)
				if len(as) != 2 || live(n1) == nil || !live(n1).Start.Equal(at("202603091000")) {
					t.Errorf("after S13: %+v, want the 09:20 cancelled and one booked at 10:00", as)
				}
			}},
			{"S12 into the slot the reschedule freed", siu("S12", "S9", n2, "BK-2", "202603090920", "GS-MON"), hl7.AA, "", 0, "", nil},
			{"S14 with the same time changes nothing", siu("S14", "S10", n1, "BK-1", "202603091000", "GS-MON"), hl7.AA, "", 0, "", func(t *testing.T) {
				if len(appts(n1)) != 2 {
					t.Errorf("after S14: %d appointments, want still 2", len(appts(n1)))
				}
			}},
			{"S15 cancels", strings.Replace(siu("S15", "S11", n1, "BK-1", "202603091000", "GS-MON"), "||ROUTINE^Routine", "|PATREQ^Patient request|ROUTINE^Routine", 1), hl7.AA, "", 0, "", func(t *testing.T) {
				for _, a := range appts(n1) {
					if a.Status != crs.AppointmentCancelled {
						t.Errorf("after S15: %+v still %s", a, a.Status)
					}
				}
				as := appts(n1)
				if last := as[len(as)-1]; last.CancelledBy != crs.CancelledByPatient || last.Reason != "Patient request" {
					t.Errorf("cancelled by %q for %q, want the patient for Patient request", last.CancelledBy, last.Reason)
				}
			}},
			{"S12 with its time in TQ1 alone (v2.5 and later)", strings.Replace(strings.ReplaceAll(siu("S12", "S11b", n1, "BK-6", "202603091100", "GS-MON"), "20260309110000", ""),
				"\rPID|", "\rTQ1|||||||20260309110000|20260309112000\rPID|", 1), hl7.AA, "", 0, "", func(t *testing.T) {
				if a := live(n1); a == nil || !a.Start.Equal(at("202603091100")) {
					t.Errorf("after S12 with TQ1: %+v, want booked at 11:00", appts(n1))
				}
			}},
			{"S13 of an unknown appointment", siu("S13", "S12", n1, "BK-9", "202603091000", "GS-MON"), hl7.AE, "SCH", 2, "no appointment is known by RXXBK's id BK-9", nil},
			{"S26 before the day", siu("S26", "S13", n2, "BK-2", "202603090920", "GS-MON"), hl7.AE, "SCH", 2, "record attendance on the day", nil},
		}
		for _, tc := range steps {
			t.Run(tc.name, func(t *testing.T) {
				ack, _ := f.send(t, tc.msg)
				if ack.Code != tc.code {
					t.Fatalf("got %s %+v, want %s", ack.Code, ack.Errors, tc.code)
				}
				if tc.code != hl7.AA {
					if len(ack.Errors) == 0 || ack.Errors[0].Segment != tc.seg || ack.Errors[0].Field != tc.field || !strings.Contains(ack.Errors[0].Text, tc.want) {
						t.Errorf("ERR %+v, want %s-%d saying %q", ack.Errors, tc.seg, tc.field, tc.want)
					}
				}
				if tc.check != nil {
					tc.check(t)
				}
			})
		}
		// The day of the appointment, after it: the booking system says the
		// patient did not come.
		clock.Set(at("202603091200"))
		if ack, _ := f.send(t, siu("S26", "S14", n2, "BK-2", "202603090920", "GS-MON", "")); ack.Code != hl7.AA {
			t.Fatalf("S26: %s %+v", ack.Code, ack.Errors)
		}
		if a := live(n2); a == nil || a.Status != crs.AppointmentDNA {
			t.Errorf("after S26: %+v, want did not attend", appts(n2))
		}
	})
}
