package match

import (
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/match/matchtest"
)

func TestKey(t *testing.T) {
	same := [][]string{
		{"Smith", "Smyth", "Smithe"},
		{"Macdonald", "McDonald", "MacDonald"},
		{"Philips", "Phillips", "Filips"},
		{"Thompson", "Thomson", "Tompson"},
		{"Ellis", "Allis"},
		{"O'Brien", "OBrien", "O Brien"},
		{"Müller", "Muller"},
	}
	for _, group := range same {
		for _, n := range group[1:] {
			if Key(n) != Key(group[0]) {
				t.Errorf("Key(%q) = %s, Key(%q) = %s; want the same", n, Key(n), group[0], Key(group[0]))
			}
		}
	}
	differ := [][2]string{{"Smith", "Jones"}, {"Patel", "Taylor"}, {"Brown", "Green"}, {"Khan", "Kaur"}}
	for _, p := range differ {
		if Key(p[0]) == Key(p[1]) {
			t.Errorf("Key(%q) == Key(%q) = %s; want different", p[0], p[1], Key(p[0]))
		}
	}
	if Key("") != "" || Key("'-") != "" {
		t.Errorf("Key of no letters should be empty")
	}
}

func TestSimilarity(t *testing.T) {
	tests := []struct {
		a, b   string
		lo, hi float64
	}{
		{"MARTHA", "MARHTA", 0.96, 0.97},
		{"DWAYNE", "DUANE", 0.83, 0.85},
		{"SMITH", "SMITH", 1, 1},
		{"SMITH", "", 0, 0},
		{"ABC", "XYZ", 0, 0},
	}
	for _, tc := range tests {
		if got := Similarity(tc.a, tc.b); got < tc.lo || got > tc.hi {
			t.Errorf("Similarity(%q, %q) = %.3f, want in [%.2f, %.2f]", tc.a, tc.b, got, tc.lo, tc.hi)
		}
	}
}

func pt(family, given string, dob crs.Date, nhs, pc, gender string) *crs.Patient {
	return &crs.Patient{FamilyName: family, GivenName: given, BirthDate: dob, NHSNumber: nhs, Address: crs.Address{Postcode: pc}, Gender: gender}
}

func TestDuplicate(t *testing.T) {
	base := pt("Smith", "John", crs.NewDate(1980, 3, 12), "", "E1 6AN", "1")
	tests := []struct {
		name     string
		other    *crs.Patient
		min, max int
	}{
		{"identical details", pt("Smith", "John", crs.NewDate(1980, 3, 12), "", "E1 6AN", "1"), 90, 99},
		{"misspelt family name", pt("Smyth", "John", crs.NewDate(1980, 3, 12), "", "E1 6AN", "1"), Likely, 99},
		{"transposed day and month", pt("Smith", "John", crs.NewDate(1980, 12, 3), "", "E1 6AN", "1"), Likely, 95},
		{"nickname initial only, moved house", pt("Smith", "Jon", crs.NewDate(1980, 3, 12), "", "", "1"), Likely, 95},
		{"same name different birthday", pt("Smith", "John", crs.NewDate(1955, 7, 30), "", "N1 1AA", "1"), 0, Likely - 1},
		{"different person same postcode", pt("Patel", "Priya", crs.NewDate(1990, 1, 1), "", "E1 6AN", "2"), 0, 30},
		{"different gender", pt("Smith", "John", crs.NewDate(1980, 3, 12), "", "E1 6AN", "2"), 60, 90},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, why := Duplicate(base, tc.other)
			if got < tc.min || got > tc.max {
				t.Errorf("score = %d (%v), want %d..%d", got, why, tc.min, tc.max)
			}
		})
	}
	t.Run("same NHS number is certain", func(t *testing.T) {
		a := pt("Smith", "John", crs.NewDate(1980, 3, 12), "9990000018", "", "1")
		b := pt("Jones", "Mary", crs.NewDate(1970, 1, 1), "9990000018", "", "2")
		if got, _ := Duplicate(a, b); got != Certain {
			t.Errorf("score = %d, want %d", got, Certain)
		}
	})
	t.Run("different NHS numbers are different people", func(t *testing.T) {
		a := pt("Smith", "John", crs.NewDate(1980, 3, 12), "9990000018", "E1 6AN", "1")
		b := pt("Smith", "John", crs.NewDate(1980, 3, 12), "9990000026", "E1 6AN", "1")
		if got, _ := Duplicate(a, b); got != 0 {
			t.Errorf("score = %d, want 0", got)
		}
	})
}

