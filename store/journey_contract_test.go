package store_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPTLAndWorklistsLeaveNoOneOff drives 200 referrals to random stages
// and checks that every running pathway is on the PTL exactly once and
// every open referral with nothing booked is on exactly one worklist.
func TestPTLAndWorklistsLeaveNoOneOff(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RKB", 40)
		rng := rand.New(rand.NewSource(7))
		newSlots := s.freeSlots(t, db, crs.SlotNew)
		newSlots = append(newSlots, s.freeSlots(t, db, crs.SlotUrgent)...)
		fuSlots := s.freeSlots(t, db, crs.SlotFollowUp)
		today := crs.LocalDate(clock.Now())
		var refs []*crs.Referral
		for i := 0; i < 200; i++ {
			refs = append(refs, s.referral(t, s.patients[i%len(s.patients)], crs.Date{Time: today.AddDate(0, 0, -rng.Intn(300))}))
		}
		// Book, attend, DNA and outcome at random; appointments are booked
		// as if in the past by moving the clock to the slot and back.
		for _, r := range refs {
			stage := rng.Intn(7)
			if stage == 0 || len(newSlots) == 0 {
				continue // stays on the to-book worklist
			}
			slot := newSlots[0]
			newSlots = newSlots[1:]
			ap, err := s.op.BookAppointment(ctx, s.clerk, crs.Booking{ReferralID: r.ID, SlotID: slot.ID})
			if err != nil {
				t.Fatalf("book: %v", err)
			}
			switch stage {
			case 1: // booked and waiting
				continue
			case 2: // cancelled by the hospital: back to booking
				if err := s.op.CancelAppointment(ctx, s.clerk, ap.ID, crs.Cancellation{By: crs.CancelledByHospital, Reason: "clinic cancelled"}); err != nil {
					t.Fatalf("cancel: %v", err)
				}
				continue
			}
			clock.Set(slot.Start.Add(10 * time.Minute))
			attended := stage != 3
			if err := s.op.RecordAttendance(ctx, s.clerk, ap.ID, attended, time.Time{}); err != nil {
				t.Fatalf("attendance: %v", err)
			}
			switch stage {
			case 4: // attended, not yet outcomed
			case 5: // follow-up due
				if err := s.op.RecordOutcome(ctx, s.doctor, ap.ID, &crs.Outcome{RTTStatus: 20, NextStep: crs.NextFollowUp, FollowUpWeeks: 6}); err != nil {
					t.Fatalf("outcome follow-up: %v", err)
				}
				if rng.Intn(2) == 0 && len(fuSlots) > 0 {
					if _, err := s.op.BookAppointment(ctx, s.clerk, crs.Booking{ReferralID: r.ID, SlotID: fuSlots[0].ID}); err != nil {
						t.Fatalf("book follow-up: %v", err)
					}
					fuSlots = fuSlots[1:]
				}
			case 6: // discharged, treated at the first appointment
				if err := s.op.RecordOutcome(ctx, s.doctor, ap.ID, &crs.Outcome{RTTStatus: 30, NextStep: crs.NextDischarge}); err != nil {
					t.Fatalf("outcome discharge: %v", err)
				}
			}
			clock.Set(storetest.Epoch)
		}
		// Every running pathway is on the PTL once, by paging.
		var running int
		db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM pathways WHERE org_id = $1 AND clock_state = 'running'`, s.tr.Org.ID).Scan(&running)
		seen := map[string]int{}
		cursor, pages := "", 0
		lastDays := 1 << 30
		for {
			page, err := s.refs.PTL(ctx, s.clerk, crs.PTLFilter{Limit: 17, Cursor: cursor})
			if err != nil {
				t.Fatalf("PTL: %v", err)
			}
			for _, r := range page.Rows {
				seen[r.PathwayID]++
				if r.Days > lastDays {
					t.Fatalf("PTL is not longest wait first: %d days after %d", r.Days, lastDays)
				}
				lastDays = r.Days
			}
			pages++
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		if len(seen) != running || running == 0 {
			t.Fatalf("PTL holds %d pathways, %d clocks run", len(seen), running)
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("pathway %s appears %d times on the PTL", id, n)
			}
		}
		// Every open referral with nothing booked is on exactly one worklist.
		on := map[string]crs.Worklist{}
		for _, w := range []crs.Worklist{crs.WorklistToBook, crs.WorklistToOutcome, crs.WorklistFollowUpDue} {
			items, err := s.refs.Worklist(ctx, s.clerk, w, crs.WorklistFilter{Limit: 5000})
			if err != nil {
				t.Fatalf("worklist: %v", err)
			}
			for _, it := range items {
				if prev, dup := on[it.Referral.ID]; dup {
					t.Fatalf("referral on both %s and %s", prev, w)
				}
				on[it.Referral.ID] = w
			}
		}
		for _, r := range refs {
			got, _ := s.refs.FindReferral(ctx, s.clerk, r.ID)
			var booked int
			db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM appointments WHERE referral_id = $1 AND status IN ('booked', 'checked_in')`, r.ID).Scan(&booked)
			_, listed := on[r.ID]
			switch {
			case got.Status == crs.ReferralClosed && listed:
				t.Fatalf("closed referral is on worklist %s", on[r.ID])
			case got.Status == crs.ReferralOpen && booked == 0 && !listed:
				t.Fatalf("open referral with nothing booked is on no worklist: %+v", got)
			case booked > 0 && listed:
				t.Fatalf("booked referral is still on worklist %s", on[r.ID])
			}
		}
		// The export streams the same rows as the pages.
		var buf bytes.Buffer
		if err := report.New(store.NewReportSource(db)).ExportPTL(ctx, s.clerk, &buf, crs.PTLFilter{}); err != nil {
			t.Fatalf("export: %v", err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(recs) != running+1 || recs[0][0] != "ppi" {
			t.Fatalf("export = %d records, %v; want header and %d rows", len(recs), err, running)
		}
		// Filters narrow it.
		page, _ := s.refs.PTL(ctx, s.clerk, crs.PTLFilter{Flag: crs.FlagNoFutureActivity, Limit: 1000})
		for _, r := range page.Rows {
			if !hasFlag(r, crs.FlagNoFutureActivity) {
				t.Fatalf("row %+v in the no-future-activity filter", r)
			}
		}
		page, _ = s.refs.PTL(ctx, s.clerk, crs.PTLFilter{Flag: crs.FlagOver18Weeks, Limit: 1000})
		for _, r := range page.Rows {
			if r.Days <= rtt.StandardDays {
				t.Fatalf("row of %d days in the over-18-weeks filter", r.Days)
			}
		}
		if page, _ := s.refs.PTL(ctx, s.clerk, crs.PTLFilter{TreatmentFunction: "101"}); len(page.Rows) != 0 {
			t.Fatalf("urology PTL has %d rows", len(page.Rows))
		}
	})
}

