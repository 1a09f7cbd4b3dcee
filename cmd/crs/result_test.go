package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// typedResult writes a result as the typed results table held it before
// results were kept only in the resource store.
func typedResult(t *testing.T, db *store.DB, tr *storetest.Trust, r *crs.Result) {
	t.Helper()
	obs, _ := json.Marshal(r.Observations)
	comments, _ := json.Marshal(r.Comments)
	if r.Comments == nil {
		comments = []byte("[]")
	}
	at := func(x time.Time) string { return x.UTC().Format(time.RFC3339Nano) }
	err := db.Write(context.Background(), tr.System, crs.ActRecordClinical, func(tx crs.Tx) error {
		if _, err := tx.(*store.Tx).Exec(`INSERT INTO results (id, org_id, patient_id, message_id, placer_order, filler_order, service_code, service_name, observed_at, status, observations, created_at,
			reported_at, ordered_by, section, comments, order_key, version, replaces, superseded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`, r.ID, tr.Org.ID, r.PatientID, r.MessageID, r.PlacerOrder, r.FillerOrder,
			r.ServiceCode, r.ServiceName, at(r.ObservedAt), r.Status, string(obs), at(r.CreatedAt), at(r.ReportedAt), r.OrderedBy, r.Section, string(comments), r.OrderKey(),
			r.Version, r.Replaces, r.SupersededBy); err != nil {
			return err
		}
		return tx.Emit(&crs.Event{Type: crs.EventResultReceived, PatientID: r.PatientID, SubjectID: r.ID, Summary: "result received"}, "result")
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestResultMigrate carries the typed results table's reports into the
// resource store: an FBC reported preliminary then corrected (two
// versions, the correction resending one value), linked to its order; an
// unsolicited CRP; and a U&E the resource store holds already (filed
// there when it arrived), left as it is. The result pages' reads then
// show them as they were, history and all, none waits to be
// acknowledged, and carrying again changes nothing.
func TestResultMigrate(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RMG")
		p := &crs.Patient{GivenName: "Ada", FamilyName: "Carried", BirthDate: crs.NewDate(1970, 5, 1), NHSNumber: "9990000018"}
		if err := store.NewPatientService(db).RegisterPatient(ctx, tr.Actor(crs.RoleClerk), p); err != nil {
			t.Fatal(err)
		}
		doctor := tr.Actor(crs.RoleDoctor)
		storetest.Relate(t, db, doctor, p.ID)
		orders, results := orderService(db), resultService(db)
		if _, err := orders.LoadCatalogue(ctx, tr.System, []crs.OrderableTest{{Code: "FBC", Name: "Full blood count", Kind: crs.TestPathology, Specimen: "Blood", Destination: "LIMS"}}); err != nil {
			t.Fatal(err)
		}
		if err := hl7Engine(db, nil).AddDestination(ctx, tr.System, &crs.Destination{Name: "LIMS", Addr: "127.0.0.1:9", ReceivingApplication: "LIMS", ReceivingFacility: "RMG", Triggers: []string{"O01"}}); err != nil {
			t.Fatal(err)
		}
		o := &crs.Order{PatientID: p.ID, Test: crs.OrderableTest{Code: "FBC"}, ClinicalDetails: "Tired", Priority: crs.OrderRoutine}
		if err := orders.PlaceOrder(ctx, doctor, o); err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 2, 10, 9, 30, 0, 0, time.UTC)
		hb := crs.Observation{SetID: "1", Type: "NM", Code: "HB", Name: "Haemoglobin", Value: "95", Units: "g/L", Range: "115-165", Flags: "L", Status: "P"}
		wbc := crs.Observation{SetID: "2", Type: "NM", Code: "WBC", Name: "White cells", Value: "6.1", Units: "10*9/L", Range: "4.0-11.0", Flags: "N", Status: "P"}
		fbc1 := &crs.Result{ID: crs.NewID(), PatientID: p.ID, PlacerOrder: o.PlacerNumber, FillerOrder: "LAB1", ServiceCode: "FBC", ServiceName: "Full blood count",
			ObservedAt: day, ReportedAt: day.Add(time.Hour), Status: "P", OrderedBy: "C1 DR GREY", Section: "HM", Comments: []string{"Sample late"}, CreatedAt: day.Add(time.Hour),
			Observations: []crs.Observation{hb, wbc}, Version: 1}
		hbC := hb
		hbC.Value, hbC.Status, hbC.Flags = "97", "C", "L"
		wbcF := wbc
		fbc2 := &crs.Result{ID: crs.NewID(), PatientID: p.ID, PlacerOrder: o.PlacerNumber, FillerOrder: "LAB1", ServiceCode: "FBC", ServiceName: "Full blood count",
			ObservedAt: day, ReportedAt: day.Add(3 * time.Hour), Status: "C", CreatedAt: day.Add(3 * time.Hour), Observations: []crs.Observation{hbC, wbcF}, Version: 2, Replaces: fbc1.ID}
		fbc1.SupersededBy = fbc2.ID
		crp := &crs.Result{ID: crs.NewID(), PatientID: p.ID, ServiceCode: "CRP", ServiceName: "C-reactive protein", ObservedAt: day.Add(-24 * time.Hour), Status: "F",
			CreatedAt: day, Observations: []crs.Observation{{SetID: "1", Type: "NM", Code: "CRP", Name: "CRP", Value: "3", Units: "mg/L", Status: "F"}}, Version: 1}
		ue := &crs.Result{ID: crs.NewID(), PatientID: p.ID, FillerOrder: "LAB9", ServiceCode: "UE", ServiceName: "Urea and electrolytes", ObservedAt: day.Add(-48 * time.Hour),
			Status: "F", CreatedAt: day, Observations: []crs.Observation{{SetID: "1", Type: "NM", Code: "NA", Name: "Sodium", Value: "140", Units: "mmol/L", Status: "F"}}, Version: 1}
		for _, r := range []*crs.Result{fbc1, fbc2, crp, ue} {
			typedResult(t, db, tr, r)
		}
		// The U&E was filed to the resource store when it arrived.
		ueLive := *ue
		if err := db.Write(ctx, tr.Actor(crs.RoleInterface), crs.ActRecordClinical, func(tx crs.Tx) error { return results.FileResult(tx, &ueLive) }); err != nil {
			t.Fatal(err)
		}

		carried, skipped, err := migrateResults(ctx, db, tr.Org.ID)
		if err != nil || carried != 2 || skipped != 1 {
			t.Fatalf("migrate: %d carried, %d skipped, %v; want 2 and 1", carried, skipped, err)
		}
		got, err := results.FindResults(ctx, doctor, p.ID)
		if err != nil || len(got) != 3 {
			t.Fatalf("results after carrying: %d, %v; want FBC, CRP, U&E", len(got), err)
		}
		if got[0].ServiceCode != "FBC" || got[1].ServiceCode != "CRP" || got[2].ServiceCode != "UE" {
			t.Errorf("results newest first: %s %s %s", got[0].ServiceCode, got[1].ServiceCode, got[2].ServiceCode)
		}
		f := got[0]
		if f.ID != fbc2.ID || f.Version != 2 || f.Replaces != fbc1.ID || f.Status != "C" || f.FillerOrder != "LAB1" || f.PlacerOrder != o.PlacerNumber ||
			!f.ObservedAt.Equal(day) || !f.CreatedAt.Equal(fbc2.CreatedAt) || len(f.Observations) != 2 || f.Observations[0].Value != "97" || f.Observations[0].Status != "C" ||
			f.Observations[1].Value != "6.1" || f.Observations[1].Units != "10*9/L" || f.Observations[1].Flags != "N" || f.Observations[1].SetID != "2" {
			t.Errorf("carried FBC: %+v", f)
		}
		hist, err := results.ResultHistory(ctx, doctor, p.ID, fbc1.ID)
		if err != nil || len(hist) != 2 || hist[0].ID != fbc2.ID || hist[1].ID != fbc1.ID || hist[1].Observations[0].Value != "95" || hist[1].SupersededBy != fbc2.ID ||
			hist[1].OrderedBy != "C1 DR GREY" || strings.Join(hist[1].Comments, "|") != "Sample late" {
			t.Fatalf("carried FBC history: %d versions, %v: %+v", len(hist), err, hist)
		}
		// Linked to its order, which stays as it was; none waits on the worklist.
		if rv, err := results.ResultReviewOf(ctx, doctor, fbc2.ID); err != nil || rv.PlacerNumber != o.PlacerNumber {
			t.Errorf("carried FBC's order: %+v, %v", rv, err)
		}
		if cur, err := orders.GetOrder(ctx, doctor, o.ID); err != nil || cur.Status != crs.OrderPlaced {
			t.Errorf("order after carrying: %+v, %v; want it left placed", cur, err)
		}
		if list, err := results.UnacknowledgedResults(ctx, doctor, false); err != nil || len(list) != 1 || list[0].ResultID != ue.ID {
			t.Errorf("worklist: %+v, %v; want only the U&E filed when it arrived", list, err)
		}
		// Again: nothing changes.
		if carried, skipped, err := migrateResults(ctx, db, tr.Org.ID); err != nil || carried != 0 || skipped != 3 {
			t.Errorf("migrate again: %d carried, %d skipped, %v; want 0 and 3", carried, skipped, err)
		}
		if again, _ := results.FindResults(ctx, doctor, p.ID); len(again) != 3 {
			t.Errorf("results after carrying again: %d, want 3", len(again))
		}
	})
}

// TestResultMigrateCommand runs crs result migrate on a database file.
func TestResultMigrateCommand(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	if code, _, errs := runCLI(t, "trust", "add", "--db", dsn, "--ods", "RMC", "--name", "Migrate Trust"); code != 0 {
		t.Fatalf("trust add: %d %s", code, errs)
	}
	code, out, errs := runCLI(t, "result", "migrate", "--db", dsn, "--ods", "RMC")
	if code != 0 || !strings.Contains(out, "RMC: results of 0 orders carried into the resource store, 0 there already") {
		t.Errorf("result migrate: exit %d, %q %q", code, out, errs)
	}
	if code, _, errs := runCLI(t, "result", "migrate", "--db", dsn); code == 0 || !strings.Contains(errs, "ods") {
		t.Errorf("result migrate without --ods: exit %d, %q", code, errs)
	}
}
