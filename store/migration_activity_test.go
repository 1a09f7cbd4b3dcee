package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencrs/crs"
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
