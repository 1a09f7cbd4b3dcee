package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// eventData reads the SpellEventData of the latest event of a type about
// a subject.
func eventData(t *testing.T, db *store.DB, orgID, typ, subject string) crs.SpellEventData {
	t.Helper()
	evs, err := store.FindEvents(context.Background(), db.Reader(), orgID, "type = $2 AND subject_id = $3", typ, subject)
	if err != nil || len(evs) == 0 {
		t.Fatalf("%s event about %s: %d, %v", typ, subject, len(evs), err)
	}
	var d crs.SpellEventData
	if err := json.Unmarshal(evs[0].Data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPreadmissionContract(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RPA", 3)
		org := s.tr.Org.ID
		p0, p1 := s.patients[0], s.patients[1]
		today := crs.LocalDate(clock.Now())

		t.Run("checked before it is recorded", func(t *testing.T) {
			other := newSite(t, db, "ROT", 0)
			for _, tc := range []struct {
				name, field string
				p           crs.Preadmission
			}{
				{"method", "method", crs.Preadmission{PatientID: p0.ID, AdmissionMethod: "77"}},
				{"class", "patient_class", crs.Preadmission{PatientID: p0.ID, PatientClass: "9"}},
				{"consultant", "consultant", crs.Preadmission{PatientID: p0.ID, ConsultantCode: "dr who"}},
				{"treatment function", "treatment_function", crs.Preadmission{PatientID: p0.ID, TreatmentFunction: "XYZ"}},
				{"another trust's ward", "ward", crs.Preadmission{PatientID: p0.ID, WardID: other.ward.ID}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					p := tc.p
					err := s.ip.RecordPreadmission(ctx, s.clerk, &p)
					if crs.ErrorCode(err) != crs.EINVALID || (crs.ErrorField(err) != tc.field && crs.FieldErrors(err)[tc.field] == "") {
						t.Errorf("err = %v, want a %s field error", err, tc.field)
					}
				})
			}
			p := &crs.Preadmission{PatientID: p0.ID}
			if err := s.ip.RecordPreadmission(ctx, other.clerk, p); crs.ErrorCode(err) != crs.ENOTFOUND {
				t.Errorf("another trust's clerk pre-admits this trust's patient: %v, want ENOTFOUND", err)
			}
			if err := s.ip.RecordPreadmission(ctx, s.tr.Actor(crs.RoleAnalyst), p); crs.ErrorCode(err) != crs.EFORBIDDEN {
				t.Errorf("an analyst pre-admits: %v, want EFORBIDDEN", err)
			}
		})

		// Recorded with the trust's next visit numbers, never reused.
		pa := &crs.Preadmission{PatientID: p0.ID, ExpectedOn: crs.Date{Time: today.AddDate(0, 0, 7)}, WardID: s.ward.ID, ConsultantCode: "c1234567", TreatmentFunction: "100"}
		if err := s.ip.RecordPreadmission(ctx, s.clerk, pa); err != nil {
			t.Fatalf("record: %v", err)
		}
		unknown := &crs.Preadmission{PatientID: p1.ID, WardCode: "NOWARD", AdmissionMethod: "12"}
		if err := s.ip.RecordPreadmission(ctx, s.clerk, unknown); err != nil {
			t.Fatalf("record to an unknown ward code: %v", err)
		}
		if pa.VisitNumber != crs.VisitNumberFormat(1) || unknown.VisitNumber != crs.VisitNumberFormat(2) || len(pa.VisitNumber) > 20 {
			t.Fatalf("visit numbers %q and %q, want %q and %q", pa.VisitNumber, unknown.VisitNumber, crs.VisitNumberFormat(1), crs.VisitNumberFormat(2))
		}
		got, err := s.ip.FindPreadmission(ctx, s.clerk, pa.ID)
		if err != nil || got.Status != crs.PreadmissionPending || got.WardCode != "WD1" || got.ConsultantCode != "C1234567" || got.AdmissionMethod != "13" ||
			got.PatientClass != "1" || !got.ExpectedOn.Equal(pa.ExpectedOn.Time) {
			t.Fatalf("pre-admission read back: %+v, %v", got, err)
		}
		if got, _ := s.ip.FindPreadmission(ctx, s.clerk, unknown.ID); got.WardID != "" || got.WardCode != "NOWARD" {
			t.Errorf("unknown ward: id %q code %q, want the code kept", got.WardID, got.WardCode)
		}
		if d := eventData(t, db, org, crs.EventPreadmissionRecorded, pa.ID); d.VisitNumber != pa.VisitNumber || d.PreadmissionID != pa.ID ||
			d.WardCode != "WD1" || !d.ExpectedOn.Equal(pa.ExpectedOn.Time) || d.SpellID != "" {
			t.Errorf("A05 event data: %+v", d)
		}
		if _, err := s.ip.FindPreadmission(ctx, newSite(t, db, "RO2", 0).clerk, pa.ID); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("another trust reads the pre-admission: %v, want ENOTFOUND", err)
		}

		// Cancelled with a reason, once.
		if err := s.ip.CancelPreadmission(ctx, s.clerk, unknown.ID, " "); crs.ErrorField(err) != "reason" {
			t.Errorf("cancel without a reason: %v, want a reason field error", err)
		}
		if err := s.ip.CancelPreadmission(ctx, s.clerk, unknown.ID, "patient unwell"); err != nil {
			t.Fatalf("cancel: %v", err)
		}
		if err := s.ip.CancelPreadmission(ctx, s.clerk, unknown.ID, "again"); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("cancel twice: %v, want ECONFLICT", err)
		}
		if d := eventData(t, db, org, crs.EventPreadmissionCancelled, unknown.ID); d.Status != crs.PreadmissionCancelled || d.Reason != "patient unwell" || d.VisitNumber != unknown.VisitNumber {
			t.Errorf("A38 event data: %+v", d)
		}

		// Admitted: the spell keeps the visit number and the details the
		// admission leaves empty; any other spell takes the next number.
		sp, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PreadmissionID: pa.ID, Source: "19", BedID: s.beds[0].ID})
		if err != nil {
			t.Fatalf("admit the planned admission: %v", err)
		}
		if sp.PatientID != p0.ID || sp.VisitNumber != pa.VisitNumber || sp.WardID != s.ward.ID || sp.ConsultantCode != "C1234567" || sp.AdmissionMethod != "13" {
			t.Errorf("spell from the planned admission: %+v", sp)
		}
		if got, _ := s.ip.FindPreadmission(ctx, s.clerk, pa.ID); got.Status != crs.PreadmissionAdmitted || got.SpellID != sp.ID {
			t.Errorf("after admission: %s spell %q", got.Status, got.SpellID)
		}
		if _, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PreadmissionID: pa.ID, Source: "19", WardID: s.ward.ID, ConsultantCode: "C1234567"}); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("admit the same planned admission twice: %v, want ECONFLICT", err)
		}
		other, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: p1.ID, Method: "21", Source: "19", WardID: s.ward.ID, ConsultantCode: "C1234567"})
		if err != nil || other.VisitNumber != crs.VisitNumberFormat(3) {
			t.Fatalf("emergency admission: visit %q, %v; want %q", other.VisitNumber, err, crs.VisitNumberFormat(3))
		}
		if read, _ := s.ip.FindSpell(ctx, s.clerk, sp.ID); read.VisitNumber != pa.VisitNumber {
			t.Errorf("spell read back with visit %q", read.VisitNumber)
		}
		// Cancelling the admission puts the planned admission back.
		if err := s.ip.CancelAdmission(ctx, s.clerk, sp.ID, "wrong patient"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ip.FindPreadmission(ctx, s.clerk, pa.ID); got.Status != crs.PreadmissionPending || got.SpellID != "" {
			t.Errorf("after A11: %s spell %q, want pending again", got.Status, got.SpellID)
		}
		list, err := s.ip.FindPreadmissions(ctx, s.clerk, p0.ID)
		if err != nil || len(list) != 1 || list[0].ID != pa.ID {
			t.Errorf("p0's planned admissions: %d, %v", len(list), err)
		}
	})
}

