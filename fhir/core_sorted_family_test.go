package fhir_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// scanCounter is the PMI with a count of the patients its scans return.
type scanCounter struct {
	crs.PatientService
	n *int
}

func (c scanCounter) ScanPatients(ctx context.Context, a crs.Actor, q crs.PatientScan) ([]*crs.Patient, string, error) {
	ps, next, err := c.PatientService.ScanPatients(ctx, a, q)
	*c.n += len(ps)
	return ps, next, err
}

// TestSortedPatientsByFamily: a search of the PMI's patients sorted by
// family name that no index leads (a range of birth dates, a gender)
// reads the patients in the order of their folded family names: the
// same pages as sorting every match (names that fold alike, accents,
// hyphens and apostrophes, several keys, descending, at offsets and by
// next links, counted when asked), and a first page reads about what it
// shows, not the trust.
func TestSortedPatientsByFamily(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		ctx := context.Background()
		gen := demo.NewGenerator(7)
		roots := []string{"Smith", "smith", "Smith-Jones", "Smithers", "O'Brien", "Obama", "Zoë", "Zoe", "Ébert", "Ebert", "de la Cruz", "Delacroix", "Ng", "NG"}
		ps := make([]*crs.Patient, 3000)
		for i := range ps {
			ps[i] = gen.Patient()
			ps[i].FamilyName = roots[i%len(roots)]
			if i%10 != 0 {
				// Many names of a few patients each; every tenth shares its
				// root's name with some twenty others.
				ps[i].FamilyName += fmt.Sprintf("%c%c", 'a'+i/7%26, 'a'+i/182%26)
			}
			ps[i].BirthDate = crs.NewDate(1930+i%60, time.Month(1+i%12), 1+i%28)
		}
		if _, err := db.LoadPatients(ctx, f.trustA.System, ps, crs.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		type pat struct {
			id, fold, born string
			female         bool
		}
		var all []pat
		for _, p := range ps {
			all = append(all, pat{p.ID, fhir.Fold(p.FamilyName), p.BirthDate.Format("2006-01-02"), p.Gender == "2"})
		}
		// order is what sorting every match gives: by the folded name, then
		// the birth date when asked, then id.
		order := func(desc, byBirthDesc bool, keep func(pat) bool) []string {
			var kept []pat
			for _, p := range all {
				if keep(p) {
					kept = append(kept, p)
				}
			}
			slices.SortFunc(kept, func(a, b pat) int {
				byName := strings.Compare(a.fold, b.fold)
				if desc {
					byName = -byName
				}
				byBirth := 0
				if byBirthDesc {
					byBirth = -strings.Compare(a.born, b.born)
				}
				return cmp.Or(byName, byBirth, strings.Compare(a.id, b.id))
			})
			ids := make([]string, len(kept))
			for i, p := range kept {
				ids[i] = p.id
			}
			return ids
		}
		every := func(pat) bool { return true }
		before1960Women := func(p pat) bool { return p.born < "1960" && p.female }
		for _, tc := range []struct {
			query  string
			want   []string
			offset int
		}{
			{"Patient?birthdate=ge1900&_sort=family&_count=10", order(false, false, every), 0},
			{"Patient?birthdate=ge1900&_sort=-family&_count=10", order(true, false, every), 0},
			{"Patient?birthdate=ge1900&_sort=family&_count=25&_offset=990", order(false, false, every), 990},
			{"Patient?birthdate=ge1900&_sort=-family&_count=30&_offset=2980", order(true, false, every), 2980},
			{"Patient?birthdate=lt1960&gender=female&_sort=family,-birthdate&_count=40&_offset=100&_total=accurate", order(false, true, before1960Women), 100},
			{"Patient?birthdate=lt1960&gender=female&_sort=-family,-birthdate&_count=20&_offset=7", order(true, true, before1960Women), 7},
		} {
			t.Run(tc.query, func(t *testing.T) {
				sortedPage(t, c, tc.query, tc.want, tc.offset)
				// The same page as sorting every match.
				ordered := c.do("GET", "/fhir/"+tc.query, "")
				restore := fhir.ReadEveryMatch()
				every := c.do("GET", "/fhir/"+tc.query, "")
				restore()
				if got, want := entryIDs(t, ordered), entryIDs(t, every); got != want {
					t.Errorf("read in order %s,\nreading every match %s", got, want)
				}
			})
		}
		// Every patient, page by page through the next links, each once
		// and in order.
		var got []string
		for _, p := range following(t, c, "/fhir/Patient?birthdate=ge1900&_sort=-family&_count=700") {
			got = append(got, p["id"].(string))
		}
		if want := order(true, false, every); !slices.Equal(got, want) {
			t.Errorf("paged by next links: %d patients in another order than the %d sorted", len(got), len(want))
		}
		// A first page reads about what it shows.
		var n int
		f.server.Patients = scanCounter{f.server.Patients, &n}
		if r := c.do("GET", "/fhir/Patient?birthdate=ge1900&_sort=family&_count=10", ""); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		t.Logf("the first page of 10 read %d of the trust's %d patients", n, len(ps))
		if n > 100 {
			t.Errorf("the first page of 10 read %d of the trust's %d patients", n, len(ps))
		}
	})
}