func TestNoOutOfSlotBooking(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RLC", 3)
		today := crs.Date{Time: crs.LocalDate(clock.Now()).AddDate(0, 0, -1)}
		r1, r2 := s.referral(t, s.patients[0], today), s.referral(t, s.patients[1], today)
		slot := s.freeSlots(t, db, crs.SlotNew)[0]
		if _, err := s.op.BookAppointment(ctx, s.clerk, crs.Booking{ReferralID: r1.ID, SlotID: slot.ID}); err != nil {
			t.Fatalf("book: %v", err)
		}
		_, err := s.op.BookAppointment(ctx, s.clerk, crs.Booking{ReferralID: r2.ID, SlotID: slot.ID})
		if crs.ErrorCode(err) != crs.ECONFLICT {
			t.Fatalf("double booking: err = %v, want ECONFLICT", err)
		}
		// Not even a command that writes the row directly can do it: the
		// unique index on live appointments per slot refuses it (on
		// PostgreSQL, where a clash of keys is answered as a conflict
		// naming the key, ECONFLICT naming the slot).
		err = db.Write(ctx, s.clerk, crs.ActManagePathways, func(tx crs.Tx) error {
			_, err := tx.(*store.Tx).Exec(`INSERT INTO appointments (id, org_id, patient_id, referral_id, pathway_id, slot_id, clinic_id, start_at, kind, status, live, booked_at)
				VALUES ($1, $2, $3, $4, '', $5, $6, '', 'new', 'booked', 1, '')`, crs.NewID(), s.tr.Org.ID, s.patients[1].ID, r2.ID, slot.ID, s.clinic.ID)
			return err
		})
		unique := err != nil && (strings.Contains(strings.ToLower(err.Error()), "unique") || strings.Contains(err.Error(), "23505"))
		named := crs.ErrorCode(err) == crs.ECONFLICT && strings.Contains(err.Error(), "slot "+slot.ID)
		if !unique && !named {
			t.Fatalf("direct insert into a booked slot: err = %v, want a unique violation", err)
		}
		// Without a slot there is nothing to book into.
		if _, err := s.op.BookAppointment(ctx, s.clerk, crs.Booking{ReferralID: r2.ID}); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Fatalf("booking without a slot: err = %v, want ENOTFOUND", err)
		}
		// A follow-up slot does not take a first appointment.
		fu := s.freeSlots(t, db, crs.SlotFollowUp)[0]
		if _, err := s.op.BookAppointment(ctx, s.clerk, crs.Booking{ReferralID: r2.ID, SlotID: fu.ID}); crs.ErrorCode(err) != crs.EINVALID {
			t.Fatalf("new appointment in follow-up slot: err = %v, want EINVALID", err)
		}
		// Rescheduling frees the first slot, which can then be booked.
		other := s.freeSlots(t, db, crs.SlotNew)[0]
		appts, _ := s.op.FindAppointments(ctx, s.clerk, r1.ID)
		if _, err := s.op.RescheduleAppointment(ctx, s.clerk, appts[0].ID, crs.Cancellation{By: crs.CancelledByPatient, Reason: "on holiday"}, other.ID); err != nil {
			t.Fatalf("reschedule: %v", err)
		}
		if _, err := s.op.BookAppointment(ctx, s.clerk, crs.Booking{ReferralID: r2.ID, SlotID: slot.ID}); err != nil {
			t.Fatalf("booking the freed slot: %v", err)
		}
		// A cancellation never stops the clock.
		checkClock(t, s, r1.PathwayID, true, today, 0)
		// Slot generation is idempotent.
		n, err := s.op.GenerateSlots(ctx, s.clerk, s.clinic.ID, crs.LocalDate(clock.Now()), crs.Date{Time: crs.LocalDate(clock.Now()).AddDate(0, 0, 56)})
		if err != nil || n != 0 {
			t.Fatalf("second generation added %d slots, %v; want 0", n, err)
		}
	})
}