// TestTCIIsAPreadmission checks that an agreed TCI date records a
// planned admission (sent as A05), another date agreed changes it, a
// cancelled one takes the TCI off the entry, removal from the list
// cancels it (A38), and admission from the list admits it.
func TestTCIIsAPreadmission(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RTC", 2)
		today := crs.LocalDate(clock.Now())
		list := func(p *crs.Patient, im string) *crs.WaitingListEntry {
			r := s.referral(t, p, crs.Date{Time: today.AddDate(0, 0, -30)})
			e := &crs.WaitingListEntry{ReferralID: r.ID, DecidedOn: today, IntendedManagement: im, ProcedureCode: "T201", Priority: "P3", ConsultantCode: "C1234567", ForTreatment: true}
			if err := s.wl.AddToWaitingList(ctx, s.clerk, e); err != nil {
				t.Fatalf("list: %v", err)
			}
			return e
		}
		agree := func(e *crs.WaitingListEntry, days int) crs.Date {
			d := crs.Date{Time: crs.LocalDate(clock.Now()).AddDate(0, 0, days)}
			o := &crs.TCIOffer{Dates: []crs.Date{d, {Time: d.AddDate(0, 0, 7)}}}
			if err := s.wl.OfferTCI(ctx, s.clerk, e.ID, o); err != nil {
				t.Fatalf("offer: %v", err)
			}
			if err := s.wl.RespondToTCI(ctx, s.clerk, o.ID, crs.TCIResponse{Accept: true, Date: d}); err != nil {
				t.Fatalf("accept: %v", err)
			}
			return d
		}
		pending := func(p *crs.Patient) []*crs.Preadmission {
			ps, err := s.ip.FindPreadmissions(ctx, s.clerk, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []*crs.Preadmission
			for _, x := range ps {
				if x.Status == crs.PreadmissionPending {
					out = append(out, x)
				}
			}
			return out
		}
		p0, p1 := s.patients[0], s.patients[1]
		e := list(p0, "2")
		d1 := agree(e, 21)
		ps := pending(p0)
		if len(ps) != 1 || ps[0].EntryID != e.ID || !ps[0].ExpectedOn.Equal(d1.Time) || ps[0].AdmissionMethod != "11" || ps[0].PatientClass != "2" || ps[0].ConsultantCode != "C1234567" {
			t.Fatalf("after the TCI is agreed: %+v", ps)
		}
		visit := ps[0].VisitNumber
		d2 := agree(e, 28)
		if ps = pending(p0); len(ps) != 1 || ps[0].VisitNumber != visit || !ps[0].ExpectedOn.Equal(d2.Time) {
			t.Fatalf("after another TCI date: %+v, want one with visit %s on %s", ps, visit, d2)
		}
		// Cancelled: the entry stays on the list without its TCI date.
		if err := s.ip.CancelPreadmission(ctx, s.clerk, ps[0].ID, "theatre list cancelled"); err != nil {
			t.Fatalf("cancel: %v", err)
		}
		if got, _ := s.wl.FindWaitingListEntry(ctx, s.clerk, e.ID); got.Status != crs.ListWaiting || !got.TCIDate.IsZero() {
			t.Errorf("entry after the cancelled TCI: %s TCI %s, want waiting without a TCI", got.Status, got.TCIDate)
		}
		if evs, _ := store.FindEvents(ctx, db.Reader(), s.tr.Org.ID, "type = $2 AND subject_id = $3", crs.EventTCICancelled, e.ID); len(evs) != 1 {
			t.Errorf("TCI cancelled events: %d, want 1", len(evs))
		}
		// A new date, then admission from the list admits it.
		agree(e, 35)
		ps = pending(p0)
		if len(ps) != 1 || ps[0].VisitNumber == visit {
			t.Fatalf("after a new TCI: %+v, want a new planned admission with a new visit number", ps)
		}
		clock.Set(ps[0].ExpectedOn.Add(9 * time.Hour))
		sp, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{EntryID: e.ID, Method: "11", Source: "19", WardID: s.ward.ID, BedID: s.beds[1].ID})
		if err != nil {
			t.Fatalf("admit from the list: %v", err)
		}
		if got, _ := s.ip.FindPreadmission(ctx, s.clerk, ps[0].ID); got.Status != crs.PreadmissionAdmitted || got.SpellID != sp.ID || sp.VisitNumber != got.VisitNumber {
			t.Errorf("planned admission after admission from the list: %s spell %q; spell visit %s", got.Status, got.SpellID, sp.VisitNumber)
		}
		// Removed from the list: its planned admission is cancelled.
		e1 := list(p1, "1")
		agree(e1, 21)
		if err := s.wl.RemoveFromWaitingList(ctx, s.clerk, e1.ID, crs.Removal{Reason: "4", Note: "treated elsewhere"}); err != nil {
			t.Fatalf("remove: %v", err)
		}
		all, _ := s.ip.FindPreadmissions(ctx, s.clerk, p1.ID)
		if len(all) != 1 || all[0].Status != crs.PreadmissionCancelled {
			t.Errorf("after removal from the list: %+v, want one cancelled", all)
		}
	})
}
