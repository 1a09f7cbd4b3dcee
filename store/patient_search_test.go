package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/match"
	"github.com/opencrs/crs/match/matchtest"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSearchPatientsSpelling registers the commonest British family names
// and searches for misspellings of them: the intended name comes first,
// all patients of it before other names of the same sound, every match is
// counted and the pages hold each of them once.
func TestSearchPatientsSpelling(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RAA")
		ps := store.NewPatientService(db)
		clerk := tr.Actor(crs.RoleClerk)
		var registered []*crs.Patient
		register := func(family, given string) {
			t.Helper()
			i := len(registered)
			p := newPatient(family, given, crs.NewDate(1940+i%60, time.Month(1+i%12), 1+i%28), "", "", []string{"1", "2"}[i%2])
			if err := ps.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatalf("register %s %s: %v", family, given, err)
			}
			registered = append(registered, p)
		}
		for _, n := range matchtest.Surnames() {
			register(n, "Alex")
		}
		// More Smiths than one page holds, and names that sound like them.
		for i := range 54 {
			register("Smith", fmt.Sprintf("Given%02d", i))
		}
		for _, n := range []string{"Snaith", "Smeed", "Sent", "Johns", "Jonas", "Janes"} {
			register(n, "Alex")
		}

		t.Run("misspelt names find the intended name first", func(t *testing.T) {
			cases := matchtest.Misspellings()
			if len(cases) < 100 {
				t.Fatalf("%d misspellings, want at least 100", len(cases))
			}
			for _, c := range cases {
				typed, want := c.Typed, c.Want
				res, err := ps.SearchPatients(ctx, clerk, crs.PatientQuery{Text: typed})
				if err != nil {
					t.Fatalf("search %q: %v", typed, err)
				}
				if len(res.Matches) == 0 || res.Matches[0].Patient.FamilyName != want {
					var got []string
					for _, m := range res.Matches[:min(3, len(res.Matches))] {
						got = append(got, fmt.Sprintf("%s %d", m.Patient.FamilyName, m.Score))
					}
					t.Errorf("search %q: first %v, want %s", typed, got, want)
				}
			}
		})

		t.Run("every patient of the closest name before other names of the same sound", func(t *testing.T) {
			for _, tc := range []struct {
				typed, want string
				n           int
			}{{"smyth", "Smith", 55}, {"jonse", "Jones", 1}} {
				res, err := ps.SearchPatients(ctx, clerk, crs.PatientQuery{Text: tc.typed, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Matches) <= tc.n {
					t.Fatalf("search %q found %d, want more than the %d %ss", tc.typed, len(res.Matches), tc.n, tc.want)
				}
				for i, m := range res.Matches {
					if (i < tc.n) != (m.Patient.FamilyName == tc.want) {
						t.Fatalf("search %q: result %d is %s; want the %d %ss first, then the rest", tc.typed, i+1, m.Patient.FamilyName, tc.n, tc.want)
					}
				}
			}
		})

		t.Run("all matches are counted and paged", func(t *testing.T) {
			// What the search must find: every name that sounds like
			// Smith or starts with it.
			want := map[string]bool{}
			for _, p := range registered {
				if match.Key(p.FamilyName) == match.Key("smith") || strings.HasPrefix(match.Normalize(p.FamilyName), "SMITH") {
					want[p.ID] = true
				}
			}
			got := map[string]bool{}
			for offset := 0; offset < len(want)+50; offset += 50 {
				res, err := ps.SearchPatients(ctx, clerk, crs.PatientQuery{Text: "smith", Limit: 50, Offset: offset})
				if err != nil {
					t.Fatal(err)
				}
				if res.Total != len(want) || res.Offset != offset {
					t.Fatalf("offset %d: total %d offset %d, want total %d", offset, res.Total, res.Offset, len(want))
				}
				if wantN := max(0, min(50, len(want)-offset)); len(res.Matches) != wantN || res.More() != max(0, len(want)-offset-50) {
					t.Fatalf("offset %d: %d shown, %d more; want %d shown", offset, len(res.Matches), res.More(), wantN)
				}
				for _, m := range res.Matches {
					if got[m.Patient.ID] || !want[m.Patient.ID] {
						t.Errorf("offset %d: %s %s shown twice or not a match", offset, m.Patient.FamilyName, m.Patient.GivenName)
					}
					got[m.Patient.ID] = true
				}
			}
			if len(got) != len(want) {
				t.Errorf("pages held %d patients, want %d", len(got), len(want))
			}
		})

		// A family name shared by more patients than a page holds lists
		// the live records first and a merged record after them all,
		// though it sorts first by given name, on every page.
		t.Run("a merged record after the live ones of its name", func(t *testing.T) {
			var ps25 []*crs.Patient
			for i := range 25 {
				p := newPatient("Okonjo", fmt.Sprintf("Given%02d", i), crs.NewDate(1950+i, 1, 1), "", "", "1")
				if err := ps.RegisterPatient(ctx, clerk, p); err != nil {
					t.Fatal(err)
				}
				ps25 = append(ps25, p)
			}
			// Given00 merged into Given24.
			if err := ps.MergePatients(ctx, tr.Actor(crs.RoleAnalyst), ps25[24].ID, ps25[0].ID, "same person"); err != nil {
				t.Fatal(err)
			}
			var got []string
			for page := range 2 {
				res, err := ps.SearchPatients(ctx, clerk, crs.PatientQuery{Text: "okonjo", Limit: 20, Offset: 20 * page})
				if err != nil {
					t.Fatal(err)
				}
				if res.Total != 25 {
					t.Errorf("page %d: total %d, want 25", page+1, res.Total)
				}
				for _, m := range res.Matches {
					got = append(got, m.Patient.GivenName)
				}
			}
			var want []string
			for i := 1; i < 25; i++ {
				want = append(want, fmt.Sprintf("Given%02d", i))
			}
			want = append(want, "Given00")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("given names of the pages (-want +got):\n%s", diff)
			}
		})
	})
}

