package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/match"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	db := storetest.OpenSQLite(t, crs.NewFixedClock(storetest.Epoch))
	const n = 2000
	var last, total int
	res, err := demo.Seed(ctx, db, demo.Options{Patients: n, Seed: 7, Progress: func(d, tot int) { last, total = d, tot }})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	if last != 2*n || total != 2*n {
		t.Errorf("progress ended at %d of %d, want %d of %d", last, total, 2*n, 2*n)
	}
	if len(res.Trusts) != 2 {
		t.Fatalf("trusts = %d, want 2", len(res.Trusts))
	}
	ps := store.NewPatientService(db)
	us := store.NewUserService(db)
	for _, tr := range res.Trusts {
		t.Run(tr.Org.ODSCode, func(t *testing.T) {
			if !tr.Created || tr.Patients != n || tr.Added != n {
				t.Errorf("created %v, patients %d, added %d; want true, %d, %d", tr.Created, tr.Patients, tr.Added, n, n)
			}
			sys := crs.SystemActor(tr.Org.ID)
			locs, err := store.NewOrganisationService(db).FindLocations(ctx, sys, "")
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[crs.LocationKind]int{}
			for _, l := range locs {
				kinds[l.Kind]++
			}
			if len(locs) != tr.Locations || kinds[crs.LocationSite] != 2 || kinds[crs.LocationWard] < 16 ||
				kinds[crs.LocationBed] < 16*20 || kinds[crs.LocationClinicRoom] == 0 || kinds[crs.LocationED] == 0 {
				t.Errorf("locations %d (result says %d) by kind %v", len(locs), tr.Locations, kinds)
			}

			// Every role has a user who can log in with the demo password.
			if len(tr.Users) != len(crs.Roles()) {
				t.Errorf("users = %d, want one per role (%d)", len(tr.Users), len(crs.Roles()))
			}
			for _, u := range tr.Users {
				got, err := us.Authenticate(ctx, u.Username, demo.Password)
				if err != nil || got.Role != u.Role || got.OrgID != tr.Org.ID {
					t.Errorf("log in as %s: %v, %+v", u.Username, err, got)
				}
			}

			// Every NHS number is valid, in the test range and held once.
			rows, err := db.Reader().QueryContext(ctx, `SELECT nhs_number, nhs_status, death_time FROM patients WHERE org_id = $1`, tr.Org.ID)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			status := map[string]int{}
			deaths := 0
			for rows.Next() {
				var num, st, death string
				if err := rows.Scan(&num, &st, &death); err != nil {
					t.Fatal(err)
				}
				status[st]++
				if death != "" {
					deaths++
				}
				if num == "" {
					continue
				}
				if !nhs.ValidNumber(num) || !nhs.InTestRange(num) {
					t.Errorf("NHS number %s is not a valid test-range number", num)
				}
				if seen[num] {
					t.Errorf("NHS number %s given twice", num)
				}
				seen[num] = true
			}
			rows.Close()
			t.Logf("NHS number status %v, %d deaths, %d duplicates", status, deaths, len(tr.Duplicates))
			if none := status["03"] + status["07"]; none < n*2/100 || none > n*6/100 {
				t.Errorf("%d patients without NHS number, want about 3%% (plus duplicates) of %d", none, n)
			}
			if status["02"] < n*5/100 || status["02"] > n*11/100 {
				t.Errorf("%d patients with status 02, want about 8%% of %d", status["02"], n)
			}
			if deaths == 0 {
				t.Errorf("no deaths")
			}

			// The deliberate duplicates are found as likely duplicates.
			if len(tr.Duplicates) == 0 {
				t.Fatal("no deliberate duplicates")
			}
			analyst := crs.ActorFor(tr.Users[3], "data quality")
			for _, d := range tr.Duplicates {
				dups, err := ps.FindDuplicates(ctx, analyst, d.Duplicate)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, m := range dups {
					if m.Patient.ID == d.Original.ID && m.Score >= match.Likely {
						found = true
					}
				}
				if !found {
					t.Errorf("duplicate (%s) of %s not found: %v", d.How, d.Original.MRN, dups)
				}
			}
		})
	}

	// A second run reuses everything and adds nothing.
	again, err := demo.Seed(ctx, db, demo.Options{Patients: n, Seed: 7})
	if err != nil {
		t.Fatalf("second seed: %v", err)
	}
	for i, tr := range again.Trusts {
		if tr.Created || tr.Added != 0 || tr.Patients != n || tr.Org.ID != res.Trusts[i].Org.ID || tr.Locations != res.Trusts[i].Locations {
			t.Errorf("second run %s: created %v, added %d, patients %d, locations %d", tr.Org.ODSCode, tr.Created, tr.Added, tr.Patients, tr.Locations)
		}
		for j, u := range tr.Users {
			if u.ID != res.Trusts[i].Users[j].ID {
				t.Errorf("user %s made again", u.Username)
			}
		}
	}
	for _, table := range []string{"organisations", "locations", "users"} {
		var c int
		db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&c)
		t.Logf("%s: %d", table, c)
	}
	var b strings.Builder
	again.WriteTo(&b)
	if !strings.Contains(b.String(), "clerk.zxn") || !strings.Contains(b.String(), demo.Password) {
		t.Errorf("result text does not say how to log in:\n%s", b.String())
	}
}

func TestGeneratorDeterministic(t *testing.T) {
	a, b := demo.NewGenerator(42), demo.NewGenerator(42)
	for i := 0; i < 500; i++ {
		p, q := a.Patient(), b.Patient()
		if p.FamilyName != q.FamilyName || p.NHSNumber != q.NHSNumber || !p.BirthDate.Equal(q.BirthDate.Time) || p.Address.String() != q.Address.String() {
			t.Fatalf("patient %d differs: %+v and %+v", i, p, q)
		}
	}
}

func TestGeneratorPatientsAreValid(t *testing.T) {
	for _, tc := range []struct {
		name  string
		today crs.Date
	}{
		{"new year's day", crs.NewDate(2026, time.January, 1)},
		// Late in the year a baby's day and month of birth swapped by a
		// deliberate duplicate can fall after today.
		{"early December", crs.NewDate(2026, time.December, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := demo.NewGenerator(1)
			g.Today = tc.today
			now := g.Today.AddDate(0, 0, 1)
			ages := map[int]int{}
			for i := 0; i < 20000; i++ {
				p := g.Patient()
				p.Normalize()
				if err := p.Validate(now); err != nil {
					t.Fatalf("patient %d invalid: %v\n%+v", i, err, p)
				}
				ages[p.BirthDate.AgeOn(g.Today.Time)/20]++
			}
			t.Logf("ages by 20 years: %v", ages)
			if ages[0] < ages[4] || ages[4] == 0 {
				t.Errorf("age pyramid %v: want more under-20s than 80-99s, and some of both", ages)
			}
		})
	}
}

func TestGeneratorNHSNumbersRunOut(t *testing.T) {
	g := demo.NewGenerator(3)
	seen := map[string]bool{}
	for {
		n := g.NHSNumber()
		if n == "" {
			break
		}
		if seen[n] || !nhs.ValidNumber(n) || !nhs.InTestRange(n) {
			t.Fatalf("NHS number %s repeated or invalid", n)
		}
		seen[n] = true
	}
	if len(seen) < 900_000 {
		t.Errorf("%d NHS numbers, want all the test range's (about 909,000)", len(seen))
	}
}
