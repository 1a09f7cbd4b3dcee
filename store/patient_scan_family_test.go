package store_test

import (
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
		want := func(desc bool) []string {
			sorted := slices.Clone(ps)
			slices.SortFunc(sorted, func(a, b *crs.Patient) int {
				c := strings.Compare(match.Fold(a.FamilyName), match.Fold(b.FamilyName))
				if desc {
					c = -c
				}
				if c == 0 {
					c = strings.Compare(a.ID, b.ID)
					if desc {
						c = -c
					}
				}
				return c
			})
			var out []string
			for _, p := range sorted {
				out = append(out, p.FamilyName)
			}
			return out
		}
		check := func(when string) {
			t.Helper()
			for _, desc := range []bool{false, true} {
				var got []string
				for after := ""; ; {
					page, next, err := svc.ScanPatients(ctx, clerk, crs.PatientScan{ByFamily: true, Desc: desc, After: after, Limit: 3})
					if err != nil {
						t.Fatal(err)
					}
					for _, p := range page {
						got = append(got, p.FamilyName)
					}
					if after = next; after == "" {
						break
					}
				}
				if w := want(desc); !slices.Equal(got, w) {
					t.Errorf("%s, descending %v: %q,\nwant %q", when, desc, got, w)
				}
			}
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
