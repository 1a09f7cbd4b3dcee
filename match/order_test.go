package match

import (
	"fmt"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/match/matchtest"
)

// TestRankMisspelt searches the commonest British family names for
// misspellings of each and wants the intended name first.
func TestRankMisspelt(t *testing.T) {
	var all []*crs.Patient
	for i, n := range matchtest.Surnames() {
		all = append(all, &crs.Patient{ID: fmt.Sprintf("p%03d", i), FamilyName: n, GivenName: "Alex"})
	}
	cases := matchtest.Misspellings()
	if len(all) < 100 || len(cases) < 100 {
		t.Fatalf("testdata holds %d names and %d misspellings, want at least 100 of each", len(all), len(cases))
	}
	for _, tc := range cases {
		q := crs.PatientQuery{FamilyName: tc.Typed}
		var ms []crs.PatientMatch
		for _, p := range all {
			s, why := Rank(q, p)
			ms = append(ms, crs.PatientMatch{Patient: p, Score: s, Reasons: why})
		}
		Sort(q, ms)
		got := ms[0].Patient.FamilyName
		if got != tc.Want {
			t.Errorf("%s: first %s %d %v, second %s %d; want %s", tc.Typed, got, ms[0].Score, ms[0].Reasons, ms[1].Patient.FamilyName, ms[1].Score, tc.Want)
		}
	}
}

// TestRankSameKey checks that names sharing the phonetic key of what was
// typed are listed by how close their spelling is: every Smith before any
// other name that sounds like "smyth".
func TestRankSameKey(t *testing.T) {
	tests := []struct {
		typed string
		want  string   // every patient of this family name comes first
		other []string // names with the same key, listed after
	}{
		{"smyth", "Smith", []string{"Snaith", "Sent", "Smeed", "Smit"}},
		{"jonse", "Jones", []string{"Johns", "Jonas", "Janes", "Jenks"}},
		{"wiliams", "Williams", []string{"Wellems", "Willimas", "Wilmes"}},
	}
	for _, tc := range tests {
		t.Run(tc.typed, func(t *testing.T) {
			for _, o := range tc.other {
				if Key(o) != Key(tc.typed) {
					t.Fatalf("Key(%q) = %s, Key(%q) = %s; the test needs them the same", o, Key(o), tc.typed, Key(tc.typed))
				}
			}
			var ms []crs.PatientMatch
			q := crs.PatientQuery{FamilyName: tc.typed}
			for i, given := range []string{"Zoe", "Adam", "Mary", "John"} {
				for j, fam := range append([]string{tc.want}, tc.other...) {
					p := &crs.Patient{ID: fmt.Sprintf("p%d-%d", j, i), FamilyName: fam, GivenName: given}
					s, why := Rank(q, p)
					ms = append(ms, crs.PatientMatch{Patient: p, Score: s, Reasons: why})
				}
			}
			Sort(q, ms)
			for i, m := range ms[:4] {
				if m.Patient.FamilyName != tc.want {
					t.Errorf("result %d is %s (%d %v), want every %s first", i+1, m.Patient.FamilyName, m.Score, m.Reasons, tc.want)
				}
			}
		})
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"JONES", "JONES", 0},
		{"JONSE", "JONES", 1}, // swapped neighbours are one slip
		{"SMYTH", "SMITH", 1},
		{"WILIAMS", "WILLIAMS", 1},
		{"THOMSON", "THOMPSON", 1},
		{"CA", "ABC", 3}, // optimal string alignment: a swapped pair is not edited again
		{"", "LEE", 3},
		{"KITTEN", "SITTING", 3},
	}
	for _, tc := range tests {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestCloseness(t *testing.T) {
	// Each typed name is closer to the first name than to the second.
	tests := []struct{ typed, closer, further string }{
		{"smyth", "Smith", "Snaith"},
		{"jonse", "Jones", "Johns"},
		{"evens", "Evans", "Stevens"},
		{"davis", "Davis", "Davies"},
		{"davies", "Davies", "Davis"},
		{"clark", "Clark", "Clarke"},
		{"clarke", "Clarke", "Clark"},
		{"thomson", "Thompson", "Thomas"},
	}
	for _, tc := range tests {
		c, f := Closeness(tc.typed, tc.closer), Closeness(tc.typed, tc.further)
		if c <= f {
			t.Errorf("Closeness(%q, %q) = %.3f, Closeness(%q, %q) = %.3f; want the first higher", tc.typed, tc.closer, c, tc.typed, tc.further, f)
		}
	}
	if got := Closeness("O'Brien", "OBRIEN"); got != 1 {
		t.Errorf("Closeness of the same normalised name = %.3f, want 1", got)
	}
	if got := Closeness("", "Smith"); got != 0 {
		t.Errorf("Closeness of nothing typed = %.3f, want 0", got)
	}
}

func TestSortTieBreaks(t *testing.T) {
	q := crs.PatientQuery{FamilyName: "smith", GivenName: "jon"}
	p := func(id, fam, given string, dob crs.Date) crs.PatientMatch {
		return crs.PatientMatch{Patient: &crs.Patient{ID: id, FamilyName: fam, GivenName: given, BirthDate: dob}, Score: 50}
	}
	ms := []crs.PatientMatch{
		p("5", "Smith", "Jane", crs.NewDate(1990, 1, 1)),
		p("4", "Smith", "John", crs.NewDate(1990, 1, 1)),
		p("3", "Smyth", "Jon", crs.NewDate(1990, 1, 1)),
		p("2", "Smith", "Jon", crs.NewDate(1990, 1, 1)),
		p("1", "Smith", "Jon", crs.NewDate(1980, 1, 1)),
	}
	Sort(q, ms)
	var got []string
	for _, m := range ms {
		got = append(got, m.Patient.ID)
	}
	// Same score: closest family name, then closest given name, then
	// date of birth.
	want := []string{"1", "2", "4", "5", "3"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}

// BenchmarkRankSort ranks and sorts 500 candidates of a search by family
// and given name, as a search of a common name does: a handful of family
// names, many given names.
func BenchmarkRankSort(b *testing.B) {
	fams := []string{"Smith", "Smyth", "Smithson", "Smit", "Snaith"}
	givens := matchtest.Surnames()
	var ps []*crs.Patient
	for i := range 500 {
		ps = append(ps, &crs.Patient{ID: fmt.Sprintf("p%03d", i), FamilyName: fams[i%len(fams)], GivenName: givens[i%len(givens)]})
	}
	q := crs.PatientQuery{FamilyName: "smith", GivenName: "john"}
	ms := make([]crs.PatientMatch, len(ps))
	b.ReportAllocs()
	for b.Loop() {
		r := NewRanker(q)
		for i, p := range ps {
			s, why := r.Rank(p)
			ms[i] = crs.PatientMatch{Patient: p, Score: s, Reasons: why}
		}
		r.Sort(ms)
	}
}
