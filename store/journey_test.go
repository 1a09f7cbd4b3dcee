package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// site is a trust set up for journey tests: a ward with beds, a clinic
// room and a general surgery clinic with slots for eight weeks.
type site struct {
	tr       *storetest.Trust
	clerk    crs.Actor
	doctor   crs.Actor
	ward     *crs.Location
	ward2    *crs.Location
	beds     []*crs.Location
	clinic   *crs.Clinic
	refs     *store.ReferralService
	op       *store.OutpatientService
	wl       *store.WaitingListService
	ip       *store.InpatientService
	ed       *store.EDService
	patients []*crs.Patient
}

func newSite(t *testing.T, db *store.DB, ods string, patients int) *site {
	t.Helper()
	ctx := context.Background()
	tr := storetest.NewTrust(t, db, ods)
	s := &site{tr: tr, clerk: tr.Actor(crs.RoleClerk), doctor: tr.Actor(crs.RoleDoctor),
		refs: store.NewReferralService(db), op: store.NewOutpatientService(db), wl: store.NewWaitingListService(db),
		ip: store.NewInpatientService(db), ed: store.NewEDService(db)}
	orgs := store.NewOrganisationService(db)
	admin := tr.Actor(crs.RoleAdmin)
	loc := func(parent string, kind crs.LocationKind, code string) *crs.Location {
		l := &crs.Location{ParentID: parent, Kind: kind, Code: code, Name: code}
		if err := orgs.CreateLocation(ctx, admin, l); err != nil {
			t.Fatalf("location %s: %v", code, err)
		}
		return l
	}
	hosp := loc("", crs.LocationSite, "MAIN")
	s.ward, s.ward2 = loc(hosp.ID, crs.LocationWard, "WD1"), loc(hosp.ID, crs.LocationWard, "WD2")
	for i := 1; i <= 4; i++ {
		s.beds = append(s.beds, loc(s.ward.ID, crs.LocationBed, fmt.Sprintf("B%02d", i)))
	}
	bay := loc(s.ward2.ID, crs.LocationBay, "BAY1")
	s.beds = append(s.beds, loc(bay.ID, crs.LocationBed, "B01"))
	room := loc(hosp.ID, crs.LocationClinicRoom, "OPD1")
	s.clinic = &crs.Clinic{Code: "GS-MON", Name: "General surgery Monday", ConsultantCode: "C1234567", TreatmentFunction: "100", LocationID: room.ID,
		Sessions: []crs.ClinicSession{
			{Weekday: time.Monday, Start: "09:00", End: "12:00", SlotMinutes: 20, SlotType: crs.SlotNew},
			{Weekday: time.Monday, Start: "13:30", End: "16:30", SlotMinutes: 15, SlotType: crs.SlotFollowUp},
			{Weekday: time.Thursday, Start: "09:00", End: "10:00", SlotMinutes: 30, SlotType: crs.SlotUrgent},
		}}
	if err := s.op.CreateClinic(ctx, admin, s.clinic); err != nil {
		t.Fatalf("create clinic: %v", err)
	}
	today := crs.LocalDate(db.Clock.Now())
	if _, err := s.op.GenerateSlots(ctx, s.clerk, s.clinic.ID, today, crs.Date{Time: today.AddDate(0, 0, 56)}); err != nil {
		t.Fatalf("generate slots: %v", err)
	}
	ps := store.NewPatientService(db)
	for i := 0; i < patients; i++ {
		p := newPatient(fmt.Sprintf("Journey%d", i), "Pat", crs.NewDate(1950+i%50, 1+time.Month(i%12), 1+i%28), "", "", "2")
		if err := ps.RegisterPatient(ctx, s.clerk, p); err != nil {
			t.Fatalf("register: %v", err)
		}
		s.patients = append(s.patients, p)
	}
	return s
}

func (s *site) referral(t *testing.T, patient *crs.Patient, received crs.Date) *crs.Referral {
	t.Helper()
	r := &crs.Referral{PatientID: patient.ID, Source: "03", ReferrerCode: "G1234567", ReceivedOn: received, Priority: crs.PriorityRoutine,
		Specialty: "100", TreatmentFunction: "100", ConsultantCode: "C1234567", ConsultantLed: true}
	if err := s.refs.RecordReferral(context.Background(), s.clerk, r); err != nil {
		t.Fatalf("record referral: %v", err)
	}
	return r
}

