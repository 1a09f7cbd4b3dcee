package store

import (
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestResourceSearchReadsItsKindsIndex checks that each kind of search
// condition reads the one partial index its kind's rows are in
// (migration 0103), not the whole index of the type: SQLite uses a
// partial index only when the query names every term of its WHERE, so
// a search SQL that lost a term would scan and still find the rows.
// The plans are SQLite's; PostgreSQL runs the same SQL
// (TestResourceSearch* and the fhir package's search tests on both
// engines check what each finds). SQLite has no statistics of these
// tables, as in a trust's database, where nothing runs ANALYZE.
func TestResourceSearchReadsItsKindsIndex(t *testing.T) {
	db := openSQLite(t, "plan.db")
	loinc, patient := "http://loinc.org", "Patient"
	cond := func(c crs.ResourceCondition) crs.ResourceQuery {
		return crs.ResourceQuery{Type: "Observation", Count: 20, All: [][]crs.ResourceCondition{{c}}}
	}
	tests := []struct {
		name  string
		q     crs.ResourceQuery
		index string // what the plan reads
	}{
		{"token of a system, in order", cond(crs.ResourceCondition{Param: "code", Kind: "token", Op: crs.MatchEq, System: &loinc, Code: "8867-4"}), "INDEX fhir_index_token"},
		{"token of any system, in order", cond(crs.ResourceCondition{Param: "code", Kind: "token", Op: crs.MatchEq, Code: "8867-4"}), "INDEX fhir_index_token"},
		{"quantity with a unit, in order", cond(crs.ResourceCondition{Param: "value-quantity", Kind: "quantity", Op: crs.MatchGt, Code: "/min", NumLo: 90, NumHi: 91}), "INDEX fhir_index_token"},
		{"reference to Type/id, in order", cond(crs.ResourceCondition{Param: "subject", Kind: "reference", Op: crs.MatchEq, Code: "Patient/p1"}), "INDEX fhir_index_refers"},
		{"reference to an id, in order", cond(crs.ResourceCondition{Param: "subject", Kind: "reference", Op: crs.MatchEq, Code: "p1", System: &patient}), "INDEX fhir_index_refers"},
		{"string, starts, in order", cond(crs.ResourceCondition{Param: "code:text", Kind: "string", Op: crs.MatchStarts, Text: "heart"}), "INDEX fhir_index_text"},
		{"string, exact", cond(crs.ResourceCondition{Param: "code:text", Kind: "string", Op: crs.MatchExact, Code: "Heart rate", Text: "heart rate"}), "INDEX fhir_index_text"},
		{"date, in order", cond(crs.ResourceCondition{Param: "date", Kind: "date", Op: crs.MatchGe, Lo: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Hi: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)}), "INDEX fhir_index_date"},
		{"a patient's compartment", crs.ResourceQuery{Count: 20, RefersTo: []string{"Patient/p1"}}, "INDEX fhir_index_refers"},
		{"a type's page, in order", crs.ResourceQuery{Type: "Observation", Count: 20}, "INDEX fhir_current_type"},
		{"a type's page after a resource, in order", crs.ResourceQuery{Type: "Observation", Count: 20, After: "o1"}, "INDEX fhir_current_type"},
		{"a number, by each resource's rows", cond(crs.ResourceCondition{Param: "probability", Kind: "number", Op: crs.MatchGt, NumLo: 0.5, NumHi: 0.6}), "PRIMARY KEY (rid=?)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			query, args := resourceSearchSQL("org1", 1, tc.q, false)
			plan := explainPlan(t, db, query, args...)
			if strings.HasSuffix(tc.name, "in order") && strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("the page of a code is sorted, not read in order from the index:\n%s", plan)
			}
			if !strings.Contains(plan, tc.index) {
				t.Errorf("the plan does not read %s:\n%s\nquery: %s", tc.index, plan, query)
			}
		})
	}
}

