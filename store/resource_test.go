package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestResourceStore writes versions of a resource through the write path
// and reads them back, current, by version, in history and by search,
// with each trust seeing only its own.
func TestResourceStore(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RRS")
		other := storetest.NewTrust(t, db, "RRT")
		doctor := tr.Actor(crs.RoleDoctor)
		svc := store.NewResourceService(db)
		put := func(r *crs.Resource, rows ...crs.ResourceIndexRow) error {
			return db.Write(ctx, doctor, crs.ActRecordClinical, func(tx crs.Tx) error { return tx.PutResource(r, rows) })
		}
		code := crs.ResourceIndexRow{Param: "code", System: "http://loinc.org", Code: "8867-4"}
		day := crs.ResourceIndexRow{Param: "date", Lo: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Hi: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)}
		if err := put(&crs.Resource{Type: "Observation", ID: "o1", Version: 1, Body: []byte(`{"v":1}`)}, code, day); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		if err := put(&crs.Resource{Type: "Observation", ID: "o1", Version: 2, Body: []byte(`{"v":2}`)}, code); err != nil {
			t.Fatal(err)
		}
		if err := put(&crs.Resource{Type: "Observation", ID: "o1", Version: 2, Body: []byte(`{"v":"lost"}`)}); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("stale version: err = %v, want ECONFLICT", err)
		}
		cur, err := svc.ReadResource(ctx, doctor, "Observation", "o1", 0)
		if err != nil || cur.Version != 2 || string(cur.Body) != `{"v":2}` {
			t.Fatalf("current = %+v, %v", cur, err)
		}
		v1, err := svc.ReadResource(ctx, doctor, "Observation", "o1", 1)
		if err != nil || string(v1.Body) != `{"v":1}` || !v1.LastUpdated.Equal(storetest.Epoch) {
			t.Errorf("version 1 = %+v, %v", v1, err)
		}
		hist, err := svc.ResourceHistory(ctx, doctor, "Observation", "o1", time.Time{}, "", 10)
		if err != nil || len(hist) != 2 || hist[0].Version != 2 || hist[1].Version != 1 {
			t.Errorf("history = %v, %v", hist, err)
		}
		sys := "http://loinc.org"
		q := crs.ResourceQuery{Type: "Observation", Count: 10, All: [][]crs.ResourceCondition{{{Param: "code", Kind: "token", System: &sys, Code: "8867-4"}}}}
		found, _, err := svc.SearchResources(ctx, doctor, q)
		if err != nil || len(found) != 1 {
			t.Errorf("search by code = %d found, %v", len(found), err)
		}
		q.All = [][]crs.ResourceCondition{{{Param: "date", Kind: "date", Op: crs.MatchEq, Lo: day.Lo, Hi: day.Hi}}}
		if found, _, err := svc.SearchResources(ctx, doctor, q); err != nil || len(found) != 0 {
			t.Errorf("the index of version 1 outlived it: %d found, %v", len(found), err)
		}
		if _, err := svc.ReadResource(ctx, other.Actor(crs.RoleDoctor), "Observation", "o1", 0); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("another trust read it: err = %v", err)
		}
		if _, err := svc.ReadResource(ctx, tr.Actor(crs.RoleClerk), "Observation", "o1", 0); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("a clerk read clinical content: err = %v", err)
		}
		// The reads are audited against the patient the resource is about.
		p9 := newPatient("Nine", "Pat", crs.NewDate(1970, 1, 1), "", "", "1")
		if err := store.NewPatientService(db).RegisterPatient(ctx, tr.Actor(crs.RoleClerk), p9); err != nil {
			t.Fatal(err)
		}
		// An interface files it: the doctor could not, without a relationship.
		o2 := &crs.Resource{Type: "Observation", ID: "o2", Version: 1, PatientID: p9.ID, Body: []byte(`{}`)}
		if err := put(o2); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("a doctor with no relationship wrote p9's observation: err = %v, want EFORBIDDEN", err)
		}
		if err := db.Write(ctx, tr.Actor(crs.RoleInterface), crs.ActRecordClinical, func(tx crs.Tx) error { return tx.PutResource(o2, nil) }); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ReadResource(ctx, doctor, "Observation", "o2", 0); crs.ErrorCode(err) != crs.ENORELATIONSHIP {
			t.Errorf("a doctor with no relationship read p9's observation: err = %v", err)
		}
		storetest.Relate(t, db, doctor, p9.ID)
		if _, err := svc.ReadResource(ctx, doctor, "Observation", "o2", 0); err != nil {
			t.Fatal(err)
		}
		db.Flush(ctx)
		var views int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_trail WHERE org_id = $1 AND patient_id = $3 AND action = 'view' AND user_id = $2`, tr.Org.ID, doctor.UserID, p9.ID).Scan(&views); err != nil || views != 1 {
			t.Errorf("audited views of p9's observation = %d, %v; want 1", views, err)
		}
	})
}
