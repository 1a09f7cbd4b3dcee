package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestLoadReferrals records referrals in bulk through the write path:
// each gets its pathway, event, audit record and clock course carrying
// what it is reported under; a batch naming a merged
// patient is refused whole; an actor who may not manage pathways loads
// nothing.
func TestLoadReferrals(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RLR", 3)
		sys := s.tr.System
		today := crs.LocalDate(clock.Now())
		referrals := func(n int, patientID string) []*crs.Referral {
			refs := make([]*crs.Referral, n)
			for i := range refs {
				refs[i] = &crs.Referral{PatientID: patientID, Source: "03", Priority: "1", TreatmentFunction: "100", ConsultantCode: "C1000001",
					ConsultantLed: true, ReceivedOn: crs.Date{Time: today.AddDate(0, 0, -i%300)}}
			}
			return refs
		}
		ids, err := db.LivePatientIDs(ctx, s.tr.Org.ID, 10)
		if err != nil || len(ids) != 3 || ids[0] != s.patients[0].ID {
			t.Fatalf("live patients = %v, %v; want the 3 registered, oldest first", ids, err)
		}
		before := map[string]int{}
		for _, table := range []string{"referrals", "pathways", "events", "audit"} {
			before[table] = count(t, db, table, s.tr.Org.ID)
		}
		n, err := db.LoadReferrals(ctx, sys, referrals(130, s.patients[0].ID), crs.LoadOptions{BatchSize: 40})
		if err != nil || n != 130 {
			t.Fatalf("load = %d, %v; want 130 recorded", n, err)
		}
		db.Flush(ctx)
		for _, table := range []string{"referrals", "pathways", "events", "audit"} {
			if got := count(t, db, table, s.tr.Org.ID) - before[table]; got < 130 {
				t.Errorf("%s added = %d, want at least one per referral (130)", table, got)
			}
		}
		if page, err := s.refs.PTL(ctx, s.clerk, crs.PTLFilter{Limit: 1000}); err != nil || len(page.Rows) != 130 {
			t.Errorf("PTL rows = %d, %v; want the 130 loaded pathways", len(page.Rows), err)
		}
		// Each pathway's clock course carries what the returns report it
		// under, as its pathway and patient say.
		var courses, wrong int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN s.ppi = pw.ppi AND s.patient_id = pw.patient_id
			AND s.treatment_function = pw.treatment_function AND s.gp_practice_code = p.gp_practice_code AND s.ppi <> '' THEN 0 ELSE 1 END), 0)
			FROM rtt_clock_courses s JOIN pathways pw ON pw.id = s.pathway_id JOIN patients p ON p.id = pw.patient_id WHERE s.org_id = $1`,
			s.tr.Org.ID).Scan(&courses, &wrong); err != nil || courses < 130 || wrong != 0 {
			t.Errorf("clock courses = %d, of which %d not as their pathway and patient say (%v); want at least 130, none", courses, wrong, err)
		}

		t.Run("a merged patient refuses the batch", func(t *testing.T) {
			if err := store.NewPatientService(db).MergePatients(ctx, s.tr.Actor(crs.RoleAnalyst), s.patients[1].ID, s.patients[2].ID, "same person"); err != nil {
				t.Fatalf("merge: %v", err)
			}
			refs := append(referrals(5, s.patients[1].ID), referrals(1, s.patients[2].ID)...)
			was := count(t, db, "referrals", s.tr.Org.ID)
			n, err := db.LoadReferrals(ctx, sys, refs, crs.LoadOptions{BatchSize: 10})
			if crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(crs.ErrorMessage(err), "merged") || n != 0 {
				t.Fatalf("load = %d, %v; want 0 and a conflict naming the merge", n, err)
			}
			if got := count(t, db, "referrals", s.tr.Org.ID); got != was {
				t.Errorf("referrals = %d after a refused batch, want %d", got, was)
			}
		})

		t.Run("an actor who may not manage pathways loads nothing", func(t *testing.T) {
			n, err := db.LoadReferrals(ctx, s.tr.Actor(crs.RoleAnalyst), referrals(2, s.patients[0].ID), crs.LoadOptions{})
			if crs.ErrorCode(err) != crs.EFORBIDDEN || n != 0 {
				t.Fatalf("load = %d, %v; want 0 and forbidden", n, err)
			}
		})
	})
}
