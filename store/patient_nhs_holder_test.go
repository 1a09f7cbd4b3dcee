package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestRegisterNHSNumberHeld: a registration with an NHS number a live
// patient of the trust holds is refused, naming that patient's hospital
// number, however many records merged into others also hold the number
// (more than the probe of the number's holders reads, the live one
// last); one that only merged records hold is registered.
func TestRegisterNHSNumberHeld(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tr := storetest.NewTrust(t, db, "RNH")
		clerk := tr.Actor(crs.RoleClerk)
		ctx := context.Background()
		pats := store.NewPatientService(db)
		tests := []struct {
			name         string
			nhs          string
			merged, live int // records holding the number, merged first
		}{
			{"a live holder", "9990000018", 0, 1},
			{"a live holder after one merged", "9990000026", 1, 1},
			{"a live holder after many merged", "9990000034", 5, 1},
			{"merged holders only", "9990000042", 5, 0},
			{"no holder", "9990000050", 0, 0},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				holder := func(j int, merged bool) {
					into, mrn := "", fmt.Sprintf("H%02d%02d", i, j)
					if merged {
						into = "someone-else"
					}
					err := db.ExecSchema(ctx, fmt.Sprintf(`INSERT INTO patients (id, org_id, mrn, nhs_number, nhs_status, given_name, family_name, birth_date, gender,
						version, created_at, updated_at, family_norm, family_key, given_norm, merged_into)
						VALUES ('held-%d-%d', '%s', '%s', '%s', '01', 'ANNE', 'HELD', '1980-01-01', 'F', 1, '2026-03-02T09:00:00Z', '2026-03-02T09:00:00Z',
						'HELD', 'H430', 'ANNE', '%s')`, i, j, tr.Org.ID, mrn, tc.nhs, into))
					if err != nil {
						t.Fatal(err)
					}
				}
				for j := range tc.merged {
					holder(j, true)
				}
				if tc.live > 0 {
					holder(tc.merged, false)
				}
				p := newPatient("New", "Ann", crs.NewDate(1970, 1, 1), tc.nhs, "", "2")
				err := pats.RegisterPatient(ctx, clerk, p)
				if tc.live == 0 {
					if err != nil {
						t.Fatalf("registration with a number no live patient holds: %v", err)
					}
					return
				}
				want := fmt.Sprintf("H%02d%02d", i, tc.merged)
				if crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(err.Error(), want) {
					t.Fatalf("registration with a number %s holds: %v, want a conflict naming %s", want, err, want)
				}
			})
		}
	})
}