// TestResourceHistoryReadsInOrder checks that a page of history reads
// its versions in order from a key or index and stops at the page, on
// SQLite with no statistics: a resource's by its key (migration 0104),
// a type's and the trust's by their seq indexes, none sorted.
func TestResourceHistoryReadsInOrder(t *testing.T) {
	db := openSQLite(t, "plan.db")
	tests := []struct {
		name, typ, id, before string
		at                    crs.Period
		index                 string // what the plan reads
	}{
		{"a resource's", "Observation", "o1", "", crs.Period{}, "PRIMARY KEY (org_id=? AND type=? AND id=?)"},
		{"a resource's, the page before", "Observation", "o1", "01J", crs.Period{}, "PRIMARY KEY (org_id=? AND type=? AND id=?)"},
		{"a type's", "Observation", "", "", crs.Period{}, "INDEX fhir_versions_type"},
		{"the trust's", "", "", "01J", crs.Period{}, "INDEX fhir_versions_org"},
		{"a type's at a time", "Observation", "", "", crs.Period{Start: time.Unix(1e9, 0), End: time.Unix(2e9, 0)}, "INDEX fhir_versions_type"},
		{"the trust's at a time", "", "", "01J", crs.Period{Start: time.Unix(1e9, 0)}, "INDEX fhir_versions_org"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			query, args := historySQL("org1", tc.typ, tc.id, time.Time{}, tc.at, crs.HistoryPlace{Before: tc.before}, 20)
			plan := explainPlan(t, db, query, args...)
			if strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, tc.index) {
				t.Errorf("the plan does not read %s in order:\n%s\nquery: %s", tc.index, plan, query)
			}
		})
	}
}

// TestPatientChangesReadsItsIndex checks that a page of the trust's
// patients' history reads the events that carry a version from their
// own index (migration 0115) in order and stops at the page, on SQLite
// with no statistics, rather than reading every event of the trust.
func TestPatientChangesReadsItsIndex(t *testing.T) {
	db := openSQLite(t, "plan.db")
	for _, tc := range []struct {
		name, where string
		args        []any
	}{
		{"the newest", patientVersionEvents, []any{"org1"}},
		{"the page before", patientVersionEvents + " AND id < $2", []any{"org1", "01J"}},
		{"since", patientVersionEvents + " AND id < $2 AND recorded_at >= $3", []any{"org1", "01J", "2026-01-01T00:00:00Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			query := eventsSQL(tc.where, 20)
			plan := explainPlan(t, db, query, tc.args...)
			if strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, "INDEX events_patient_versions") {
				t.Errorf("the plan does not read events_patient_versions in order:\n%s\nquery: %s", plan, query)
			}
		})
	}
}