func (s *site) freeSlots(t *testing.T, db *store.DB, typ string) []*crs.Slot {
	t.Helper()
	slots, err := s.op.FindSlots(context.Background(), s.clerk, crs.SlotQuery{ClinicID: s.clinic.ID, Type: typ, FreeOnly: true, Limit: 1000, From: db.Clock.Now()})
	if err != nil || len(slots) == 0 {
		t.Fatalf("free %s slots: %d, %v", typ, len(slots), err)
	}
	return slots
}

// ptlRow finds a pathway's row on the whole PTL, or nil.
func ptlRow(t *testing.T, s *site, pathwayID string) *crs.PTLRow {
	t.Helper()
	page, err := s.refs.PTL(context.Background(), s.clerk, crs.PTLFilter{Limit: 1000})
	if err != nil {
		t.Fatalf("PTL: %v", err)
	}
	for _, r := range page.Rows {
		if r.PathwayID == pathwayID {
			return r
		}
	}
	return nil
}

func checkClock(t *testing.T, s *site, pathwayID string, running bool, start crs.Date, stopStatus rtt.Status) {
	t.Helper()
	pc, err := s.refs.PathwayClock(context.Background(), s.clerk, pathwayID, crs.Date{})
	if err != nil {
		t.Fatalf("clock: %v", err)
	}
	c := pc.Clock
	if c.Running != running || !c.Start.Equal(start.Time) || c.StopStatus != stopStatus {
		t.Fatalf("clock = running %v since %s stop %s (%s), want running %v since %s stop %s\n%v",
			c.Running, c.Start.Format("2006-01-02"), c.StopStatus, c.StopReason, running, start, stopStatus, c.Decisions)
	}
	if pc.Pathway.ClockState == crs.ClockRunning != running || !pc.Pathway.ClockStart.Equal(start.Time) {
		t.Fatalf("stored clock = %s since %s, want running %v since %s", pc.Pathway.ClockState, pc.Pathway.ClockStart, running, start)
	}
}

