package store_test

import (
	"context"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestFindDuplicatesEachWay registers patients each findable as a
// duplicate one way only (the same NHS number, the same date of birth,
// the same sounding family name and postcode) and checks the look for
// duplicates finds each, and no one for a patient with none of these.
func TestFindDuplicatesEachWay(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RAA")
		ps := store.NewPatientService(db)
		clerk := tr.Actor(crs.RoleClerk)
		byNHS := newPatient("Brown", "Ann", crs.NewDate(1950, 1, 1), "9990000034", "E1 6AN", "2")
		byBirth := newPatient("Taylor", "Bob", crs.NewDate(1975, 7, 7), "", "", "1")
		byPostcode := newPatient("Smith", "John", crs.NewDate(1980, 2, 3), "", "LS1 4AB", "1")
		for _, p := range []*crs.Patient{byNHS, byBirth, byPostcode} {
			if err := ps.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name string
			p    *crs.Patient
			want string // the id of the one duplicate found, "" for none
		}{
			{"NHS number", newPatient("Green", "Bob", crs.NewDate(1960, 6, 6), "999 000 0034", "", "1"), byNHS.ID},
			{"date of birth", newPatient("Tailor", "Bob", crs.NewDate(1975, 7, 7), "", "", "1"), byBirth.ID},
			{"family name and postcode", newPatient("Smyth", "John", crs.NewDate(1981, 2, 3), "", "ls1 4ab", "1"), byPostcode.ID},
			{"none", newPatient("Okonkwo", "Chidi", crs.NewDate(2001, 9, 9), "", "", "1"), ""},
		} {
			got, err := ps.FindDuplicates(ctx, clerk, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, m := range got {
				ids = append(ids, m.Patient.ID)
			}
			if tc.want == "" && len(ids) != 0 || tc.want != "" && (len(ids) != 1 || ids[0] != tc.want) {
				t.Errorf("%s: found %v, want [%s]", tc.name, ids, tc.want)
			}
		}
	})
}
