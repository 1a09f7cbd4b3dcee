package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/match"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestScanPatientsByGiven lists the trust's patients by the first of
// their folded given and middle names, or from the last by the last of
// them, then id, a page at a time: those registered, renamed, loaded in
// bulk and migrated from a legacy PAS, and those registered before the
// PMI kept the folded names once the migration's step has folded them.
func TestScanPatientsByGiven(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RSH")
		other := storetest.NewTrust(t, db, "RSI")
		svc := store.NewPatientService(db)
		gen := demo.NewGenerator(5)
		names := [][2]string{{"Zoë", ""}, {"zoe", "Aaron"}, {"O'Neil", ""}, {"Oliver", "Zed Yves"}, {"Jean-Luc", ""},
			{"Mary Ann", "Beth"}, {"Éva", "Zara"}, {"eva", ""}, {"de Souza", "Abel"}, {"Delia", ""}, {"Ann", "Ann"}, {"Kit", "Élise"}}
		var ps []*crs.Patient
		for _, n := range names {
			p := gen.Patient()
			p.GivenName, p.OtherNames = n[0], n[1]
			ps = append(ps, p)
		}
		if _, err := db.LoadPatients(ctx, tr.System, ps[:4], crs.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		clerk := tr.Actor(crs.RoleClerk)
		for _, p := range ps[4:8] {
			if err := svc.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
			for i, p := range ps[8:] {
				p.MRN = fmt.Sprintf("LEG%04d", i)
			}
			if _, err := tx.MigratePatients(ps[8:]); err != nil {
				return err
			}
			return tx.Emit(&crs.Event{Type: crs.EventRecordMigrated, Summary: "patients"}, "patients")
		}); err != nil {
			t.Fatal(err)
		}
		// A change of a given or middle name is kept in order.
		renamed := ps[7]
		renamed.OtherNames = "Abigail"
		if err := svc.UpdatePatient(ctx, clerk, renamed); err != nil {
			t.Fatal(err)
		}
		if err := svc.RegisterPatient(ctx, other.Actor(crs.RoleClerk), gen.Patient()); err != nil {
			t.Fatal(err)
		}
		// A patient is listed by the first of its folded names, or from the
		// last by the last of them.
		check := func(when string) {
			t.Helper()
			checkScanOrder(t, svc, clerk, crs.PatientScan{ByGiven: true}, ps, when,
				func(p *crs.Patient, desc bool) string {
					folds := []string{match.Fold(p.GivenName)}
					for _, n := range strings.Fields(p.OtherNames) {
						folds = append(folds, match.Fold(n))
					}
					if desc {
						return slices.Max(folds)
					}
					return slices.Min(folds)
				},
				func(p *crs.Patient) string { return p.GivenName + " " + p.OtherNames })
		}
		check("as written")
		if err := db.ExecSchema(ctx, `UPDATE patients SET given_fold_first = '', given_fold_last = ''`); err != nil {
			t.Fatal(err)
		}
		if err := db.RunMigrationStep(ctx, 129); err != nil {
			t.Fatal(err)
		}
		check("folded by the migration")
	})
}