func TestWholeJourney(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RJA", 1)
		pat := s.patients[0]
		received := crs.LocalDate(clock.Now()).AddDate(0, 0, -10)
		recv := crs.Date{Time: received}

		// 1. A GP referral starts the pathway and its clock (status 10).
		r := s.referral(t, pat, recv)
		if r.PathwayID == "" || r.PPI != "RJA0000000001" {
			t.Fatalf("referral pathway %q PPI %q, want a pathway with PPI RJA0000000001", r.PathwayID, r.PPI)
		}
		checkClock(t, s, r.PathwayID, true, recv, 0)
		row := ptlRow(t, s, r.PathwayID)
		if row == nil || row.Days != 10 || row.Weeks != 1 || row.NextEventKind != "" || !hasFlag(row, crs.FlagNoFutureActivity) {
			t.Fatalf("PTL row after referral = %+v, want 10 days, nothing booked, flagged no future activity", row)
		}
		wl, _ := s.refs.Worklist(ctx, s.clerk, crs.WorklistToBook, crs.WorklistFilter{})
		if len(wl) != 1 || wl[0].Referral.ID != r.ID {
			t.Fatalf("to-book worklist = %d items, want the referral", len(wl))
		}

		// 2. Booked into a new slot.
		slot := s.freeSlots(t, db, crs.SlotNew)[0]
		ap, err := s.op.BookAppointment(ctx, s.clerk, crs.Booking{ReferralID: r.ID, SlotID: slot.ID})
		if err != nil {
			t.Fatalf("book: %v", err)
		}
		row = ptlRow(t, s, r.PathwayID)
		if row.NextEventKind != "appointment" || !row.NextEventAt.Equal(slot.Start) || hasFlag(row, crs.FlagNoFutureActivity) {
			t.Fatalf("PTL row after booking = %+v, want next event the appointment at %s", row, slot.Start)
		}
		if wl, _ := s.refs.Worklist(ctx, s.clerk, crs.WorklistToBook, crs.WorklistFilter{}); len(wl) != 0 {
			t.Fatalf("to-book worklist has %d items after booking", len(wl))
		}

		// 3. Attended, outcome 20 with a decision to admit.
		clock.Set(slot.Start.Add(5 * time.Minute))
		if err := s.op.CheckIn(ctx, s.clerk, ap.ID, time.Time{}); err != nil {
			t.Fatalf("check in: %v", err)
		}
		if err := s.op.RecordAttendance(ctx, s.clerk, ap.ID, true, time.Time{}); err != nil {
			t.Fatalf("attended: %v", err)
		}
		if wl, _ := s.refs.Worklist(ctx, s.clerk, crs.WorklistToOutcome, crs.WorklistFilter{}); len(wl) != 1 {
			t.Fatalf("to-outcome worklist = %d, want 1", len(wl))
		}
		// Outcome 30 with a waiting list listing is refused: the clock must run.
		listing := &crs.WaitingListEntry{IntendedManagement: "2", ProcedureCode: "T20.1", Priority: "P3", ConsultantCode: "C1234567", ForTreatment: true}
		err = s.op.RecordOutcome(ctx, s.doctor, ap.ID, &crs.Outcome{RTTStatus: 30, NextStep: crs.NextWaitingList, Listing: listing})
		if crs.ErrorCode(err) != crs.EINVALID || crs.ErrorField(err) != "rtt_status" {
			t.Fatalf("outcome 30 to waiting list: err = %v, want EINVALID on rtt_status", err)
		}
		if err := s.op.RecordOutcome(ctx, s.doctor, ap.ID, &crs.Outcome{RTTStatus: 20, NextStep: crs.NextWaitingList, Listing: listing}); err != nil {
			t.Fatalf("outcome: %v", err)
		}
		checkClock(t, s, r.PathwayID, true, recv, 0)
		row = ptlRow(t, s, r.PathwayID)
		if row == nil || !row.Admitted || !hasFlag(row, crs.FlagNoFutureActivity) {
			t.Fatalf("PTL row after decision to admit = %+v, want an admitted pathway with nothing booked", row)
		}
		for _, w := range []crs.Worklist{crs.WorklistToBook, crs.WorklistToOutcome, crs.WorklistFollowUpDue} {
			if items, _ := s.refs.Worklist(ctx, s.clerk, w, crs.WorklistFilter{}); len(items) != 0 {
				t.Fatalf("worklist %s has %d items; the waiting list holds the referral", w, len(items))
			}
		}
		list, err := s.wl.FindWaitingList(ctx, s.clerk, crs.WaitingListFilter{})
		if err != nil || len(list) != 1 || list[0].ProcedureCode != "T201" {
			t.Fatalf("waiting list = %v, %v; want one entry for T201", list, err)
		}
		entry := list[0]

		// 4. A TCI offer: two dates with three weeks' notice is reasonable.
		today := crs.LocalDate(clock.Now())
		d1, d2 := crs.Date{Time: today.AddDate(0, 0, 22)}, crs.Date{Time: today.AddDate(0, 0, 29)}
		offer := &crs.TCIOffer{Dates: []crs.Date{d1, d2}}
		if err := s.wl.OfferTCI(ctx, s.clerk, entry.ID, offer); err != nil {
			t.Fatalf("offer: %v", err)
		}
		if !offer.Reasonable {
			t.Errorf("offer of %s and %s made %s is not reasonable", d1, d2, today)
		}
		if err := s.wl.RespondToTCI(ctx, s.clerk, offer.ID, crs.TCIResponse{Accept: true, Date: d2}); err != nil {
			t.Fatalf("accept: %v", err)
		}
		row = ptlRow(t, s, r.PathwayID)
		if row.NextEventKind != "tci" || !row.NextEventAt.Equal(d2.Time) {
			t.Fatalf("PTL next event = %s %s, want tci %s", row.NextEventKind, row.NextEventAt, d2)
		}

		// 5. Admitted for treatment on the TCI date: the clock stops (30).
		clock.Set(time.Date(d2.Year(), d2.Month(), d2.Day(), 8, 0, 0, 0, time.UTC))
		sp, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{EntryID: entry.ID, Method: "11", Source: "19", WardID: s.ward.ID, BedID: s.beds[0].ID})
		if err != nil {
			t.Fatalf("admit: %v", err)
		}
		if sp.PatientClass != "2" {
			t.Errorf("patient class = %s, want 2 (day case)", sp.PatientClass)
		}
		checkClock(t, s, r.PathwayID, false, recv, rtt.StatusFirstTreatment)
		if row := ptlRow(t, s, r.PathwayID); row != nil {
			t.Fatalf("pathway still on the PTL after treatment: %+v", row)
		}
		// The clock as of the day before admission was still running.
		pc, _ := s.refs.PathwayClock(ctx, s.clerk, r.PathwayID, crs.Date{Time: d2.AddDate(0, 0, -1)})
		if !pc.Clock.Running {
			t.Errorf("clock as of the day before admission is not running")
		}

		// 6. Discharged.
		clock.Advance(6 * time.Hour)
		if err := s.ip.Discharge(ctx, s.clerk, sp.ID, crs.Discharge{Method: "1", Destination: "19"}); err != nil {
			t.Fatalf("discharge: %v", err)
		}
		checkClock(t, s, r.PathwayID, false, recv, rtt.StatusFirstTreatment)
		ref, _ := s.refs.FindReferral(ctx, s.clerk, r.ID)
		if ref.Status != crs.ReferralClosed || ref.Worklist != "" {
			t.Errorf("referral after discharge = %s on %q, want closed", ref.Status, ref.Worklist)
		}
		hist, _ := store.NewPatientService(db).PatientHistory(ctx, s.clerk, pat.ID)
		var types []string
		for i := len(hist) - 1; i >= 0; i-- {
			types = append(types, hist[i].Type)
		}
		want := []string{crs.EventPatientRegistered, crs.EventReferralReceived, crs.EventAppointmentBooked, crs.EventAppointmentCheckedIn,
			crs.EventAppointmentAttended, crs.EventWaitingListAdded, crs.EventAppointmentOutcome, crs.EventTCIOffered, crs.EventTCIAgreed,
			crs.EventPreadmissionRecorded, crs.EventPreadmissionAdmitted, crs.EventSpellAdmitted, crs.EventSpellDischarged}
		if fmt.Sprint(types) != fmt.Sprint(want) {
			t.Errorf("history =\n%v\nwant\n%v", types, want)
		}
	})
}

