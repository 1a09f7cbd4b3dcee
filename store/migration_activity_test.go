package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestMigratePastActivity loads a past A&E attendance and a discharged,
// coded spell in one migration command and reads them back as the
// services see them: departed, discharged, the episode ended and coded
// by the command's user, the bed free again.
func TestMigratePastActivity(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RMA", 2)
		p := s.patients[0]
		at := clock.Now().Add(-10 * 24 * time.Hour).Truncate(time.Minute)
		e := &crs.EDAttendance{PatientID: p.ID, ArrivedAt: at, ArrivalMode: "1048071000000103", AttendanceCategory: "1", TriageCategory: 3,
			TriagedAt: at.Add(10 * time.Minute), DepartedAt: at.Add(3 * time.Hour), Departure: crs.EDDischarged,
			DischargeStatus: "182992009", DischargeDestination: "306689006"}
		ep := &crs.Episode{ID: crs.NewID(), Seq: 1, ConsultantCode: "C1111111", TreatmentFunction: "300", Start: at, End: at.Add(48 * time.Hour)}
		sp := &crs.Spell{PatientID: p.ID, VisitNumber: "V900000001", AdmissionMethod: "21", AdmissionSource: "19", AdmittedAt: at,
			WardID: s.ward.ID, BedID: s.beds[0].ID, ConsultantCode: "C1111111", TreatmentFunction: "300", DischargedAt: ep.End,
			DischargeMethod: "1", DischargeDestination: "19", Episodes: []*crs.Episode{ep},
			Stays: []*crs.BedStay{{Seq: 1, WardID: s.ward.ID, BedID: s.beds[0].ID, Start: at, End: ep.End}}}
		coding := &crs.EpisodeCoding{EpisodeID: ep.ID, Diagnoses: []string{"J189", "I10"}, Procedures: []crs.ProcedureCode{{Code: "E851", Date: crs.LocalDate(at)}}}
		err := db.Write(ctx, s.clerk, crs.ActManagePathways, func(tx crs.Tx) error {
			if err := tx.MigrateEDAttendances([]*crs.EDAttendance{e}); err != nil {
				return err
			}
			if err := tx.MigrateDischargedSpells([]*crs.Spell{sp}, []*crs.EpisodeCoding{coding}); err != nil {
				return err
			}
			return tx.Emit(&crs.Event{Type: crs.EventRecordMigrated, Summary: "past activity"}, "past activity")
		})
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
		got, err := s.ed.FindAttendance(ctx, s.clerk, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != crs.EDDeparted || !got.DepartedAt.Equal(e.DepartedAt) || got.TriageCategory != 3 || got.DischargeStatus != "182992009" {
			t.Errorf("attendance = %+v", got)
		}
		spell, err := s.ip.FindSpell(ctx, s.clerk, sp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if spell.Status != crs.SpellDischarged || !spell.DischargedAt.Equal(ep.End) || len(spell.Episodes) != 1 || !spell.Episodes[0].End.Equal(ep.End) {
			t.Errorf("spell = %+v, episodes %+v", spell, spell.Episodes)
		}
		ce, err := store.NewCodingService(db).FindEpisode(ctx, s.tr.Actor(crs.RoleCoder), ep.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c := ce.Coding; c == nil || c.CodedBy != s.clerk.Username || len(c.Diagnoses) != 2 || c.Diagnoses[0] != "J189" ||
			len(c.Procedures) != 1 || c.Procedures[0].Code != "E851" || c.Procedures[0].Date != crs.LocalDate(at) {
			t.Errorf("coding = %+v", ce.Coding)
		}
		// The bed is free: the patient can be admitted to it.
		if _, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: s.patients[1].ID, Method: "21", Source: "19", WardID: s.ward.ID,
			BedID: s.beds[0].ID, ConsultantCode: "C1111111"}); err != nil {
			t.Errorf("admit to the bed freed: %v", err)
		}
	})
}

