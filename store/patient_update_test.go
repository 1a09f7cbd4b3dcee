package store_test

import (
	"context"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/match"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestUpdatePatientIndexedColumns: an update of demographics keeps the
// columns the patients' indexes hold (the NHS number, the date of birth,
// the names as searched) the record's, whichever of them it changes and
// whichever it leaves, on both engines (on SQLite an update sets only the
// indexed columns whose fields changed).
func TestUpdatePatientIndexedColumns(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tr := storetest.NewTrust(t, db, "RUI")
		clerk := tr.Actor(crs.RoleClerk)
		ctx := context.Background()
		pats := store.NewPatientService(db)
		p := newPatient("Smith", "Anne", crs.NewDate(1970, 1, 1), "9990000018", "SW1A 1AA", "2")
		if err := pats.RegisterPatient(ctx, clerk, p); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			change func(p *crs.Patient)
		}{
			{"address only", func(p *crs.Patient) { p.Address.Lines = []string{"2 Low Road", "Leeds"} }},
			{"family name", func(p *crs.Patient) { p.FamilyName = "Jones" }},
			{"given name", func(p *crs.Patient) { p.GivenName = "Beth" }},
			{"date of birth", func(p *crs.Patient) { p.BirthDate = crs.NewDate(1971, 2, 3) }},
			{"NHS number", func(p *crs.Patient) { p.NHSNumber = "9990000026" }},
			{"all of them", func(p *crs.Patient) {
				p.FamilyName, p.GivenName, p.BirthDate, p.NHSNumber = "Brown", "Cara", crs.NewDate(1972, 3, 4), "9990000034"
			}},
			{"phone only, after all", func(p *crs.Patient) { p.Phone = "020 7946 0000" }},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				cur, err := pats.FindPatient(ctx, clerk, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				tc.change(cur)
				if err := pats.UpdatePatient(ctx, clerk, cur); err != nil {
					t.Fatal(err)
				}
				var nhsNumber, birth, familyNorm, familyKey, givenNorm string
				if err := db.Reader().QueryRowContext(ctx, `SELECT nhs_number, birth_date, family_norm, family_key, given_norm FROM patients WHERE id = $1`, p.ID).
					Scan(&nhsNumber, &birth, &familyNorm, &familyKey, &givenNorm); err != nil {
					t.Fatal(err)
				}
				want := [5]string{cur.NHSNumber, cur.BirthDate.String(), match.Normalize(cur.FamilyName), match.Key(cur.FamilyName), match.Normalize(cur.GivenName)}
				if got := [5]string{nhsNumber, birth, familyNorm, familyKey, givenNorm}; got != want {
					t.Errorf("indexed columns (NHS number, birth date, family, family key, given) = %q, want %q", got, want)
				}
				found, err := pats.FindPatientByIdentifier(ctx, clerk, "nhs", cur.NHSNumber)
				if err != nil || found.ID != p.ID {
					t.Errorf("look-up by the NHS number %s: %v, %v", cur.NHSNumber, found, err)
				}
			})
		}
	})
}
