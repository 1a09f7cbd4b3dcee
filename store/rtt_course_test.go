package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// courseRows reads every clock course row, with what it is reported
// under, in key order.
func courseRows(t *testing.T, db *store.DB) [][8]string {
	t.Helper()
	rows, err := db.Reader().QueryContext(context.Background(), `SELECT pathway_id, recorded_at, superseded_at, course, ppi, patient_id, treatment_function, gp_practice_code
		FROM rtt_clock_courses ORDER BY pathway_id, recorded_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][8]string
	for rows.Next() {
		var r [8]string
		if err := rows.Scan(&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6], &r[7]); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestCourseBackfillEqualsWritePath records pathways through the write
// path (referrals, a late decision an hour later, an admission for
// treatment cancelled as entered in error), then throws their clock
// courses away and works them out again as migrations 0073 and 0078 do
// for a database that had none: the rows are the same, version for
// version, with the pathway's PPI, patient, treatment function and GP
// practice, and a second run changes nothing.
func TestCourseBackfillEqualsWritePath(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RBF", 3)
		today := crs.LocalDate(clock.Now())
		_, e := s.listedForTreatment(t, today, 40)
		sp, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{EntryID: e.ID, Method: "11", Source: "19", WardID: s.ward.ID, BedID: s.beds[0].ID, TreatmentFunction: "101"})
		if err != nil {
			t.Fatalf("admit: %v", err)
		}
		r := s.referral(t, s.patients[1], crs.Date{Time: today.AddDate(0, 0, -90)})
		s.referral(t, s.patients[2], crs.Date{Time: today.AddDate(0, 0, -20)})
		clock.Set(clock.Now().Add(time.Hour))
		if err := s.refs.RecordPathwayEvent(ctx, s.doctor, r.PathwayID, crs.PathwayEvent{Date: crs.Date{Time: today.AddDate(0, 0, -10)}, Kind: rtt.KindDecisionNotToTreat, Status: rtt.StatusDecisionNotToTreat}); err != nil {
			t.Fatalf("late decision: %v", err)
		}
		clock.Set(clock.Now().Add(time.Hour))
		if err := s.ip.CancelAdmission(ctx, s.clerk, sp.ID, "entered in error"); err != nil {
			t.Fatalf("cancel: %v", err)
		}
		want := courseRows(t, db)
		versions := map[string]int{}
		for _, row := range want {
			versions[row[0]]++
			if row[4] == "" || row[5] == "" || row[6] == "" {
				t.Fatalf("course row %v lacks what its pathway is reported under", row)
			}
		}
		if len(versions) != 3 || versions[r.PathwayID] != 2 || versions[e.PathwayID] != 2 {
			t.Fatalf("course versions by pathway %v; want 3 pathways, 2 versions of the late decision's and of the cancelled admission's (recorded at one time, then cancelled)", versions)
		}
		if err := db.ExecSchema(ctx, `DELETE FROM rtt_clock_courses`); err != nil {
			t.Fatal(err)
		}
		for run := 1; run <= 2; run++ {
			if err := db.RunMigrationStep(ctx, 73); err != nil {
				t.Fatalf("backfill, run %d: %v", run, err)
			}
			if err := db.RunMigrationStep(ctx, 78); err != nil {
				t.Fatalf("backfill of what the courses are reported under, run %d: %v", run, err)
			}
			if diff := cmp.Diff(want, courseRows(t, db)); diff != "" {
				t.Fatalf("backfill, run %d, differs from the write path (-write path +backfill):\n%s", run, diff)
			}
		}
	})
}

// TestCourseFollowsPatientGPPractice checks that a change of a patient's
// demographics that keeps their GP practice leaves their pathways'
// course rows as they were, and one that moves it moves the rows' too.
func TestCourseFollowsPatientGPPractice(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RBG", 1)
		today := crs.LocalDate(clock.Now())
		s.referral(t, s.patients[0], crs.Date{Time: today.AddDate(0, 0, -30)})
		gpOf := func() []string {
			var out []string
			for _, row := range courseRows(t, db) {
				out = append(out, row[7])
			}
			return out
		}
		before := gpOf()
		if len(before) == 0 {
			t.Fatal("the referral's pathway has no course row")
		}
		ps := store.NewPatientService(db)
		update := func(change func(p *crs.Patient)) {
			t.Helper()
			p, err := ps.FindPatient(ctx, s.clerk, s.patients[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			change(p)
			if err := ps.UpdatePatient(ctx, s.clerk, p); err != nil {
				t.Fatalf("update: %v", err)
			}
		}
		update(func(p *crs.Patient) { p.Phone = "020 7946 0000" })
		if diff := cmp.Diff(before, gpOf()); diff != "" {
			t.Fatalf("a change of phone moved the courses' GP practice (-want +got):\n%s", diff)
		}
		update(func(p *crs.Patient) { p.GPPracticeCode = "Y00002" })
		want := make([]string, len(before))
		for i := range want {
			want[i] = "Y00002"
		}
		if diff := cmp.Diff(want, gpOf()); diff != "" {
			t.Fatalf("the courses' GP practice after the patient's moved (-want +got):\n%s", diff)
		}
	})
}
