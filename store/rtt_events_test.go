package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// listed refers a patient received days ago (the clock start it
// returns) and puts them on the waiting list for a treatment.
func (s *site) listed(t *testing.T, clock *crs.FixedClock, p *crs.Patient, days int) (*crs.Referral, *crs.WaitingListEntry, crs.Date) {
	t.Helper()
	today := crs.LocalDate(clock.Now())
	r := s.referral(t, p, crs.Date{Time: today.AddDate(0, 0, -days)})
	e := &crs.WaitingListEntry{ReferralID: r.ID, DecidedOn: crs.Date{Time: today.AddDate(0, 0, -days+7)}, IntendedManagement: "1", ProcedureCode: "W401",
		Priority: "P4", ConsultantCode: "C1234567", ForTreatment: true}
	if err := s.wl.AddToWaitingList(context.Background(), s.clerk, e); err != nil {
		t.Fatalf("add to waiting list: %v", err)
	}
	return r, e, r.ReceivedOn
}

func (s *site) admit(t *testing.T, entryID string, forTreatment bool, bed int) *crs.Spell {
	t.Helper()
	sp, err := s.ip.Admit(context.Background(), s.clerk, &crs.Admission{EntryID: entryID, Method: "11", Source: "19", WardID: s.ward.ID,
		BedID: s.beds[bed].ID, ForTreatment: &forTreatment})
	if err != nil {
		t.Fatalf("admit: %v", err)
	}
	return sp
}

func TestProcedureNotCarriedOut(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RNC", 1)
		r, e, start := s.listed(t, clock, s.patients[0], 60)
		sp := s.admit(t, e.ID, true, 0)
		checkClock(t, s, r.PathwayID, false, start, rtt.StatusFirstTreatment)

		if err := s.ip.ProcedureNotCarriedOut(ctx, s.clerk, sp.ID, crs.ProcedureNotDone{}); crs.FieldErrors(err)["not_done_reason"] == "" {
			t.Fatalf("no reason: err = %v, want a not_done_reason field error", err)
		}
		if err := s.ip.ProcedureNotCarriedOut(ctx, s.clerk, sp.ID, crs.ProcedureNotDone{Reason: crs.NotDoneOther}); crs.FieldErrors(err)["not_done_note"] == "" {
			t.Fatalf("other with no note: err = %v, want a not_done_note field error", err)
		}
		if err := s.ip.ProcedureNotCarriedOut(ctx, s.clerk, sp.ID, crs.ProcedureNotDone{Reason: crs.NotDoneHospital, Note: "no theatre time"}); err != nil {
			t.Fatalf("procedure not carried out: %v", err)
		}
		// s4.3.2.3: the clock runs on from the referral, the spell stays.
		checkClock(t, s, r.PathwayID, true, start, 0)
		got, err := s.ip.FindSpell(ctx, s.clerk, sp.ID)
		if err != nil || got.ForTreatment || got.NotDoneReason != crs.NotDoneHospital || got.NotDoneNote != "no theatre time" || got.Status != crs.SpellAdmitted {
			t.Fatalf("spell = %+v, %v; want admitted, not for treatment, reason hospital", got, err)
		}
		entry, err := s.wl.FindWaitingListEntry(ctx, s.clerk, e.ID)
		if err != nil || entry.Status != crs.ListWaiting || !entry.DecidedOn.Equal(e.DecidedOn.Time) || !entry.TCIDate.IsZero() {
			t.Fatalf("entry = %s decided %s TCI %s, %v; want waiting, decided %s, no TCI", entry.Status, entry.DecidedOn, entry.TCIDate, err, e.DecidedOn)
		}
		if row := ptlRow(t, s, r.PathwayID); row == nil || !row.Admitted || row.Days != 60 {
			t.Fatalf("PTL row = %+v, want an admitted pathway waiting 60 days", row)
		}
		if err := s.ip.ProcedureNotCarriedOut(ctx, s.clerk, sp.ID, crs.ProcedureNotDone{Reason: crs.NotDoneUnfit}); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Fatalf("twice: err = %v, want ECONFLICT", err)
		}
		// Cancelled as entered in error, the admission leaves no RTT event.
		if err := s.ip.CancelAdmission(ctx, s.clerk, sp.ID, "wrong patient"); err != nil {
			t.Fatalf("cancel admission: %v", err)
		}
		pc, err := s.refs.PathwayClock(ctx, s.clerk, r.PathwayID, crs.Date{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range pc.Events {
			if ev.Ref == sp.ID {
				t.Errorf("event %s of the cancelled admission is still on the pathway", ev.Kind)
			}
		}
		sp = s.admit(t, e.ID, true, 0)
		if err := s.ip.ProcedureNotCarriedOut(ctx, s.clerk, sp.ID, crs.ProcedureNotDone{Reason: crs.NotDoneHospital}); err != nil {
			t.Fatalf("procedure not carried out at the second admission: %v", err)
		}

		// Sent home; readmitted a week later from the same entry, the
		// procedure done: the clock stops at the second admission.
		if err := s.ip.Discharge(ctx, s.clerk, sp.ID, crs.Discharge{Method: "1", Destination: "19"}); err != nil {
			t.Fatalf("discharge: %v", err)
		}
		clock.Advance(7 * 24 * time.Hour)
		s.admit(t, e.ID, true, 1)
		pc, err = s.refs.PathwayClock(ctx, s.clerk, r.PathwayID, crs.Date{})
		if err != nil || pc.Clock.Running || pc.Clock.Days != 67 || len(pc.Periods) != 1 {
			t.Fatalf("clock after readmission = %+v, %v; want stopped after 67 days in one period", pc.Clock, err)
		}
	})
}