func TestFirstAppointmentDNANullifies(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RMD", 1)
		recv := crs.Date{Time: crs.LocalDate(clock.Now()).AddDate(0, 0, -5)}
		r := s.referral(t, s.patients[0], recv)
		slot := s.freeSlots(t, db, crs.SlotNew)[0]
		ap, _ := s.op.BookAppointment(ctx, s.clerk, crs.Booking{ReferralID: r.ID, SlotID: slot.ID})
		clock.Set(slot.Start.Add(time.Hour))
		if err := s.op.RecordAttendance(ctx, s.clerk, ap.ID, false, time.Time{}); err != nil {
			t.Fatalf("DNA: %v", err)
		}
		pc, _ := s.refs.PathwayClock(ctx, s.clerk, r.PathwayID, crs.Date{})
		if pc.Clock.Running || !pc.Clock.Nullified || ptlRow(t, s, r.PathwayID) != nil {
			t.Fatalf("clock after first DNA = %+v, want nullified and off the PTL", pc.Clock)
		}
		if items, _ := s.refs.Worklist(ctx, s.clerk, crs.WorklistToOutcome, crs.WorklistFilter{}); len(items) != 1 {
			t.Fatalf("DNA is not on the to-outcome worklist")
		}
		// The clinician offers another appointment: a new clock from today.
		if err := s.op.RecordOutcome(ctx, s.doctor, ap.ID, &crs.Outcome{NextStep: crs.NextRebook}); err != nil {
			t.Fatalf("rebook outcome: %v", err)
		}
		checkClock(t, s, r.PathwayID, true, crs.LocalDate(clock.Now()), 0)
		if items, _ := s.refs.Worklist(ctx, s.clerk, crs.WorklistToBook, crs.WorklistFilter{}); len(items) != 1 {
			t.Fatalf("rebooked referral is not on the to-book worklist")
		}
	})
}

func TestJourneyTenancy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		a := newSite(t, db, "RNA", 1)
		b := newSite(t, db, "RNB", 1)
		r := a.referral(t, a.patients[0], crs.LocalDate(clock.Now()))
		slot := a.freeSlots(t, db, crs.SlotNew)[0]
		sp, err := a.ip.Admit(ctx, a.clerk, &crs.Admission{PatientID: a.patients[0].ID, Method: "21", Source: "19", WardID: a.ward.ID, BedID: a.beds[0].ID, ConsultantCode: "C1234567"})
		if err != nil {
			t.Fatalf("admit: %v", err)
		}
		other := b.clerk
		if _, err := b.refs.FindReferral(ctx, other, r.ID); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("other trust finds the referral: %v", err)
		}
		if _, err := b.refs.PathwayClock(ctx, other, r.PathwayID, crs.Date{}); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("other trust reads the clock: %v", err)
		}
		if _, err := b.op.BookAppointment(ctx, other, crs.Booking{ReferralID: r.ID, SlotID: slot.ID}); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("other trust books the referral: %v", err)
		}
		br := b.referral(t, b.patients[0], crs.LocalDate(clock.Now()))
		if _, err := b.op.BookAppointment(ctx, other, crs.Booking{ReferralID: br.ID, SlotID: slot.ID}); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("other trust books into this trust's slot: %v", err)
		}
		if err := b.ip.Discharge(ctx, other, sp.ID, crs.Discharge{Method: "1", Destination: "19"}); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("other trust discharges the patient: %v", err)
		}
		if _, err := b.ip.Admit(ctx, other, &crs.Admission{PatientID: b.patients[0].ID, Method: "21", Source: "19", WardID: a.ward.ID, ConsultantCode: "C1234567"}); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("other trust admits to this trust's ward: %v", err)
		}
		if err := b.refs.CloseReferral(ctx, other, r.ID, crs.ReferralClosure{Reason: "x"}); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("other trust closes the referral: %v", err)
		}
		page, _ := b.refs.PTL(ctx, other, crs.PTLFilter{})
		for _, row := range page.Rows {
			if row.PathwayID == r.PathwayID {
				t.Errorf("other trust's PTL shows the pathway")
			}
		}
		board, _ := b.ip.BedBoard(ctx, other)
		picker, _ := b.ip.WardBeds(ctx, other)
		for _, w := range append(board, picker...) {
			if w.Occupied != 0 {
				t.Errorf("other trust's bed board shows a patient on %s", w.WardCode)
			}
		}
		for _, w := range []crs.Worklist{crs.WorklistToBook} {
			items, _ := b.refs.Worklist(ctx, other, w, crs.WorklistFilter{})
			for _, it := range items {
				if it.Referral.ID == r.ID {
					t.Errorf("other trust's worklist shows the referral")
				}
			}
		}
		// A role without the activity is refused.
		if err := a.refs.RecordReferral(ctx, a.tr.Actor(crs.RoleAnalyst), &crs.Referral{}); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("analyst records a referral: %v", err)
		}
	})
}