// TestSearchPatientsMoreThanRead checks a search matching more patients
// than it reads to rank: the closest names are read first, every match
// is counted, and a later page reads as far as it needs.
func TestSearchPatientsMoreThanRead(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RAA")
		ps := store.NewPatientService(db)
		ps.CandidateLimit = 10
		clerk := tr.Actor(crs.RoleClerk)
		var ids []string
		for i, fam := range slices.Concat([]string{"Smyth"}, slices.Repeat([]string{"Snaith"}, 30), slices.Repeat([]string{"Smith"}, 30)) {
			p := newPatient(fam, fmt.Sprintf("Given%02d", i), crs.NewDate(1950+i, 1, 1), "", "", "1")
			if err := ps.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
		seen := map[string]bool{}
		for page := 0; page < 4; page++ {
			res, err := ps.SearchPatients(ctx, clerk, crs.PatientQuery{Text: "smyth", Limit: 20, Offset: 20 * page})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != 61 {
				t.Fatalf("page %d: total %d, want all 61 counted", page+1, res.Total)
			}
			var got []string
			for _, m := range res.Matches {
				got = append(got, m.Patient.FamilyName)
				if seen[m.Patient.ID] {
					t.Errorf("page %d shows %s %s again", page+1, m.Patient.FamilyName, m.Patient.GivenName)
				}
				seen[m.Patient.ID] = true
			}
			// Smyth, then every Smith (the closer spelling), then the Snaiths.
			var want []string
			for i := 20 * page; i < min(61, 20*page+20); i++ {
				switch {
				case i == 0:
					want = append(want, "Smyth")
				case i <= 30:
					want = append(want, "Smith")
				default:
					want = append(want, "Snaith")
				}
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("page %d = %v, want %v", page+1, got, want)
			}
		}
		if len(seen) != len(ids) {
			t.Errorf("the pages showed %d patients, want %d", len(seen), len(ids))
		}
	})
}

