package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestTerminology loads the sample SNOMED CT release for one trust and
// searches it as a clinician types: by the start of words of the
// preferred term or a synonym, narrowed by kind, or by identifier.
func TestTerminology(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		ts := store.NewTerminologyService(db)
		a, b := storetest.NewTrust(t, db, "RTA"), storetest.NewTrust(t, db, "RTB")
		doctor := a.Actor(crs.RoleDoctor)
		if loaded, err := ts.SNOMEDLoaded(ctx, doctor); err != nil || loaded {
			t.Fatalf("before loading: %v %v, want not loaded", loaded, err)
		}
		if _, err := ts.LoadSNOMED(ctx, doctor, []nhs.Concept{{ID: "195967001", Term: "Asthma"}}); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("a doctor loads a release: got %v, want EFORBIDDEN", err)
		}
		concepts, err := demo.SNOMEDSample()
		if err != nil {
			t.Fatal(err)
		}
		// Loading twice replaces the release.
		for i := 0; i < 2; i++ {
			if n, err := ts.LoadSNOMED(ctx, a.System, concepts); err != nil || n != len(concepts) {
				t.Fatalf("load: %d %v", n, err)
			}
		}
		for _, tc := range []struct {
			text string
			kind crs.ConceptKind
			want string // the ids found, in order
		}{
			{"asth", crs.ConceptProblem, "195967001"},
			{"ASTHMA bronch", crs.ConceptAny, "195967001"},
			{"heart att", crs.ConceptProblem, "22298006"},
			{"diab", crs.ConceptProblem, "46635009 44054006"},
			{"type 2 diab", crs.ConceptProblem, "44054006"},
			{"pen", crs.ConceptSubstance, "764146007"},
			{"pen", crs.ConceptProblem, ""},
			{"anaph", crs.ConceptReaction, "39579001"},
			{"764146007", crs.ConceptAny, "764146007"},
			{"cow's", crs.ConceptSubstance, "3718001"},
			{"retired", crs.ConceptAny, ""},
			{"  ", crs.ConceptAny, ""},
		} {
			got, err := ts.SearchConcepts(ctx, doctor, tc.text, tc.kind, 10)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			if strings.Join(ids, " ") != tc.want {
				t.Errorf("search %q (%s): got %v, want %s", tc.text, tc.kind, ids, tc.want)
			}
		}
		c, err := ts.FindConcept(ctx, doctor, "13645005")
		if err != nil || c.Term != "Chronic obstructive pulmonary disease" || c.SemanticTag() != "disorder" || strings.Join(c.Synonyms, ",") != "COPD" {
			t.Errorf("find COPD: %+v %v", c, err)
		}
		if _, err := ts.FindConcept(ctx, doctor, "275549008"); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("find a retired concept: got %v, want ENOTFOUND", err)
		}
		// Each trust has its own release; a clerk does not search it.
		if found, _ := ts.SearchConcepts(ctx, b.Actor(crs.RoleDoctor), "asth", crs.ConceptAny, 10); len(found) != 0 {
			t.Errorf("another trust finds %d concepts", len(found))
		}
		if _, err := ts.SearchConcepts(ctx, a.Actor(crs.RoleClerk), "asth", crs.ConceptAny, 10); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("a clerk searches: got %v, want EFORBIDDEN", err)
		}
	})
}