func TestInpatientContract(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RPE", 3)
		p0, p1 := s.patients[0], s.patients[1]
		admit := func(p *crs.Patient, bed *crs.Location, at time.Time) (*crs.Spell, error) {
			return s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: p.ID, Method: "21", Source: "19", WardID: s.ward.ID, BedID: bed.ID, ConsultantCode: "C1111111", At: at})
		}
		night := crs.LocalDate(clock.Now()).AddDate(0, 0, -2)
		sp0, err := admit(p0, s.beds[0], time.Date(night.Year(), night.Month(), night.Day(), 14, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatalf("admit: %v", err)
		}
		if _, err := admit(p1, s.beds[0], time.Time{}); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Fatalf("admit to an occupied bed: err = %v, want ECONFLICT", err)
		}
		sp1, err := admit(p1, s.beds[1], time.Time{})
		if err != nil {
			t.Fatalf("admit: %v", err)
		}
		if _, err := admit(p1, s.beds[2], time.Time{}); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Fatalf("second admission of an inpatient: err = %v, want ECONFLICT", err)
		}
		if err := s.ip.Transfer(ctx, s.clerk, sp1.ID, crs.Transfer{WardID: s.ward.ID, BedID: s.beds[0].ID}); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Fatalf("transfer into an occupied bed: err = %v, want ECONFLICT", err)
		}
		// Transfer p0 to the bay bed of ward 2 (a bed in a bay is on the ward).
		if err := s.ip.Transfer(ctx, s.clerk, sp0.ID, crs.Transfer{WardID: s.ward2.ID, BedID: s.beds[4].ID}); err != nil {
			t.Fatalf("transfer: %v", err)
		}
		evs, _ := store.FindEvents(ctx, db.Reader(), s.tr.Org.ID, "type = $2", crs.EventSpellTransferred)
		if len(evs) != 1 || !strings.Contains(string(evs[0].Data), `"prior_ward_code":"WD1"`) || !strings.Contains(string(evs[0].Data), `"ward_code":"WD2"`) {
			t.Fatalf("transfer event = %v, want prior ward WD1 and ward WD2", evs)
		}
		// Now bed 1 is free for p1.
		if err := s.ip.Transfer(ctx, s.clerk, sp1.ID, crs.Transfer{WardID: s.ward.ID, BedID: s.beds[0].ID}); err != nil {
			t.Fatalf("transfer into the freed bed: %v", err)
		}
		if err := s.ip.CancelTransfer(ctx, s.clerk, sp1.ID, "wrong patient moved"); err != nil {
			t.Fatalf("cancel transfer: %v", err)
		}
		sp, _ := s.ip.FindSpell(ctx, s.clerk, sp1.ID)
		if sp.BedID != s.beds[1].ID || len(sp.Stays) != 1 || !sp.Stays[0].End.IsZero() {
			t.Fatalf("after cancelling the transfer the spell is in bed %s with %d stays", sp.BedID, len(sp.Stays))
		}
		if err := s.ip.ChangeConsultant(ctx, s.doctor, sp1.ID, "C2222222", "300", time.Time{}); err != nil {
			t.Fatalf("change consultant: %v", err)
		}
		if sp, _ := s.ip.FindSpell(ctx, s.clerk, sp1.ID); len(sp.Episodes) != 2 || sp.Episodes[1].ConsultantCode != "C2222222" {
			t.Fatalf("episodes = %d, want 2", len(sp.Episodes))
		}
		if err := s.ip.StartLeave(ctx, s.clerk, sp1.ID, time.Time{}); err != nil {
			t.Fatalf("leave: %v", err)
		}
		if err := s.ip.EndLeave(ctx, s.clerk, sp1.ID, time.Time{}); err != nil {
			t.Fatalf("return: %v", err)
		}
		if err := s.ip.SetExpectedDischarge(ctx, s.clerk, sp1.ID, crs.Date{Time: crs.LocalDate(clock.Now()).AddDate(0, 0, 3)}); err != nil {
			t.Fatalf("expected discharge: %v", err)
		}
		// Bed board.
		board, err := s.ip.BedBoard(ctx, s.clerk)
		if err != nil || len(board) != 2 {
			t.Fatalf("bed board: %d wards, %v", len(board), err)
		}
		if board[0].WardCode != "WD1" || board[0].Occupied != 1 || len(board[0].Beds) != 4 || board[0].Beds[1].SpellID != sp1.ID || board[0].Beds[1].ExpectedDischarge.IsZero() {
			t.Fatalf("ward 1 on the board = %+v", board[0])
		}
		if board[1].Occupied != 1 || board[1].Beds[0].SpellID != sp0.ID {
			t.Fatalf("ward 2 on the board = %+v", board[1])
		}
		// The ward and bed pickers' beds are the board's without the patients.
		picker, err := s.ip.WardBeds(ctx, s.clerk)
		if err != nil {
			t.Fatalf("ward beds: %v", err)
		}
		noPatients := func(bs []*crs.BedBoardBed) []*crs.BedBoardBed {
			var out []*crs.BedBoardBed
			for _, b := range bs {
				out = append(out, &crs.BedBoardBed{BedID: b.BedID, BedCode: b.BedCode, Status: b.Status, SpellID: b.SpellID, BayID: b.BayID, BayCode: b.BayCode})
			}
			return out
		}
		var want []*crs.BedBoardWard
		for _, w := range board {
			want = append(want, &crs.BedBoardWard{WardID: w.WardID, WardCode: w.WardCode, WardName: w.WardName, Occupied: w.Occupied,
				Beds: noPatients(w.Beds), Unbedded: noPatients(w.Unbedded), SiteID: w.SiteID, SiteName: w.SiteName})
		}
		if diff := cmp.Diff(want, picker); diff != "" {
			t.Errorf("ward beds (-want +got):\n%s", diff)
		}
		// Discharge, cancel it, discharge again.
		if err := s.ip.Discharge(ctx, s.clerk, sp1.ID, crs.Discharge{Method: "1", Destination: "19"}); err != nil {
			t.Fatalf("discharge: %v", err)
		}
		if err := s.ip.CancelDischarge(ctx, s.clerk, sp1.ID, "still here"); err != nil {
			t.Fatalf("cancel discharge: %v", err)
		}
		if _, err := admit(p0, s.beds[1], time.Time{}); crs.ErrorCode(err) == "" {
			t.Fatalf("bed 2 taken again after the discharge was cancelled")
		}
		if err := s.ip.Discharge(ctx, s.clerk, sp1.ID, crs.Discharge{Method: "4", Destination: "19"}); crs.ErrorCode(err) != crs.EINVALID {
			t.Fatalf("died to usual residence: err = %v, want EINVALID", err)
		}
		// Cancel an admission frees the bed.
		sp2, err := admit(s.patients[2], s.beds[2], time.Time{})
		if err != nil {
			t.Fatalf("admit: %v", err)
		}
		if err := s.ip.CancelAdmission(ctx, s.clerk, sp2.ID, "wrong patient"); err != nil {
			t.Fatalf("cancel admission: %v", err)
		}
		if _, err := admit(p1, s.beds[2], time.Time{}); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Fatalf("p1 is still an inpatient, want ECONFLICT: %v", err)
		}
		// Midnight census of two nights ago: p0 admitted that afternoon was in a bed.
		cw, err := s.ip.RecordCensus(ctx, s.clerk, crs.Date{Time: night})
		if err != nil {
			t.Fatalf("census: %v", err)
		}
		total := 0
		for _, c := range cw {
			total += c.Occupied
		}
		if total != 1 || cw[0].WardCode != "WD1" || cw[0].Occupied != 1 {
			t.Fatalf("census of %s = %+v, want p0 on WD1", night.Format("2006-01-02"), cw)
		}
		again, _ := s.ip.RecordCensus(ctx, s.clerk, crs.Date{Time: night})
		var n int
		db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM census WHERE org_id = $1`, s.tr.Org.ID).Scan(&n)
		if n != 1 || again[0].Occupied != 1 {
			t.Fatalf("census taken twice holds %d rows, want 1", n)
		}
		if _, err := s.ip.RecordCensus(ctx, s.clerk, crs.LocalDate(clock.Now())); crs.ErrorCode(err) != crs.EINVALID {
			t.Fatalf("census of tonight before midnight: err = %v, want EINVALID", err)
		}
	})
}

func TestEDTrackingBoard(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RQF", 2)
		nurse := s.tr.Actor(crs.RoleNurse)
		if err := s.ed.Arrive(ctx, nurse, &crs.EDAttendance{PatientID: s.patients[0].ID, ArrivalMode: "1048031000000100"}); crs.ErrorCode(err) != crs.EINVALID {
			t.Fatalf("arrival without attendance category: err = %v, want EINVALID", err)
		}
		e := &crs.EDAttendance{PatientID: s.patients[0].ID, ArrivalMode: "1048031000000100", AttendanceCategory: "1", Complaint: "chest pain",
			ChiefComplaint: "29857009", ArrivedAt: clock.Now().Add(-5 * time.Hour)}
		if err := s.ed.Arrive(ctx, nurse, e); err != nil {
			t.Fatalf("arrive: %v", err)
		}
		if err := s.ed.Arrive(ctx, nurse, &crs.EDAttendance{PatientID: s.patients[0].ID, ArrivalMode: "1048071000000103", AttendanceCategory: "1"}); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Fatalf("second arrival: err = %v, want ECONFLICT", err)
		}
		e2 := &crs.EDAttendance{PatientID: s.patients[1].ID, ArrivalMode: "1048071000000103", AttendanceCategory: "2", ArrivedAt: clock.Now().Add(-30 * time.Minute)}
		if err := s.ed.Arrive(ctx, nurse, e2); err != nil {
			t.Fatalf("arrive: %v", err)
		}
		// Triage, seen and the decision to admit are clinical writes: a
		// nurse not assigned to the department has no relationship with
		// the patient, is refused and the refusal audited; assigned, she
		// is related to everyone in the department.
		if err := s.ed.Triage(ctx, nurse, e.ID, 2, clock.Now().Add(-290*time.Minute)); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Fatalf("triage with no relationship: err = %v, want EFORBIDDEN", err)
		}
		if err := s.ed.DecideToAdmit(ctx, s.doctor, e.ID, "300", clock.Now().Add(-3*time.Hour)); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Fatalf("decision to admit with no relationship: err = %v, want EFORBIDDEN", err)
		}
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		recs, err := store.NewAuditService(db).PatientAccess(ctx, s.tr.Actor(crs.RolePrivacyOfficer), e.PatientID)
		if err != nil {
			t.Fatal(err)
		}
		refused := 0
		for _, r := range recs {
			if r.Action == crs.AuditRefused && (r.UserID == nurse.UserID || r.UserID == s.doctor.UserID) {
				refused++
			}
		}
		if refused != 2 {
			t.Fatalf("%d refusals audited, want the triage's and the decision's", refused)
		}
		s.tr.AssignToED(t, db, nurse, s.doctor)
		if err := s.ed.Triage(ctx, nurse, e.ID, 2, clock.Now().Add(-290*time.Minute)); err != nil {
			t.Fatalf("triage: %v", err)
		}
		if err := s.ed.Triage(ctx, nurse, e.ID, 7, time.Time{}); crs.ErrorCode(err) != crs.EINVALID {
			t.Fatalf("triage 7: %v", err)
		}
		s.ed.Move(ctx, nurse, e.ID, "MAJ-4")
		s.ed.RecordSeen(ctx, s.doctor, e.ID, "Dr Patel", clock.Now().Add(-4*time.Hour))
		if err := s.ed.DecideToAdmit(ctx, s.doctor, e.ID, "300", clock.Now().Add(-13*time.Hour)); crs.ErrorCode(err) != crs.EINVALID {
			t.Fatalf("decision before arrival: err = %v, want EINVALID", err)
		}
		if err := s.ed.DecideToAdmit(ctx, s.doctor, e.ID, "300", clock.Now().Add(-3*time.Hour)); err != nil {
			t.Fatalf("decide to admit: %v", err)
		}
		board, err := s.ed.TrackingBoard(ctx, nurse)
		if err != nil || len(board) != 2 {
			t.Fatalf("board: %d, %v", len(board), err)
		}
		if r := board[0]; r.Attendance.ID != e.ID || !r.Warn || !r.Breach4 || r.Breach12 || r.Attendance.Location != "MAJ-4" {
			t.Fatalf("first row = %+v, want 5 hours: breached 4 hours, not 12 from DTA", r)
		}
		if r := board[1]; r.Warn || r.Breach4 {
			t.Fatalf("second row = %+v, want no breach", r)
		}
		clock.Advance(10 * time.Hour)
		board, _ = s.ed.TrackingBoard(ctx, nurse)
		if !board[0].Breach12 {
			t.Fatalf("13 hours after the decision to admit: no 12-hour breach")
		}
		// Admitted from A&E: the attendance departs as admitted.
		sp, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: s.patients[0].ID, EDAttendanceID: e.ID, Method: "21", Source: "19", WardID: s.ward.ID, BedID: s.beds[0].ID, ConsultantCode: "C1111111"})
		if err != nil {
			t.Fatalf("admit from A&E: %v", err)
		}
		got, _ := s.ed.FindAttendance(ctx, nurse, e.ID)
		if got.Status != crs.EDDeparted || got.Departure != crs.EDAdmitted || got.SpellID != sp.ID {
			t.Fatalf("attendance after admission = %+v", got)
		}
		if err := s.ed.Depart(ctx, nurse, e2.ID, crs.EDDeparture{Kind: crs.EDDischarged, Destination: "306689006"}); crs.ErrorCode(err) != crs.EINVALID {
			t.Fatalf("depart without discharge status: err = %v, want EINVALID", err)
		}
		if err := s.ed.Depart(ctx, nurse, e2.ID, crs.EDDeparture{Kind: crs.EDDischarged, Status: "182992009", Destination: "306689006"}); err != nil {
			t.Fatalf("depart: %v", err)
		}
		if err := s.ed.RecordECDS(ctx, nurse, e.ID, crs.ECDSDetails{DischargeStatus: "182992009", DischargeDestination: "306706006"}); err != nil {
			t.Fatalf("ECDS after admission: %v", err)
		}
		if err := s.ed.RecordECDS(ctx, nurse, e.ID, crs.ECDSDetails{ChiefComplaint: "1"}); crs.ErrorCode(err) != crs.EINVALID {
			t.Fatalf("ECDS with a bad chief complaint: err = %v, want EINVALID", err)
		}
		got, _ = s.ed.FindAttendance(ctx, nurse, e.ID)
		want := crs.EDAttendance{AttendanceCategory: "1", ChiefComplaint: "29857009", Acuity: "1064911000000105", DischargeStatus: "182992009", DischargeDestination: "306706006"}
		if g := (crs.EDAttendance{AttendanceCategory: got.AttendanceCategory, ChiefComplaint: got.ChiefComplaint, Acuity: got.Acuity,
			DischargeStatus: got.DischargeStatus, DischargeDestination: got.DischargeDestination}); g != want {
			t.Fatalf("ECDS items = %+v, want %+v", g, want)
		}
		if board, _ := s.ed.TrackingBoard(ctx, nurse); len(board) != 0 {
			t.Fatalf("board after departures has %d patients", len(board))
		}
	})
}

func TestWaitingListOffersAndRemoval(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RSG", 1)
		r := s.referral(t, s.patients[0], crs.Date{Time: crs.LocalDate(clock.Now()).AddDate(0, 0, -40)})
		e := &crs.WaitingListEntry{ReferralID: r.ID, DecidedOn: crs.LocalDate(clock.Now()), IntendedManagement: "1", ProcedureCode: "W401", Priority: "P4", ConsultantCode: "C1234567", ForTreatment: true}
		bad := *e
		bad.ProcedureCode = "KNEE"
		if err := s.wl.AddToWaitingList(ctx, s.clerk, &bad); crs.ErrorField(err) != "procedure" && crs.FieldErrors(err)["procedure"] == "" {
			t.Fatalf("OPCS KNEE: err = %v, want a procedure field error", err)
		}
		if err := s.wl.AddToWaitingList(ctx, s.clerk, e); err != nil {
			t.Fatalf("add: %v", err)
		}
		today := crs.LocalDate(clock.Now())
		short := &crs.TCIOffer{Dates: []crs.Date{{Time: today.AddDate(0, 0, 7)}, {Time: today.AddDate(0, 0, 30)}}}
		if err := s.wl.OfferTCI(ctx, s.clerk, e.ID, short); err != nil || short.Reasonable {
			t.Fatalf("offer with a week's notice: reasonable %v, %v", short.Reasonable, err)
		}
		if err := s.wl.RespondToTCI(ctx, s.clerk, short.ID, crs.TCIResponse{Accept: false}); err != nil {
			t.Fatalf("decline: %v", err)
		}
		for i := 0; i < 2; i++ {
			o := &crs.TCIOffer{Dates: []crs.Date{{Time: today.AddDate(0, 0, 21+i)}, {Time: today.AddDate(0, 0, 28+i)}}}
			if err := s.wl.OfferTCI(ctx, s.clerk, e.ID, o); err != nil || !o.Reasonable {
				t.Fatalf("reasonable offer: %v %v", o.Reasonable, err)
			}
			if err := s.wl.RespondToTCI(ctx, s.clerk, o.ID, crs.TCIResponse{Accept: false, Note: "busy"}); err != nil {
				t.Fatalf("decline: %v", err)
			}
		}
		got, _ := s.wl.FindWaitingListEntry(ctx, s.clerk, e.ID)
		if got.DeclinedReasonable != 2 || len(got.Offers) != 3 {
			t.Fatalf("entry = %d reasonable declines, %d offers; want 2 and 3", got.DeclinedReasonable, len(got.Offers))
		}
		// A suspension does not pause the clock.
		if err := s.wl.Suspend(ctx, s.clerk, e.ID, crs.Date{Time: today.AddDate(0, 1, 0)}, "carer's holiday"); err != nil {
			t.Fatalf("suspend: %v", err)
		}
		checkClock(t, s, r.PathwayID, true, r.ReceivedOn, 0)
		if err := s.wl.Resume(ctx, s.clerk, e.ID); err != nil {
			t.Fatalf("resume: %v", err)
		}
		// Removal after the patient declined treatment stops the clock (35).
		if err := s.wl.RemoveFromWaitingList(ctx, s.clerk, e.ID, crs.Removal{Reason: "4", RTTStatus: 35, Note: "declined surgery"}); err != nil {
			t.Fatalf("remove: %v", err)
		}
		checkClock(t, s, r.PathwayID, false, r.ReceivedOn, rtt.StatusDeclinedTreatment)
		if ref, _ := s.refs.FindReferral(ctx, s.clerk, r.ID); ref.Status != crs.ReferralClosed {
			t.Fatalf("referral after removal is %s, want closed", ref.Status)
		}
	})
}

func TestSeedJourney(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RTH", 30)
		sys := s.tr.System
		if err := demo.SeedJourney(ctx, storetest.Journey(db), sys, demo.JourneyOptions{Referrals: 150, EDPatients: 6, Occupancy: 1}); err != nil {
			t.Fatalf("seed: %v", err)
		}
		counts := map[string]int{}
		for _, table := range []string{"referrals", "appointments", "waiting_list_entries", "tci_offers", "spells", "ed_attendances"} {
			counts[table] = count(t, db, table, s.tr.Org.ID)
			if counts[table] == 0 {
				t.Errorf("seed made no %s", table)
			}
		}
		page, _ := s.refs.PTL(ctx, s.clerk, crs.PTLFilter{Limit: 1000})
		if len(page.Rows) < 50 {
			t.Errorf("PTL after seeding has %d rows", len(page.Rows))
		}
		board, _ := s.ip.BedBoard(ctx, s.clerk)
		occupied := 0
		for _, w := range board {
			occupied += w.Occupied
		}
		if occupied != len(s.beds) {
			t.Errorf("occupied beds = %d, want all %d at occupancy 1", occupied, len(s.beds))
		}
		if tb, _ := s.ed.TrackingBoard(ctx, s.clerk); len(tb) == 0 {
			t.Errorf("no one in A&E after seeding")
		}
		// Bulk: open pathways in batched commands.
		before := count(t, db, "pathways", s.tr.Org.ID)
		if err := demo.SeedJourney(ctx, storetest.Journey(db), sys, demo.JourneyOptions{BulkPathways: 1200, BatchSize: 250, Workers: 4}); err != nil {
			t.Fatalf("bulk seed: %v", err)
		}
		if n := count(t, db, "pathways", s.tr.Org.ID); n != before+1200 {
			t.Fatalf("pathways after bulk = %d, want %d", n, before+1200)
		}
		t.Logf("seeded %v", counts)
	})
}

// TestSeedJourneyRepeats seeds two trusts made alike with the same seed:
// each table comes out with as many rows in both, however the seed's
// workers happen to be scheduled, so what a seed makes can be relied on.
func TestSeedJourneyRepeats(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		var got [2]map[string]int
		for i, ods := range []string{"RTJ", "RTK"} {
			s := newSite(t, db, ods, 30)
			if err := demo.SeedJourney(ctx, storetest.Journey(db), s.tr.System, demo.JourneyOptions{Referrals: 150, EDPatients: 6, Occupancy: 1}); err != nil {
				t.Fatalf("seed %s: %v", ods, err)
			}
			got[i] = map[string]int{}
			for _, table := range []string{"referrals", "pathways", "rtt_events", "appointments", "waiting_list_entries", "tci_offers", "spells", "ed_attendances"} {
				got[i][table] = count(t, db, table, s.tr.Org.ID)
			}
		}
		if diff := cmp.Diff(got[0], got[1]); diff != "" {
			t.Errorf("rows made by the same seed differ (-first +second):\n%s", diff)
		}
	})
}

// TestCloseReferral closes referrals: a closure dated in the future or
// with a status that keeps the clock running is refused beside its field
// and changes nothing; one with 34 stops the clock on its date.
func TestCloseReferral(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RCL", 1)
		today := crs.LocalDate(clock.Now())
		r := s.referral(t, s.patients[0], crs.Date{Time: today.AddDate(0, 0, -20)})
		for _, tc := range []struct {
			name  string
			c     crs.ReferralClosure
			field string
		}{
			{"tomorrow", crs.ReferralClosure{On: crs.Date{Time: today.AddDate(0, 0, 1)}, Reason: "x"}, "closed_on"},
			{"no reason", crs.ReferralClosure{RTTStatus: 34}, "reason"},
			{"clock keeps running", crs.ReferralClosure{Reason: "x", RTTStatus: 20}, "rtt_status"},
		} {
			if err := s.refs.CloseReferral(ctx, s.clerk, r.ID, tc.c); crs.ErrorCode(err) != crs.EINVALID || crs.FieldErrors(err)[tc.field] == "" {
				t.Errorf("close %s: err = %v, want EINVALID on %s", tc.name, err, tc.field)
			}
		}
		if got, _ := s.refs.FindReferral(ctx, s.clerk, r.ID); got.Status != crs.ReferralOpen {
			t.Fatalf("after refused closures the referral is %s", got.Status)
		}
		on := crs.Date{Time: today.AddDate(0, 0, -1)}
		if err := s.refs.CloseReferral(ctx, s.clerk, r.ID, crs.ReferralClosure{On: on, Reason: "Returned to the GP", RTTStatus: 34}); err != nil {
			t.Fatalf("close: %v", err)
		}
		got, _ := s.refs.FindReferral(ctx, s.clerk, r.ID)
		if got.Status != crs.ReferralClosed || !got.ClosedOn.Equal(on.Time) || got.ClosedReason != "Returned to the GP" || got.Worklist != "" {
			t.Errorf("closed referral = %s on %s (%q) worklist %q", got.Status, got.ClosedOn, got.ClosedReason, got.Worklist)
		}
		checkClock(t, s, r.PathwayID, false, r.ReceivedOn, rtt.StatusDecisionNotToTreat)
		if err := s.refs.CloseReferral(ctx, s.clerk, r.ID, crs.ReferralClosure{Reason: "again"}); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("close again: err = %v, want ECONFLICT", err)
		}
	})
}
