package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestScanPatients pages through a trust's patients in id order: every
// patient once, each page after the last of the one before, a patient
// registered meanwhile found on a later page, another trust's never, and
// a bad cursor refused.
func TestScanPatients(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		ta, tb := storetest.NewTrust(t, db, "RAA"), storetest.NewTrust(t, db, "RBB")
		ps := store.NewPatientService(db)
		clerk := ta.Actor(crs.RoleClerk)
		var want []string
		for i := range 23 {
			p := newPatient(fmt.Sprintf("List%02d", i), "Alex", crs.NewDate(1950+i, time.March, 1), "", "", "1")
			if err := ps.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
			want = append(want, p.ID)
		}
		other := newPatient("Other", "Trust", crs.NewDate(1960, time.May, 5), "", "", "2")
		if err := ps.RegisterPatient(ctx, tb.Actor(crs.RoleClerk), other); err != nil {
			t.Fatal(err)
		}
		var got []string
		cursor, pages := "", 0
		for {
			page, next, err := ps.ScanPatients(ctx, clerk, crs.PatientScan{After: cursor, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > 5 {
				t.Fatalf("page of %d, limit 5", len(page))
			}
			for _, p := range page {
				if p.OrgID != ta.Org.ID {
					t.Errorf("listed %s of another trust", p.ID)
				}
				got = append(got, p.ID)
			}
			pages++
			if pages == 2 {
				// Registered while paging: its id is the greatest, so a later
				// page lists it.
				late := newPatient("Late", "Alex", crs.NewDate(1990, time.June, 6), "", "", "1")
				if err := ps.RegisterPatient(ctx, clerk, late); err != nil {
					t.Fatal(err)
				}
				want = append(want, late.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("listed %v,\nwant %v", got, want)
		}
		if _, _, err := ps.ScanPatients(ctx, clerk, crs.PatientScan{After: "a|b"}); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("a bad cursor: %v, want EINVALID", err)
		}
	})
}