// TestCDSOutpatientPeriods reads the outpatient CDS records of two
// pathways loaded with their RTT events: one with two periods one after
// the other (treated 2 March, a new clock started 16 March), one with a
// single running period. Each record carries the period of its own
// activity, the events of all the pathways read in one query.
func TestCDSOutpatientPeriods(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RCP", 2)
		day := func(d int) crs.Date { return crs.NewDate(2026, 3, d) }
		at := func(d int) time.Time { return time.Date(2026, 3, d, 10, 0, 0, 0, crs.London) }
		var refs []*crs.Referral
		var pws []*crs.Pathway
		var aps []crs.MigratedAppointment
		events := [][]crs.PathwayEvent{
			{{Date: day(1), Kind: rtt.KindReferralReceived, Status: 10}, {Date: day(2), Kind: rtt.KindAttended, Status: 30},
				{Date: day(16), Kind: rtt.KindAttended, Status: 10}, {Date: day(23), Kind: rtt.KindAttended, Status: 20}},
			{{Date: day(4), Kind: rtt.KindReferralReceived, Status: 10}, {Date: day(9), Kind: rtt.KindAttended, Status: 20}},
		}
		seen := [][]int{{2, 23}, {9}}
		for i, p := range s.patients {
			r := &crs.Referral{ID: crs.NewID(), PathwayID: crs.NewID(), PatientID: p.ID, Source: "03", ReceivedOn: events[i][0].Date,
				Priority: crs.PriorityRoutine, TreatmentFunction: "100", ConsultantLed: true, Status: crs.ReferralOpen}
			refs = append(refs, r)
			pws = append(pws, &crs.Pathway{ID: r.PathwayID, PatientID: p.ID, PPI: fmt.Sprintf("RCP%010d", i+1), PPIIssuer: "RCP", ReferralID: r.ID,
				TreatmentFunction: "100", Priority: r.Priority, ClockState: crs.ClockRunning, ClockStart: events[i][len(events[i])-2].Date, LastStatus: 20})
			for _, d := range seen[i] {
				aps = append(aps, crs.MigratedAppointment{SlotEnd: at(d).Add(20 * time.Minute), SlotType: crs.SlotNew,
					Appointment: &crs.Appointment{PatientID: p.ID, ReferralID: r.ID, PathwayID: r.PathwayID, ClinicID: s.clinic.ID, Start: at(d),
						Kind: crs.SlotNew, Status: crs.AppointmentAttended, AttendedAt: at(d), Outcome: &crs.Outcome{RTTStatus: 20, NextStep: crs.NextFollowUp, FollowUpWeeks: 2}}})
			}
		}
		err := db.Write(ctx, s.clerk, crs.ActManagePathways, func(tx crs.Tx) error {
			if err := tx.MigrateReferrals(refs); err != nil {
				return err
			}
			if err := tx.MigratePathways(pws, events, make([]bool, len(pws))); err != nil {
				return err
			}
			if err := tx.MigrateAppointments(aps); err != nil {
				return err
			}
			return tx.Emit(&crs.Event{Type: crs.EventRecordMigrated, Summary: "pathways"}, "pathways")
		})
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
		var recs []*crs.CDSOutpatientRecord
		err = store.NewCDSSource(db).OutpatientRecords(ctx, s.tr.Actor(crs.RoleAnalyst), day(1), day(31), func(r *crs.CDSOutpatientRecord) error {
			recs = append(recs, r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]string{2: "2026-03-01 to 2026-03-02", 9: "2026-03-04 to ", 23: "2026-03-16 to "}
		if len(recs) != len(want) {
			t.Fatalf("%d records, want %d", len(recs), len(want))
		}
		for _, r := range recs {
			if r.Pathway == nil {
				t.Fatalf("record of %s has no pathway", r.At)
			}
			got := r.Pathway.Start.String() + " to " + r.Pathway.End.String()
			if w := want[r.At.In(crs.London).Day()]; got != w || r.NextStep != crs.NextFollowUp {
				t.Errorf("record of %s: period %s, next step %q; want %s", r.At.In(crs.London).Format("2 Jan"), got, r.NextStep, w)
			}
		}
	})
}