func TestRankOrder(t *testing.T) {
	q := crs.PatientQuery{FamilyName: "Smith", GivenName: "John", BirthDate: crs.NewDate(1980, 3, 12)}
	ordered := []*crs.Patient{
		pt("Smith", "John", crs.NewDate(1980, 3, 12), "", "", "1"),    // exact
		pt("Smithson", "John", crs.NewDate(1980, 3, 12), "", "", "1"), // prefix
		pt("Smyth", "Jon", crs.NewDate(1980, 3, 12), "", "", "1"),     // sounds alike
		pt("Smith", "John", crs.NewDate(1981, 3, 12), "", "", "1"),    // wrong DOB
		pt("Smith", "Theodore", crs.NewDate(1960, 2, 2), "", "", "1"), // wrong given and DOB
	}
	prev := 101
	for i, p := range ordered {
		got, why := Rank(q, p)
		if got >= prev {
			t.Errorf("rank of #%d %s %s = %d (%v), want below %d", i, p.FamilyName, p.GivenName, got, why, prev)
		}
		prev = got
	}
	if got, _ := Rank(crs.PatientQuery{NHSNumber: "9990000018"}, pt("X", "Y", crs.Date{}, "9990000018", "", "")); got != 100 {
		t.Errorf("NHS number rank = %d, want 100", got)
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"SMITH", "SMITH"},
		{"smith", "SMITH"},
		{"O'Brien-Smith", "OBRIENSMITH"},
		{"van der Berg", "VANDERBERG"},
		{"Smith 2nd", "SMITHND"},
		{"Müller", "MULLER"},
		{"Zoë Ní Bhriain", "ZOENIBHRIAIN"},
		{"", ""},
		{"'-", ""},
	} {
		if got := Normalize(tc.name); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	// The quick way for names in ASCII gives what decomposing them gives.
	for _, n := range matchtest.Surnames() {
		for _, v := range []string{n, strings.ToLower(n), strings.ToUpper(n), "O'" + n + "-Jones", " " + n + " 3"} {
			if got, want := Normalize(v), normalizeUnicode(v); got != want {
				t.Errorf("Normalize(%q) = %q, want %q", v, got, want)
			}
		}
	}
}

// TestAlikeTo tests the typed misspellings against every surname one by
// one and through AlikeTo, which must agree.
func TestAlikeTo(t *testing.T) {
	names := matchtest.Surnames()
	found := 0
	for _, m := range matchtest.Misspellings() {
		alike := AlikeTo(m.Typed)
		for _, n := range names {
			want := Alike(m.Typed, n)
			if got := alike(n); got != want {
				t.Errorf("AlikeTo(%q)(%q) = %v, Alike = %v", m.Typed, n, got, want)
			}
			if want {
				found++
			}
		}
		if !alike(m.Want) {
			t.Errorf("AlikeTo(%q)(%q) = false, want true", m.Typed, m.Want)
		}
	}
	if AlikeTo("")("SMITH") || AlikeTo("SMITH")("") {
		t.Errorf("an empty name is alike to another")
	}
	t.Logf("%d alike pairs", found)
}

func TestFamilyParts(t *testing.T) {
	for _, tc := range []struct {
		family string
		want   []string
	}{
		{"Smith", nil},
		{"", nil},
		{"Smythe-Jones", []string{"Smythe", "Jones"}},
		{"Carreno  Quinones", []string{"Carreno", "Quinones"}},
		{"De La Cruz", []string{"De", "La", "Cruz"}},
		{"Smith-", nil},
		{"O'Brien", nil},
	} {
		if got := FamilyParts(tc.family); !slices.Equal(got, tc.want) {
			t.Errorf("FamilyParts(%q) = %q, want %q", tc.family, got, tc.want)
		}
	}
}
