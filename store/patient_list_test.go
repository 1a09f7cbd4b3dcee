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

// TestListPatients lists a trust of 3,000 patients by a family name's
// start in the orders a FHIR _sort asks for, a page at a time, and
// checks the pages together are every match in order, each once, each
// page saying whether more follow (and how many match, when it counts);
// and
// that the database reads the matches through the index of the names
// (or of the birth dates), never every patient of the trust, and sorts
// no more than the matches.
func TestListPatients(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RLS")
		gen := demo.NewGenerator(5)
		ps := make([]*crs.Patient, 3000)
		for i := range ps {
			ps[i] = gen.Patient()
		}
		if _, err := db.LoadPatients(ctx, tr.System, ps, crs.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		svc := store.NewPatientService(db)
		a := tr.Actor(crs.RoleClerk)
		prefix := match.Normalize(ps[0].FamilyName)[:2]
		var want []*crs.Patient
		for _, p := range ps {
			if strings.HasPrefix(match.Normalize(p.FamilyName), prefix) {
				want = append(want, p)
			}
		}
		if len(want) < 25 {
			t.Fatalf("only %d patients' family names start %s", len(want), prefix)
		}
		for _, tc := range []struct {
			name string
			sort []crs.PatientSort
			cmp  func(a, b *crs.Patient) int
		}{
			{"birth date descending, given", []crs.PatientSort{{Key: "birth_date", Desc: true}, {Key: "given"}}, func(a, b *crs.Patient) int {
				return cmp.Or(strings.Compare(b.BirthDate.String(), a.BirthDate.String()), strings.Compare(match.Normalize(a.GivenName), match.Normalize(b.GivenName)))
			}},
			{"name", []crs.PatientSort{{Key: "name"}}, func(a, b *crs.Patient) int {
				return cmp.Or(strings.Compare(match.Normalize(a.FamilyName), match.Normalize(b.FamilyName)), strings.Compare(match.Normalize(a.GivenName), match.Normalize(b.GivenName)))
			}},
			{"gender, birth date", []crs.PatientSort{{Key: "gender"}, {Key: "birth_date"}}, func(a, b *crs.Patient) int {
				order := map[string]int{"2": 1, "1": 2, "9": 3}
				rank := func(p *crs.Patient) int { return cmp.Or(order[p.Gender], 4) }
				return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a.BirthDate.String(), b.BirthDate.String()))
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got []string
				for off := 0; ; off += 10 {
					counted := off%20 == 0 // every other page counts the matches
					res, err := svc.ListPatients(ctx, a, crs.PatientList{Families: []string{prefix}, Sort: tc.sort, Offset: off, Limit: 10, Count: counted})
					if err != nil {
						t.Fatal(err)
					}
					if counted && res.Total != len(want) {
						t.Fatalf("page at %d: total %d, want %d", off, res.Total, len(want))
					}
					if more := off+len(res.Matches) < len(want); res.More() > 0 != more {
						t.Fatalf("page at %d of %d matches: More() %d, want more %v", off, len(want), res.More(), more)
					}
					for _, m := range res.Matches {
						got = append(got, m.Patient.ID)
					}
					if len(res.Matches) < 10 {
						break
					}
				}
				sorted := slices.Clone(want)
				slices.SortStableFunc(sorted, func(a, b *crs.Patient) int { return cmp.Or(tc.cmp(a, b), strings.Compare(a.ID, b.ID)) })
				var ids []string
				for _, p := range sorted {
					ids = append(ids, p.ID)
				}
				if !slices.Equal(got, ids) {
					t.Errorf("pages of 10 listed\n%v\nwant\n%v", got, ids)
				}
			})
		}
		if err := db.ExecSchema(ctx, "ANALYZE"); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			q     crs.PatientList
			index string
		}{
			{"family name start", crs.PatientList{Families: []string{prefix}, Sort: []crs.PatientSort{{Key: "birth_date", Desc: true}, {Key: "given"}}, Limit: 20}, "patients_family_norm"},
			{"family name start, by name", crs.PatientList{Families: []string{prefix}, Sort: []crs.PatientSort{{Key: "name"}}, Limit: 20, Offset: 100}, "patients_family_norm"},
			{"birth date", crs.PatientList{BirthDates: []crs.Date{ps[0].BirthDate}, Sort: []crs.PatientSort{{Key: "family"}}, Limit: 20}, "patients_birth_date"},
		} {
			t.Run("plan: "+tc.name, func(t *testing.T) {
				plan, err := db.ExplainPatientList(ctx, tr.Org.ID, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("plan:\n%s", plan)
				if !strings.Contains(plan, tc.index) {
					t.Errorf("the list does not read %s:\n%s", tc.index, plan)
				}
				if strings.Contains(plan, "Seq Scan on patients") || strings.Contains(plan, "SCAN patients\n") {
					t.Errorf("the list reads every patient of the database:\n%s", plan)
				}
			})
		}
	})
}