func TestDiagnosticAdmissionFromWaitingList(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RDX", 1)
		r, e, start := s.listed(t, clock, s.patients[0], 30)
		sp := s.admit(t, e.ID, false, 0)
		if sp.ForTreatment {
			t.Fatalf("spell for treatment, want diagnostics only")
		}
		checkClock(t, s, r.PathwayID, true, start, 0)
		entry, err := s.wl.FindWaitingListEntry(ctx, s.clerk, e.ID)
		if err != nil || entry.Status != crs.ListWaiting {
			t.Fatalf("entry listed for treatment = %s, %v; want still waiting after a diagnostic admission", entry.Status, err)
		}
		if err := s.ip.ProcedureNotCarriedOut(ctx, s.clerk, sp.ID, crs.ProcedureNotDone{Reason: crs.NotDoneUnfit}); crs.FieldErrors(err)["not_done_reason"] == "" {
			t.Fatalf("not done on a diagnostic admission: err = %v, want a field error", err)
		}
	})
}

func TestDischargeAfterDNA(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RDN", 3)
		today := crs.LocalDate(clock.Now())
		ago := func(n int) crs.Date { return crs.Date{Time: today.AddDate(0, 0, -n)} }
		r := s.referral(t, s.patients[0], ago(70))
		if err := s.refs.RecordPathwayEvent(ctx, s.clerk, r.PathwayID, crs.PathwayEvent{Date: ago(40), Kind: rtt.KindAttended, Status: rtt.StatusSubsequentActivity}); err != nil {
			t.Fatalf("attended: %v", err)
		}
		discharge := crs.PathwayEvent{Date: ago(7), Kind: rtt.KindDischargedToGP, Status: rtt.StatusDecisionNotToTreat, DNADate: ago(14)}
		if err := s.refs.RecordPathwayEvent(ctx, s.clerk, r.PathwayID, discharge); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Fatalf("clerk records a discharge: err = %v, want EFORBIDDEN (a clinical decision)", err)
		}
		late := discharge
		late.DNADate = ago(3)
		if err := s.refs.RecordPathwayEvent(ctx, s.doctor, r.PathwayID, late); crs.FieldErrors(err)["dna_date"] == "" {
			t.Fatalf("DNA after the decision: err = %v, want a dna_date field error", err)
		}
		if err := s.refs.RecordPathwayEvent(ctx, s.doctor, r.PathwayID, discharge); err != nil {
			t.Fatalf("discharge after DNA: %v", err)
		}
		// Rule 5f, s4.4.1.3: the clock stops on the decision, not the DNA.
		pc, err := s.refs.PathwayClock(ctx, s.clerk, r.PathwayID, crs.Date{})
		if err != nil || pc.Clock.Running || !pc.Clock.Stop.Equal(ago(7).Time) || pc.Clock.Days != 63 || pc.Clock.StopStatus != rtt.StatusDecisionNotToTreat {
			t.Fatalf("clock = %+v, %v; want stopped %s after 63 days with 34", pc.Clock, err, ago(7))
		}
		if dna, ok := crs.DNAThenDischarge(pc.Clock); !ok || !dna.Equal(ago(14).Time) {
			t.Fatalf("DNAThenDischarge = %s, %v; want the DNA of %s", dna, ok, ago(14))
		}

		// A DNA of the first appointment nullified the clock (rule 5e):
		// there is nothing for a discharge to stop.
		r2 := s.referral(t, s.patients[1], ago(50))
		d2 := crs.PathwayEvent{Date: ago(5), Kind: rtt.KindDischargedToGP, Status: rtt.StatusDecisionNotToTreat, DNADate: ago(10)}
		if err := s.refs.RecordPathwayEvent(ctx, s.doctor, r2.PathwayID, d2); !strings.Contains(crs.FieldErrors(err)["dna_date"], "rule 5e") {
			t.Fatalf("discharge after a first DNA: err = %v, want a dna_date error citing rule 5e", err)
		}
		checkClock(t, s, r2.PathwayID, true, ago(50), 0)

		// The nullified pathway is listed beside the PTL as removed from
		// measurement, never on it.
		r3 := s.referral(t, s.patients[2], ago(30))
		if err := s.refs.RecordPathwayEvent(ctx, s.clerk, r3.PathwayID, crs.PathwayEvent{Date: ago(2), Kind: rtt.KindDidNotAttend}); err != nil {
			t.Fatalf("first DNA: %v", err)
		}
		page, err := s.refs.PTL(ctx, s.clerk, crs.PTLFilter{Limit: 1000})
		if err != nil || page.RemovedTotal != 1 || len(page.Removed) != 1 || page.Removed[0].PathwayID != r3.PathwayID {
			t.Fatalf("PTL removed = %d %+v, %v; want the nullified pathway", page.RemovedTotal, page.Removed, err)
		}
		want := "Removed from measurement: nullified on " + ago(2).Display() + ", reason did not attend the first appointment after referral: clock nullified (33)"
		if got := page.Removed[0].Note(); got != want {
			t.Errorf("note = %q, want %q", got, want)
		}
		for _, row := range page.Rows {
			if row.PathwayID == r3.PathwayID {
				t.Errorf("nullified pathway on the PTL: %+v", row)
			}
		}
	})
}

