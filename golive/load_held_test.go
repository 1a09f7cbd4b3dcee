package golive_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/golive"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// column is the value of the named column of a row of the extract.
func column(file string, r golive.Row, name string) string {
	return r.Fields[slices.Index(strings.Split(golive.Header(file), ","), name)]
}

// TestImportNHSNumberHeld: a live patient of the extract whose NHS number
// a live patient of the trust already holds, registered before the
// migration, is refused as it is loaded, and the rest of its batch is
// loaded. The import's report lists it among the rejected rows with its
// legacy key and the holder's hospital number, the rows of its referrals
// and appointments are rejected with it, and the number keeps one live
// holder. A run again of the import, the count of rows still to load
// and the reconciliation, each reading the extract afresh, count it as
// rejected: nothing is waiting to be loaded or unaccounted for.
func TestImportNHSNumberHeld(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		clock.Set(time.Date(2026, 9, 1, 3, 0, 0, 0, time.UTC))
		tr := storetest.NewTrust(t, db, "R9V")
		read := func() *golive.Extract {
			x, err := golive.Read(sampleDir(t))
			if err != nil {
				t.Fatal(err)
			}
			return x
		}
		x := read()
		// A live patient of the extract with a referral.
		referred := map[string]bool{}
		for _, r := range x.File(golive.FileReferrals).Rows {
			if r.Accepted() {
				referred[column(golive.FileReferrals, r, "legacy_patient_id")] = true
			}
		}
		var key, number string
		for _, r := range x.File(golive.FilePatients).Rows {
			if r.Accepted() && column(golive.FilePatients, r, "merged_into_legacy_patient_id") == "" &&
				column(golive.FilePatients, r, "nhs_number") != "" && referred[r.Fields[0]] {
				key, number = r.Fields[0], column(golive.FilePatients, r, "nhs_number")
				break
			}
		}
		if key == "" {
			t.Fatal("the sample has no live patient with an NHS number and a referral")
		}
		holder := &crs.Patient{FamilyName: "Early", GivenName: "Registered", BirthDate: crs.NewDate(1950, 5, 5), Gender: "2",
			NHSNumber: number, NHSNumberStatus: nhs.NumberVerified}
		if err := store.NewPatientService(db).RegisterPatient(ctx, tr.Actor(crs.RoleClerk), holder); err != nil {
			t.Fatal(err)
		}

		before := accepted(x)
		im := &golive.Importer{Store: db, Log: db, OrgID: tr.Org.ID, BatchSize: 50}
		n, err := im.Load(ctx, x)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if n != accepted(x) || accepted(x) >= before-1 {
			t.Errorf("loaded %d rows; %d accepted after the refusal, %d before: want the patient and its referral's rows rejected, the rest loaded", n, accepted(x), before)
		}
		held := fmt.Sprintf("NHS number %s already belongs to the patient with hospital number %s", nhs.FormatNumber(number), holder.MRN)
		rep, err := golive.ReportAfterLoad(ctx, x, store.NewReportSource(db), db, tr.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		var refused *golive.Rejection
		dependents := 0
		for i, rj := range rep.Rejections {
			switch {
			case rj.Key != nil && *rj.Key == key && rj.File == golive.FilePatients:
				refused = &rep.Rejections[i]
			case rj.Reason == golive.ReasonPatientRejected:
				dependents++
			}
		}
		if refused == nil || refused.Reason != golive.ReasonNHSHeld || refused.Column == nil || *refused.Column != "nhs_number" || refused.Detail != held {
			t.Errorf("the report's rejection of legacy patient %s: %+v; want %s on nhs_number saying %q", key, refused, golive.ReasonNHSHeld, held)
		}
		if page, err := rep.HTML(); err != nil || !strings.Contains(string(page), held) {
			t.Errorf("the report's page does not say %q (%v)", held, err)
		}
		if dependents == 0 {
			t.Errorf("no row of the patient's referral is rejected with %s", golive.ReasonPatientRejected)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM patients WHERE nhs_number = $1 AND merged_into = ''`, number); got != 1 {
			t.Errorf("%d live patients hold the number; want 1", got)
		}
		if got, want := count(t, db, `SELECT COUNT(*) FROM patients`), rep.Patients.Live+1; got != want {
			t.Errorf("%d patients in OpenCRS; want the %d live ones the report accepted and the one registered before", got, want)
		}

		// Run again, the import reads the refusal and loads nothing more.
		again := read()
		if n, err := im.Load(ctx, again); err != nil || n != 0 || accepted(again) != accepted(x) {
			t.Errorf("second load = %d rows, %v, %d accepted; want 0 rows and the %d accepted of the first", n, err, accepted(again), accepted(x))
		}
		if n, err := golive.NotLoaded(ctx, read(), db, tr.Org.ID); err != nil || n != 0 {
			t.Errorf("rows not loaded = %d, %v; want 0: the row refused is not waiting to be loaded", n, err)
		}
		rec, err := golive.Reconcile(ctx, read(), db, db, store.NewReportSource(db), tr.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Unaccounted() != 0 || len(rec.Differences) != 0 {
			t.Errorf("reconciliation: %d unaccounted, differences %+v; want none", rec.Unaccounted(), rec.Differences)
		}
		if p := rec.Totals[0]; p.InExtract != rep.Patients.Live || p.Matched != p.InExtract {
			t.Errorf("reconciled patients %+v; want the %d live ones accepted, all matched", p, rep.Patients.Live)
		}
	})
}