// TestSearchPatientsGivenNameReadsTheBest checks that a search by family
// and given name, which reads only the patients whose names can reach the
// page asked for, shows the pages a ranking of every patient would: the
// given name typed and names alike to it first, from any of the family
// names alike, then the rest of the most common name, and counts them all.
func TestSearchPatientsGivenNameReadsTheBest(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RAB")
		ps := store.NewPatientService(db)
		clerk := tr.Actor(crs.RoleClerk)
		givens := []string{"John", "Jon", "Joan", "Mary", "Peter", "Johnny", "Ann", "Sean"}
		var all []*crs.Patient
		for i := range 90 {
			fam := []string{"Smith", "Smith", "Smith", "Smyth", "Smithe", "Snaith"}[i%6]
			p := newPatient(fam, givens[i%len(givens)], crs.NewDate(1940+i%60, 1+time.Month(i%12), 1+i%28), "", "", "1")
			if i%17 == 0 {
				p.Address.Postcode = "LS1 4AP"
			}
			if err := ps.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
			all = append(all, p)
		}
		for _, text := range []string{"smith john", "smyth jon", "smith mary LS1 4AP", "smith john LS1 4AP"} {
			q := crs.PatientQuery{Text: text}
			q.ParseText()
			rank := match.NewRanker(q)
			var want []crs.PatientMatch
			for _, p := range all {
				fam, given := match.Normalize(q.FamilyName), match.Normalize(q.GivenName)
				starts := strings.HasPrefix(match.Normalize(p.FamilyName), fam) && strings.HasPrefix(match.Normalize(p.GivenName), given)
				if !match.Alike(fam, p.FamilyName) && !starts {
					continue
				}
				score, why := rank.Rank(p)
				want = append(want, crs.PatientMatch{Patient: p, Score: score, Reasons: why})
			}
			rank.Sort(want)
			// A small page reads least: a patient of a name further down
			// can outrank it by the postcode.
			for _, size := range []int{10, 3} {
				for page := 0; page*size < len(want); page++ {
					res, err := ps.SearchPatients(ctx, clerk, crs.PatientQuery{Text: text, Limit: size, Offset: size * page})
					if err != nil {
						t.Fatal(err)
					}
					var got, wantPage []string
					for _, m := range res.Matches {
						got = append(got, fmt.Sprintf("%s %s %d", m.Patient.FamilyName, m.Patient.GivenName, m.Score))
					}
					for _, m := range want[size*page : min(len(want), size*page+size)] {
						wantPage = append(wantPage, fmt.Sprintf("%s %s %d", m.Patient.FamilyName, m.Patient.GivenName, m.Score))
					}
					if diff := cmp.Diff(wantPage, got); diff != "" {
						t.Errorf("%q page %d of %d (-want +got):\n%s", text, page+1, size, diff)
					}
					if res.Total < len(want) {
						t.Errorf("%q: total %d, want at least the %d alike", text, res.Total, len(want))
					}
				}
			}
		}
	})
}

// TestSearchPatientsListed checks that every kind of search gives each
// match the fields the result list shows and ranking weighs, as the
// record holds them.
func TestSearchPatientsListed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RAA")
		ps := store.NewPatientService(db)
		clerk := tr.Actor(crs.RoleClerk)
		p := newPatient("Okafor", "Adaeze", crs.NewDate(1971, time.March, 4), "9990000018", "E1 6AN", "2")
		p.Title, p.OtherNames, p.Phone, p.Email = "Dr", "Ngozi", "020 7946 0000", "a.okafor@example.nhs.uk"
		if err := ps.RegisterPatient(ctx, clerk, p); err != nil {
			t.Fatal(err)
		}
		rec, err := ps.FindPatient(ctx, clerk, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := &crs.Patient{ID: rec.ID, OrgID: rec.OrgID, MRN: rec.MRN, NHSNumber: rec.NHSNumber, NHSNumberStatus: rec.NHSNumberStatus,
			Title: "Dr", GivenName: "Adaeze", OtherNames: "Ngozi", FamilyName: "Okafor", BirthDate: rec.BirthDate, Gender: "2",
			Address: crs.Address{Postcode: "E1 6AN"}}
		for _, tc := range []struct{ name, text string }{
			{"NHS number", "999 000 0018"},
			{"hospital number", rec.MRN},
			{"family name", "okafor"},
			{"family name begun", "oka"},
			{"family and given name", "okafor adaeze"},
			{"name and date of birth", "okafor 04/03/1971"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := ps.SearchPatients(ctx, clerk, crs.PatientQuery{Text: tc.text})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Matches) != 1 {
					t.Fatalf("%d matches, want 1", len(res.Matches))
				}
				if diff := cmp.Diff(want, res.Matches[0].Patient); diff != "" {
					t.Errorf("match (-want +got):\n%s", diff)
				}
			})
		}
	})
}

