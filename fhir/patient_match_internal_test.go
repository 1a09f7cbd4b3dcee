package fhir

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
)

// TestMatchGrade checks the grades of the PMI's duplicate scores at
// either side of each threshold, and the scores as written.
func TestMatchGrade(t *testing.T) {
	for _, tc := range []struct {
		score          int
		grade, score01 string
	}{
		{100, "certain", "1"},
		{99, "probable", "0.99"},
		{80, "probable", "0.8"},
		{79, "possible", "0.79"},
		{60, "possible", "0.6"},
		{59, "certainly-not", "0.59"},
		{0, "certainly-not", "0"},
	} {
		if got := matchGrade(tc.score); got != tc.grade {
			t.Errorf("matchGrade(%d) = %s, want %s", tc.score, got, tc.grade)
		}
		if got := matchScore(tc.score); got != tc.score01 {
			t.Errorf("matchScore(%d) = %s, want %s", tc.score, got, tc.score01)
		}
	}
}

// TestOnlyCertain: onlyCertainMatches keeps the one certain match, and
// none, with an outcome saying why, when several records are certain.
func TestOnlyCertain(t *testing.T) {
	m := func(id string, score int) crs.PatientMatch {
		return crs.PatientMatch{Patient: &crs.Patient{ID: id}, Score: score}
	}
	ids := func(ms []crs.PatientMatch) string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Patient.ID)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		name  string
		found []crs.PatientMatch
		want  string
		why   bool
	}{
		{"one certain", []crs.PatientMatch{m("a", 100), m("b", 85), m("c", 61)}, "a", false},
		{"none certain", []crs.PatientMatch{m("b", 99), m("c", 61)}, "", false},
		{"nothing found", nil, "", false},
		{"two certain", []crs.PatientMatch{m("a", 100), m("d", 100), m("b", 85)}, "", true},
	} {
		got, why := onlyCertain(tc.found)
		if ids(got) != tc.want || (why != nil) != tc.why {
			t.Errorf("%s: kept [%s] with outcome %v, want [%s] (an outcome: %v)", tc.name, ids(got), why, tc.want, tc.why)
		}
		if why != nil && (why.Issues[0].Code != "multiple-matches" || !strings.Contains(string(why.JSON()), fmt.Sprint(2))) {
			t.Errorf("%s: outcome %s", tc.name, why.JSON())
		}
	}
}