// TestNamePartReadsItsIndexes checks that a search by a part of a name
// reads each part's index from what was typed, in its order, a
// middle name's and a title's included (migration 0116), on SQLite with
// no statistics: none reads the trust's patients whole.
func TestNamePartReadsItsIndexes(t *testing.T) {
	db := openSQLite(t, "plan.db")
	want := []string{"INDEX patients_family_norm", "INDEX patients_given_norm", "INDEX patients_other_names", "INDEX patients_title"}
	var got []string
	sel := `SELECT ` + listedPatientColumns + ` FROM patients WHERE org_id = $1 AND `
	err := searchNamePart(crs.PatientQuery{NamePart: "mar", Limit: 20}, sel, "org1", func(query string, args ...any) error {
		plan := explainPlan(t, db, query, args...)
		// The names are read in the index's order (ties sorted by id).
		if strings.Contains(plan, "TEMP B-TREE FOR ORDER BY") || !strings.Contains(plan, "USING INDEX") && !strings.Contains(plan, "USING COVERING INDEX") {
			t.Errorf("the plan reads no index in order:\n%s\nquery: %s", plan, query)
		}
		for _, ix := range want {
			if strings.Contains(plan, ix+" ") {
				got = append(got, ix)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("the reads use %v, want %v", got, want)
	}
}

// TestNextGPPracticeSeeksItsIndex checks that the next GP practice of
// the trust's patients is one seek in patients_gp_practice (migration
// 0117), covered and in order, on SQLite with no statistics: listing
// the practices reads one index entry each, not their patients.
func TestNextGPPracticeSeeksItsIndex(t *testing.T) {
	db := openSQLite(t, "plan.db")
	plan := explainPlan(t, db, nextGPPracticeSQL, "org1", "A81001")
	if strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, "COVERING INDEX patients_gp_practice") {
		t.Errorf("the plan does not seek patients_gp_practice:\n%s", plan)
	}
}

// TestResourceLastNReadsTheMatches checks that $lastn of a patient reads
// that patient's matches and then each one's own index rows and current
// version by its key, on SQLite with no statistics, a page after the
// first too: never the trust's
// index of codes or dates, nor every Observation of the trust, whose
// cost would grow with the trust and, per match, with its square.
func TestResourceLastNReadsTheMatches(t *testing.T) {
	db := openSQLite(t, "plan.db")
	patient, loinc := "Patient", "http://loinc.org"
	ofPatient := crs.ResourceCondition{Param: "patient", Kind: "reference", Op: crs.MatchEq, Code: "p1", System: &patient}
	for _, tc := range []struct {
		name string
		all  [][]crs.ResourceCondition
	}{
		{"a patient's", [][]crs.ResourceCondition{{ofPatient}}},
		{"a patient's of one code", [][]crs.ResourceCondition{{ofPatient}, {{Param: "code", Kind: "token", Op: crs.MatchEq, System: &loinc, Code: "8867-4"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A page after the first resumes at a place in the answer's
			// order, read the same way.
			place := &crs.ResourceLastNPlace{System: loinc, Code: "8867-4", At: "2024-03-01T00:00:00Z", ID: "o1"}
			for _, run := range []struct {
				count bool
				after *crs.ResourceLastNPlace
			}{{false, nil}, {true, nil}, {false, place}} {
				q := crs.ResourceQuery{Type: "Observation", Count: 51, All: tc.all, LastN: &crs.ResourceLastN{Max: 3, Group: "code", By: "date", After: run.after}}
				query, args := resourceSearchSQL("org1", 1, q, run.count)
				plan := explainPlan(t, db, query, args...)
				for _, bad := range []string{"fhir_index_token (org_n=? AND type=? AND param=?)", "fhir_index_date", "fhir_current_updated", "SCAN c"} {
					if strings.Contains(plan, bad) {
						t.Errorf("the plan reads %s:\n%s\nquery: %s", bad, plan, query)
					}
				}
			}
		})
	}
}

// TestResourceSearchTwoIndexedGroups checks that a search of two
// conditions each read from the index (a date range, date=ge&date=le; a
// subject and a date) leads with one of them and tests each resource
// it finds against the other, on SQLite with no statistics: it took an
// IN of the number (rid) and a second IN as a key of the rowid that
// ends the type's index, the same number, and read every pair of the
// two lists (90 seconds for a year of 68,000 Observations).
func TestResourceSearchTwoIndexedGroups(t *testing.T) {
	db := openSQLite(t, "plan.db")
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	ge := crs.ResourceCondition{Param: "date", Kind: "date", Op: crs.MatchGe, Lo: day(2018, 1, 1), Hi: day(2018, 1, 2)}
	le := crs.ResourceCondition{Param: "date", Kind: "date", Op: crs.MatchLe, Lo: day(2018, 12, 31), Hi: day(2019, 1, 1)}
	subject := crs.ResourceCondition{Param: "subject", Kind: "reference", Op: crs.MatchEq, Code: "Patient/p1"}
	text := crs.ResourceCondition{Param: "code:text", Kind: "string", Op: crs.MatchStarts, Text: "heart"}
	tests := []struct {
		name   string
		groups [][]crs.ResourceCondition
	}{
		{"a date range", [][]crs.ResourceCondition{{ge}, {le}}},
		{"a subject and a date", [][]crs.ResourceCondition{{subject}, {ge}}},
		{"a date, a code's text and a date", [][]crs.ResourceCondition{{le}, {text}, {ge}}},
		{"either of two dates and a subject", [][]crs.ResourceCondition{{ge, le}, {subject}}},
	}
	for _, tc := range tests {
		for _, count := range []bool{false, true} {
			t.Run(tc.name, func(t *testing.T) {
				q := crs.ResourceQuery{Type: "Observation", Count: 20, All: tc.groups}
				query, args := resourceSearchSQL("org1", 1, q, count)
				plan := explainPlan(t, db, query, args...)
				if strings.Contains(plan, "rid=? AND rowid=?") {
					t.Errorf("the plan reads every pair of two lists of numbers:\n%s\nquery: %s", plan, query)
				}
				// The first group leads; the others test.
				first, rest, _ := strings.Cut(query, "+c.rid IN (")
				if !strings.Contains(first, "c.rid IN (") || strings.Count(rest, "c.rid IN (") != strings.Count(rest, "+c.rid IN (") {
					t.Errorf("not the first group alone leads:\n%s", query)
				}
			})
		}
	}
}