// TestSearchPatientsFamilyParts: a search by family name finds a patient
// by the last part of a family name of several, spaced or hyphenated, as
// a clerk types either name of a double-barrelled one: alone, with a
// given name, with a date of birth, and as the search box takes it; the
// part is kept as the name changes.
func TestSearchPatientsFamilyParts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RAA")
		ps := store.NewPatientService(db)
		clerk := tr.Actor(crs.RoleClerk)
		maria := newPatient("Carreno Quinones", "Maria", crs.NewDate(1981, 3, 3), "", "", "2")
		ann := newPatient("Smythe-Jones", "Ann", crs.NewDate(1970, 5, 1), "", "", "2")
		bob := newPatient("Jones", "Bob", crs.NewDate(1960, 7, 8), "", "", "1")
		for _, p := range []*crs.Patient{maria, ann, bob} {
			if err := ps.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
		}
		found := func(q crs.PatientQuery) []string {
			t.Helper()
			res, err := ps.SearchPatients(ctx, clerk, q)
			if err != nil {
				t.Fatalf("search %+v: %v", q, err)
			}
			var got []string
			for _, m := range res.Matches {
				got = append(got, m.Patient.FamilyName)
			}
			slices.Sort(got)
			return got
		}
		for _, tc := range []struct {
			q    crs.PatientQuery
			want []string
		}{
			{crs.PatientQuery{FamilyName: "Quinones"}, []string{"Carreno Quinones"}},
			{crs.PatientQuery{FamilyName: "Quin"}, []string{"Carreno Quinones"}},
			{crs.PatientQuery{FamilyName: "Quinones", GivenName: "Maria"}, []string{"Carreno Quinones"}},
			{crs.PatientQuery{FamilyName: "Quinones", BirthDate: crs.NewDate(1981, 3, 3)}, []string{"Carreno Quinones"}},
			{crs.PatientQuery{Text: "quinones"}, []string{"Carreno Quinones"}},
			{crs.PatientQuery{FamilyName: "Jones"}, []string{"Jones", "Smythe-Jones"}},
			{crs.PatientQuery{FamilyName: "Jones", GivenName: "Ann"}, []string{"Jones", "Smythe-Jones"}}, // every Jones sounds like it, Bob too
			{crs.PatientQuery{FamilyName: "Jon", GivenName: "Ann"}, []string{"Smythe-Jones"}},
			{crs.PatientQuery{FamilyName: "Jones", BirthDate: crs.NewDate(1970, 5, 1)}, []string{"Smythe-Jones"}},
		} {
			if got := found(tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("search %+v: %q, want %q", tc.q, got, tc.want)
			}
		}
		// A change of name changes the part kept.
		ann.FamilyName = "Smythe-Evans"
		if err := ps.UpdatePatient(ctx, clerk, ann); err != nil {
			t.Fatal(err)
		}
		if got := found(crs.PatientQuery{FamilyName: "Jones"}); !slices.Equal(got, []string{"Jones"}) {
			t.Errorf("Jones after Smythe-Jones became Smythe-Evans: %q", got)
		}
		if got := found(crs.PatientQuery{FamilyName: "Evans"}); !slices.Equal(got, []string{"Smythe-Evans"}) {
			t.Errorf("Evans: %q, want Smythe-Evans", got)
		}
	})
}
