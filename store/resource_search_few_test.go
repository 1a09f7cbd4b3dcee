package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// closureReads counts the reads of the SNOMED CT closure made through it.
type closureReads struct {
	store.Querier
	n int
}

func (q *closureReads) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if strings.Contains(query, "snomed_closure") {
		q.n++
	}
	return q.Querier.QueryRowContext(ctx, query, args...)
}

// TestFewConceptsAskedOnce: before a search of the resource store, the
// closure is read once for each distinct concept the search's SNOMED CT
// sets are below, however many of its conditions name that concept (a
// search for diabetes among the codes and its kinds among the reasons,
// less those below type 2 diabetes, names diabetes twice).
func TestFewConceptsAskedOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RFC")
		concepts, err := demo.SNOMEDSample()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.NewTerminologyService(db).LoadSNOMED(ctx, tr.System, concepts); err != nil {
			t.Fatal(err)
		}
		below := func(param, isa string, strict bool) crs.ResourceCondition {
			return crs.ResourceCondition{Param: param, Kind: "token", Op: crs.MatchEq, Concepts: &crs.ConceptSet{IsA: isa, Strict: strict}}
		}
		const diabetes, type2, asthma = "73211009", "44054006", "195967001"
		tests := []struct {
			name  string
			q     crs.ResourceQuery
			reads int
			want  map[string]bool
		}{
			{"no concept", crs.ResourceQuery{Type: "Condition", All: [][]crs.ResourceCondition{{{Param: "code", Kind: "token", Op: crs.MatchEq, Code: diabetes}}}}, 0, nil},
			{"one concept", crs.ResourceQuery{Type: "Condition", All: [][]crs.ResourceCondition{{below("code", diabetes, false)}}}, 1, map[string]bool{diabetes: true}},
			{"one concept twice in a condition", crs.ResourceQuery{Type: "Condition",
				All: [][]crs.ResourceCondition{{below("code", diabetes, false), below("code", diabetes, true)}}}, 1, map[string]bool{diabetes: true}},
			{"one concept in three conditions and another", crs.ResourceQuery{Type: "Condition",
				All: [][]crs.ResourceCondition{{below("code", diabetes, false)}, {below("evidence-detail", diabetes, true), below("evidence-detail", asthma, false)}},
				Not: [][]crs.ResourceCondition{{below("code", type2, false)}, {below("code", diabetes, true)}}}, 3, map[string]bool{diabetes: true, asthma: true, type2: true}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				reads := &closureReads{Querier: db.Reader()}
				few, err := store.FewConcepts(ctx, reads, tr.Org.ID, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				if reads.n != tc.reads {
					t.Errorf("closure read %d times, want %d", reads.n, tc.reads)
				}
				if diff := cmp.Diff(tc.want, few); diff != "" {
					t.Errorf("concepts with few below (-want +got):\n%s", diff)
				}
			})
		}
	})
}
