package demo_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
	svc := services(db)
	const n = 2000
	var last, total int
	res, err := demo.Seed(ctx, svc, demo.Options{Patients: n, Seed: 7, Progress: func(d, tot int) { last, total = d, tot }})
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

			// Every role has a user who can log in with the demo password,
			// but for the interface, a system that never logs in to the web.
			if len(tr.Users) != len(crs.Roles()) {
				t.Errorf("users = %d, want one per role (%d)", len(tr.Users), len(crs.Roles()))
			}
			for _, u := range tr.Users {
				got, err := us.Authenticate(ctx, u.Username, demo.Password)
				if !u.Role.PersonRole() {
					if crs.ErrorCode(err) != crs.EUNAUTHORIZED {
						t.Errorf("log in as %s (a system): %v, want refused", u.Username, err)
					}
					continue
				}
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
	again, err := demo.Seed(ctx, svc, demo.Options{Patients: n, Seed: 7})
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
	g := demo.NewGenerator(1)
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

// TestSeedFinishesWhatAnEarlierRunLeft seeds part of the demo, as a run
// that asked for fewer patients or was stopped part way leaves it, seeds
// again, and checks that every trust ends with all its patients, each
// registered once: exactly those a single run would have registered.
func TestSeedFinishesWhatAnEarlierRunLeft(t *testing.T) {
	n := store.ImportBatchSize * 3 / 2 // more than one batch, so a stop leaves part
	stopAfterFirstBatch := func(ctx context.Context, db *store.DB) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		_, err := demo.Seed(ctx, services(db), demo.Options{Patients: n, Seed: 7, Progress: func(done, _ int) {
			if done >= store.ImportBatchSize {
				cancel()
			}
		}})
		if err == nil {
			t.Fatal("first seed was not stopped")
		}
	}
	tests := []struct {
		name  string
		first func(ctx context.Context, db *store.DB) // leaves the demo part way
		later int                                     // days between the runs
	}{
		{"an earlier run asked for fewer", func(ctx context.Context, db *store.DB) {
			if _, err := demo.Seed(ctx, services(db), demo.Options{Patients: 700, Seed: 7}); err != nil {
				t.Fatalf("first seed: %v", err)
			}
		}, 0},
		{"an earlier run was stopped after its first batch, the day before", stopAfterFirstBatch, 1},
		{"an earlier run was stopped after its first batch, 40 days before", stopAfterFirstBatch, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clock := crs.NewFixedClock(storetest.Epoch)
			db := storetest.OpenSQLite(t, clock)
			tc.first(ctx, db)
			clock.Advance(time.Duration(tc.later) * 24 * time.Hour)
			before := map[string]int{}
			for _, ods := range []string{demo.NorthgateODS, demo.RiversideODS} {
				before[ods] = countPatients(t, db, ods)
			}
			if before[demo.NorthgateODS] == 0 || before[demo.NorthgateODS] >= n {
				t.Fatalf("the first run left %v patients; want part of %d at %s", before, n, demo.NorthgateODS)
			}

			var said []string
			res, err := demo.Seed(ctx, services(db), demo.Options{Patients: n, Seed: 7, Say: func(m string) { said = append(said, m) }})
			if err != nil {
				t.Fatalf("second seed: %v", err)
			}
			allNHS := map[string]string{}
			for _, tr := range res.Trusts {
				ods := tr.Org.ODSCode
				found := before[ods]
				if found >= n {
					found = 0
				}
				if tr.Patients != n || tr.Found != found || tr.Added != n-before[ods] {
					t.Errorf("%s: patients %d, found %d, added %d; want %d, %d, %d", ods, tr.Patients, tr.Found, tr.Added, n, found, n-before[ods])
				}
				if got := countPatients(t, db, ods); got != n {
					t.Errorf("%s holds %d patients, want %d", ods, got, n)
				}
				if found > 0 {
					want := fmt.Sprintf("%s: found %s of %s patients from an earlier run", ods, thousands(found), thousands(n))
					if !containsLine(said, want) {
						t.Errorf("second run said %q; want a line with %q", said, want)
					}
				}

				// The trust holds the patients one run would have drawn,
				// each once: the same NHS numbers, and on the same day the
				// same people.
				ps, _, err := demo.TrustPatients(ods, 7, n, crs.DateOf(clock.Now()))
				if err != nil {
					t.Fatal(err)
				}
				want, wantNHS := map[string]int{}, map[string]int{}
				for _, p := range ps {
					want[p.FamilyName+"|"+p.GivenName+"|"+p.BirthDate.String()+"|"+p.NHSNumber]++
					if p.NHSNumber != "" {
						wantNHS[p.NHSNumber]++
					}
				}
				got, gotNHS := map[string]int{}, map[string]int{}
				rows, err := db.Reader().QueryContext(ctx, `SELECT p.family_name, p.given_name, p.birth_date, p.nhs_number FROM patients p JOIN organisations o ON o.id = p.org_id WHERE o.ods_code = $1`, ods)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var family, given, birth, nhs string
					if err := rows.Scan(&family, &given, &birth, &nhs); err != nil {
						t.Fatal(err)
					}
					got[family+"|"+given+"|"+birth+"|"+nhs]++
					if nhs == "" {
						continue
					}
					gotNHS[nhs]++
					if other, ok := allNHS[nhs]; ok && other != ods {
						t.Errorf("NHS number %s given at %s and %s", nhs, other, ods)
					}
					allNHS[nhs] = ods
				}
				rows.Close()
				if diff := cmp.Diff(wantNHS, gotNHS); diff != "" {
					t.Errorf("%s NHS numbers (-one run +two runs):\n%s", ods, diff)
				}
				if tc.later == 0 {
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s patients (-one run +two runs):\n%s", ods, diff)
					}
				}
			}
		})
	}
}

func countPatients(t *testing.T, db *store.DB, ods string) int {
	t.Helper()
	var n int
	err := db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM patients p JOIN organisations o ON o.id = p.org_id WHERE o.ods_code = $1`, ods).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func containsLine(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// thousands writes n as the console does, with commas: 2,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n >= 1000 {
		s = s[:len(s)-3] + "," + s[len(s)-3:]
	}
	return s
}

// services are the demo's services over a test database.
func services(db *store.DB) demo.Services {
	return demo.Services{Organisations: store.NewOrganisationService(db), Users: store.NewUserService(db), Patients: db, Clock: db.Clock}
}