func hasFlag(r *crs.PTLRow, f string) bool {
	for _, x := range r.Flags {
		if x == f {
			return true
		}
	}
	return false
}

// TestFindSlotsOfTreatmentFunction checks the free slots of a treatment
// function, as the booking page asks for them: those of its clinics
// alone, booked ones left out, in time order across the clinics.
func TestFindSlotsOfTreatmentFunction(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RFS", 1)
		admin := s.tr.Actor(crs.RoleAdmin)
		other := &crs.Clinic{Code: "GS-TUE", Name: "General surgery Tuesday", ConsultantCode: "C7654321", TreatmentFunction: "100", LocationID: s.clinic.LocationID,
			Sessions: []crs.ClinicSession{{Weekday: time.Tuesday, Start: "09:00", End: "11:00", SlotMinutes: 30, SlotType: crs.SlotNew}}}
		urology := &crs.Clinic{Code: "URO-TUE", Name: "Urology Tuesday", ConsultantCode: "C7654321", TreatmentFunction: "101", LocationID: s.clinic.LocationID,
			Sessions: []crs.ClinicSession{{Weekday: time.Tuesday, Start: "09:00", End: "11:00", SlotMinutes: 30, SlotType: crs.SlotNew}}}
		today := crs.LocalDate(db.Clock.Now())
		for _, c := range []*crs.Clinic{other, urology} {
			if err := s.op.CreateClinic(ctx, admin, c); err != nil {
				t.Fatal(err)
			}
			if _, err := s.op.GenerateSlots(ctx, s.clerk, c.ID, today, crs.Date{Time: today.AddDate(0, 0, 28)}); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.op.FindSlots(ctx, s.clerk, crs.SlotQuery{From: db.Clock.Now(), To: db.Clock.Now().AddDate(0, 0, 28), Limit: 5000})
		if err != nil {
			t.Fatal(err)
		}
		r := s.referral(t, s.patients[0], today)
		first := s.freeSlots(t, db, crs.SlotNew)[0]
		booked, err := s.op.BookAppointment(ctx, s.clerk, crs.Booking{ReferralID: r.ID, SlotID: first.ID})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, sl := range all {
			if sl.ClinicID != urology.ID && sl.ID != booked.SlotID {
				want = append(want, sl.ClinicCode+" "+sl.Start.Format(time.RFC3339))
			}
		}
		got, err := s.op.FindSlots(ctx, s.clerk, crs.SlotQuery{TreatmentFunction: "100", FreeOnly: true, From: db.Clock.Now(), To: db.Clock.Now().AddDate(0, 0, 28), Limit: 5000})
		if err != nil {
			t.Fatal(err)
		}
		var gotKeys []string
		for _, sl := range got {
			gotKeys = append(gotKeys, sl.ClinicCode+" "+sl.Start.Format(time.RFC3339))
		}
		if diff := cmp.Diff(want, gotKeys); diff != "" {
			t.Errorf("free slots of treatment function 100 (-want +got):\n%s", diff)
		}
	})
}
