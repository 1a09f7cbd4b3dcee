package store_test

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/match"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestScanPatientsByFamily lists the trust's patients by their folded
// family names, then id, either way, a page at a time: those registered,
// renamed and loaded in bulk, and those registered before the PMI kept
// the folded name once the migration's step has folded them.
func TestScanPatientsByFamily(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RSF")
		other := storetest.NewTrust(t, db, "RSG")
		svc := store.NewPatientService(db)
		gen := demo.NewGenerator(3)
		names := []string{"Zoë", "zoe", "O'Brien", "Obama", "Smith-Jones", "Smithers", "Ébert", "ebert", "de la Cruz", "Delacroix"}
		var ps []*crs.Patient
		for _, n := range names {
			p := gen.Patient()
			p.FamilyName = n
			ps = append(ps, p)
		}
		if _, err := db.LoadPatients(ctx, tr.System, ps[:5], crs.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		clerk := tr.Actor(crs.RoleClerk)
		for _, p := range ps[5:] {
			if err := svc.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
		}
		// A rename is kept in order.
		renamed := ps[9]
		renamed.FamilyName = "Aaronson"
		if err := svc.UpdatePatient(ctx, clerk, renamed); err != nil {
			t.Fatal(err)
		}
		if err := svc.RegisterPatient(ctx, other.Actor(crs.RoleClerk), gen.Patient()); err != nil {
			t.Fatal(err)
		}
		check := func(when string) {
			t.Helper()
			checkScanOrder(t, svc, clerk, crs.PatientScan{ByFamily: true}, ps, when,
				func(p *crs.Patient, desc bool) string { return match.Fold(p.FamilyName) },
				func(p *crs.Patient) string { return p.FamilyName })
		}
		check("as written")
		if err := db.ExecSchema(ctx, `UPDATE patients SET family_fold = ''`); err != nil {
			t.Fatal(err)
		}
		if err := db.RunMigrationStep(ctx, 128); err != nil {
			t.Fatal(err)
		}
		check("folded by the migration")
	})
}

// checkScanOrder lists the trust's patients a page of 3 at a time by
// scan, either way, and checks it lists ps in the order of the name each
// is listed by (by), then id, the last first when descending; label
// names a patient in a failure.
func checkScanOrder(t *testing.T, svc *store.PatientService, a crs.Actor, scan crs.PatientScan, ps []*crs.Patient, when string,
	by func(p *crs.Patient, desc bool) string, label func(*crs.Patient) string) {
	t.Helper()
	for _, desc := range []bool{false, true} {
		sorted := slices.Clone(ps)
		slices.SortFunc(sorted, func(a, b *crs.Patient) int {
			c := cmp.Or(strings.Compare(by(a, desc), by(b, desc)), strings.Compare(a.ID, b.ID))
			if desc {
				c = -c
			}
			return c
		})
		var want, got []string
		for _, p := range sorted {
			want = append(want, label(p))
		}
		scan.Desc, scan.Limit, scan.After = desc, 3, ""
		for {
			page, next, err := svc.ScanPatients(context.Background(), a, scan)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page {
				got = append(got, label(p))
			}
			if scan.After = next; next == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s, descending %v: %q,\nwant %q", when, desc, got, want)
		}
	}
}