func TestBilateralSecondPeriod(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RBL", 1)
		r, e, start := s.listed(t, clock, s.patients[0], 90)
		sp := s.admit(t, e.ID, true, 0)
		if err := s.ip.Discharge(ctx, s.clerk, sp.ID, crs.Discharge{Method: "1", Destination: "19"}); err != nil {
			t.Fatalf("discharge: %v", err)
		}
		checkClock(t, s, r.PathwayID, false, start, rtt.StatusFirstTreatment)
		clock.Advance(42 * 24 * time.Hour)
		fit := crs.LocalDate(clock.Now())
		second := crs.PathwayEvent{Date: fit, Kind: rtt.KindBilateralSecondSide, Status: rtt.StatusFirstActivity}
		if err := s.refs.RecordPathwayEvent(ctx, s.clerk, r.PathwayID, second); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Fatalf("clerk records fitness for the second side: err = %v, want EFORBIDDEN", err)
		}
		if err := s.refs.RecordPathwayEvent(ctx, s.doctor, r.PathwayID, second); err != nil {
			t.Fatalf("second side: %v", err)
		}
		// Rule 3a, Annex C: a new period from the fit-and-ready date on the
		// same pathway and PPI; the first period stays stopped.
		checkClock(t, s, r.PathwayID, true, fit, 0)
		pc, err := s.refs.PathwayClock(ctx, s.clerk, r.PathwayID, crs.Date{})
		if err != nil || len(pc.Periods) != 2 || pc.Periods[0].Running || !pc.Periods[0].Start.Equal(start.Time) || pc.Periods[0].StopStatus != rtt.StatusFirstTreatment {
			t.Fatalf("periods = %+v, %v; want the first stopped with 30, the second running", pc.Periods, err)
		}
		if row := ptlRow(t, s, r.PathwayID); row == nil || row.PPI != r.PPI || !row.ClockStart.Equal(fit.Time) || row.Days != 0 {
			t.Fatalf("PTL row = %+v, want PPI %s from %s", row, r.PPI, fit)
		}
		if ref, err := s.refs.FindReferral(ctx, s.clerk, r.ID); err != nil || ref.Status != crs.ReferralOpen || ref.Worklist != crs.WorklistFollowUpDue {
			t.Fatalf("referral after the second side = %s on %q, %v; want open on the follow-up worklist", ref.Status, ref.Worklist, err)
		}
		// A second side recorded again while the new clock runs is refused.
		if err := s.refs.RecordPathwayEvent(ctx, s.doctor, r.PathwayID, second); crs.ErrorCode(err) != crs.EINVALID {
			t.Fatalf("second side twice: err = %v, want EINVALID", err)
		}

		// The second side is listed and treated: the admitted patient care
		// CDS carries each episode with the period of its own admission,
		// on the one PPI (Annex C).
		e2 := &crs.WaitingListEntry{ReferralID: r.ID, DecidedOn: fit, IntendedManagement: "1", ProcedureCode: "W401", Priority: "P4", ConsultantCode: "C1234567", ForTreatment: true}
		if err := s.wl.AddToWaitingList(ctx, s.clerk, e2); err != nil {
			t.Fatalf("list the second side: %v", err)
		}
		clock.Advance(14 * 24 * time.Hour)
		treated := crs.LocalDate(clock.Now())
		sp2 := s.admit(t, e2.ID, true, 1)
		clock.Advance(4 * time.Hour)
		if err := s.ip.Discharge(ctx, s.clerk, sp2.ID, crs.Discharge{Method: "1", Destination: "19"}); err != nil {
			t.Fatalf("discharge: %v", err)
		}
		var recs []*crs.CDSEpisodeRecord
		err = store.NewCDSSource(db).EpisodeRecords(ctx, s.tr.Actor(crs.RoleAnalyst), start, treated, func(r *crs.CDSEpisodeRecord) error {
			recs = append(recs, r)
			return nil
		})
		if err != nil || len(recs) != 2 {
			t.Fatalf("episode records = %d, %v; want the two admissions", len(recs), err)
		}
		firstAdmitted := crs.LocalDate(sp.AdmittedAt)
		for i, want := range []struct{ start, end crs.Date }{{start, firstAdmitted}, {fit, treated}} {
			pw := recs[i].Pathway
			if pw == nil || pw.PPI != r.PPI || !pw.Start.Equal(want.start.Time) || !pw.End.Equal(want.end.Time) {
				t.Errorf("episode %d pathway = %+v, want PPI %s period %s to %s", i, pw, r.PPI, want.start, want.end)
			}
		}
	})
}
