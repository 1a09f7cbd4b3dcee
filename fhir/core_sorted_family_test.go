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
		var all []namedPatient
		for _, p := range ps {
			fold := fhir.Fold(p.FamilyName)
			all = append(all, namedPatient{p.ID, fold, fold, p.BirthDate.Format("2006-01-02"), p.Gender == "2"})
		}
		checkSortedByName(t, f, "family", all)
	})
}

// namedPatient is a patient as a search sorted by a name orders it: by
// its folded name that comes first in the sort's order (first, or last
// when descending), then its birth date when asked, then id.
type namedPatient struct {
	id, first, last, born string
	female                bool
}

// checkSortedByName checks searches of the PMI's patients (all of them
// the trust's) sorted by the name param, read in order, either way, at
// offsets, with a further key and counted, against the order of all
// (checkOrderedPages).
func checkSortedByName(t *testing.T, f *fixture, param string, all []namedPatient) {
	t.Helper()
	// order is what sorting every match gives.
	order := func(desc, byBirthDesc bool, keep func(namedPatient) bool) []string {
		var kept []namedPatient
		for _, p := range all {
			if keep(p) {
				kept = append(kept, p)
			}
		}
		slices.SortFunc(kept, func(a, b namedPatient) int {
			byName := strings.Compare(a.first, b.first)
			if desc {
				byName = -strings.Compare(a.last, b.last)
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
	every := func(namedPatient) bool { return true }
	before1960Women := func(p namedPatient) bool { return p.born < "1960" && p.female }
	q := func(query string) string { return strings.ReplaceAll(query, "NAME", param) }
	checkOrderedPages(t, f, []sortedCase{
		{q("Patient?birthdate=ge1900&_sort=NAME&_count=10"), order(false, false, every), 0},
		{q("Patient?birthdate=ge1900&_sort=-NAME&_count=10"), order(true, false, every), 0},
		{q("Patient?birthdate=ge1900&_sort=NAME&_count=25&_offset=990"), order(false, false, every), 990},
		{q("Patient?birthdate=ge1900&_sort=NAME&_count=30&_offset=2980"), order(false, false, every), 2980},
		{q("Patient?birthdate=ge1900&_sort=-NAME&_count=30&_offset=2980"), order(true, false, every), 2980},
		{q("Patient?birthdate=lt1960&gender=female&_sort=NAME,-birthdate&_count=40&_offset=100&_total=accurate"), order(false, true, before1960Women), 100},
		{q("Patient?birthdate=lt1960&gender=female&_sort=-NAME,-birthdate&_count=20&_offset=7"), order(true, true, before1960Women), 7},
	}, map[string][]string{
		q("Patient?birthdate=ge1900&_sort=NAME&_count=700"):  order(false, false, every),
		q("Patient?birthdate=ge1900&_sort=-NAME&_count=700"): order(true, false, every),
	}, q("Patient?birthdate=ge1900&_sort=NAME&_count=10"), q("Patient?birthdate=ge1900&_sort=-NAME&_count=10"))
}

// sortedCase is a sorted search and every match it lists in order, of
// which its page shows those from offset on.
type sortedCase struct {
	query  string
	want   []string
	offset int
}

// checkOrderedPages checks that a sorted search of the PMI's patients
// read in order (f's trust holding every patient) serves each case's
// page as it lists it and as sorting every match does, every patient
// in order through the next links of each search of follow, each once,
// and that the first page of each of firsts reads about what it shows.
func checkOrderedPages(t *testing.T, f *fixture, cases []sortedCase, follow map[string][]string, firsts ...string) {
	t.Helper()
	c := f.a
	for _, tc := range cases {
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
	for query, want := range follow {
		var got []string
		for _, p := range following(t, c, "/fhir/"+query) {
			got = append(got, p["id"].(string))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s, paged by next links: %d patients in another order than the %d sorted", query, len(got), len(want))
		}
	}
	patients := f.server.Patients
	defer func() { f.server.Patients = patients }()
	for _, query := range firsts {
		var n int
		f.server.Patients = scanCounter{patients, &n}
		if r := c.do("GET", "/fhir/"+query, ""); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		t.Logf("%s: the first page read %d patients", query, n)
		if n > 100 {
			t.Errorf("%s: the first page read %d patients, want about what it shows", query, n)
		}
	}
}
