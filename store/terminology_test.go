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
			{"diab", crs.ConceptProblem, "73211009 46635009 44054006"},
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
		// As many as asked for, up to a thousand: every concept with a
		// term of the word "disorder" (most fully specified names).
		want := 0
		for _, c := range concepts {
			for _, term := range append([]string{c.Term, c.FSN}, c.Synonyms...) {
				if strings.Contains(strings.ToLower(term), "disorder") {
					want++
					break
				}
			}
		}
		if got, err := ts.SearchConcepts(ctx, doctor, "disorder", crs.ConceptAny, 1000); err != nil || len(got) != want || want <= 20 {
			t.Errorf("every disorder: %d found, %v; want %d (more than 20)", len(got), err, want)
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

// TestTerminologyHierarchy reads the is-a relationships of the sample
// release: what a concept is a kind of, what is a kind of it, each
// trust's own.
func TestTerminologyHierarchy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		ts := store.NewTerminologyService(db)
		a, b := storetest.NewTrust(t, db, "RHA"), storetest.NewTrust(t, db, "RHB")
		concepts := loadSample(t, ts, a)
		doctor := a.Actor(crs.RoleDoctor)
		for _, tc := range []struct {
			ancestor, code string
			want           bool
		}{
			{"73211009", "44054006", true},   // diabetes mellitus: type 2
			{"404684003", "44054006", true},  // clinical finding: type 2 diabetes, three steps up
			{"44054006", "44054006", true},   // a concept is itself
			{"44054006", "73211009", false},  // not the other way
			{"46635009", "44054006", false},  // type 1 is not type 2
			{"105590001", "44054006", false}, // nor a substance
			{"764146007", "372687004", true}, // penicillin: amoxicillin
		} {
			if got, err := ts.Subsumes(ctx, doctor, tc.ancestor, tc.code); err != nil || got != tc.want {
				t.Errorf("%s subsumes %s: %v %v, want %v", tc.ancestor, tc.code, got, err, tc.want)
			}
		}
		ids := func(cs []*nhs.Concept, err error) string {
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range cs {
				out = append(out, c.ID)
			}
			return strings.Join(out, " ")
		}
		if got := ids(ts.Descendants(ctx, doctor, "73211009", true, 10)); got != "44054006 46635009 73211009" {
			t.Errorf("diabetes and below: %s", got)
		}
		if got := ids(ts.Descendants(ctx, doctor, "73211009", false, 10)); got != "44054006 46635009" {
			t.Errorf("below diabetes: %s", got)
		}
		// More than the limit: one more than it, saying so.
		if got, err := ts.Descendants(ctx, doctor, "404684003", true, 5); err != nil || len(got) != 6 {
			t.Errorf("clinical findings, at most 5: %d, %v; want 6 (more than 5)", len(got), err)
		}
		if got := ids(ts.Ancestors(ctx, doctor, "44054006", false)); got != "138875005 404684003 64572001 73211009" {
			t.Errorf("above type 2 diabetes: %s", got)
		}
		if c, err := ts.FindConcept(ctx, doctor, "44054006"); err != nil || strings.Join(c.Parents, " ") != "73211009" {
			t.Errorf("type 2 diabetes is directly a kind of: %+v %v, want 73211009", c, err)
		}
		if got, err := ts.Children(ctx, doctor, "73211009"); err != nil || strings.Join(got, " ") != "44054006 46635009" {
			t.Errorf("directly a kind of diabetes: %v %v", got, err)
		}
		if got, err := ts.Subsumes(ctx, b.Actor(crs.RoleDoctor), "73211009", "44054006"); err != nil || got {
			t.Errorf("another trust, with no release: %v %v", got, err)
		}
		if _, err := ts.Descendants(ctx, a.Actor(crs.RoleClerk), "73211009", true, 10); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("a clerk reads the hierarchy: %v", err)
		}
		// Loading again replaces the relationships with the release's.
		for i := range concepts {
			concepts[i].Parents = nil
		}
		if _, err := ts.LoadSNOMED(ctx, a.System, concepts); err != nil {
			t.Fatal(err)
		}
		if got, err := ts.Subsumes(ctx, doctor, "73211009", "44054006"); err != nil || got {
			t.Errorf("after a release with no relationships: %v %v", got, err)
		}
	})
}

// TestTerminologyRefsets reads the simple reference set of the sample
// release: the concepts it lists, whether it lists one, the reference
// sets of the release, each trust's own, replaced with the release.
func TestTerminologyRefsets(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		ts := store.NewTerminologyService(db)
		a, b := storetest.NewTrust(t, db, "RSA"), storetest.NewTrust(t, db, "RSB")
		concepts := loadSample(t, ts, a)
		doctor := a.Actor(crs.RoleDoctor)
		const reactions = "19999999103" // the demo's allergic reactions
		members := func(limit int) string {
			got, err := ts.RefsetMembers(ctx, doctor, reactions, limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range got {
				if c.Term == "" {
					t.Errorf("member %s without its term", c.ID)
				}
				ids = append(ids, c.ID)
			}
			return strings.Join(ids, " ")
		}
		if got, want := members(10), "126485001 271807003 39579001 41291007 418290006 56018004"; got != want {
			t.Errorf("members: %s, want %s", got, want)
		}
		// More than the limit: one more than it, saying so.
		if got, want := members(3), "126485001 271807003 39579001 41291007"; got != want {
			t.Errorf("members, at most 3: %s, want %s (more than 3)", got, want)
		}
		for _, tc := range []struct {
			refset, code string
			want         bool
		}{
			{reactions, "39579001", true},    // anaphylaxis
			{reactions, "195967001", false},  // asthma is not a reaction listed
			{"195967001", "39579001", false}, // a concept that lists nothing
		} {
			if got, err := ts.InRefset(ctx, doctor, tc.refset, tc.code); err != nil || got != tc.want {
				t.Errorf("%s lists %s: %v %v, want %v", tc.refset, tc.code, got, err, tc.want)
			}
		}
		// The reference sets of the release: those that list a concept.
		if got, err := ts.Refsets(ctx, doctor, 10); err != nil || len(got) != 1 || got[0].ID != reactions || got[0].Term == "" {
			t.Errorf("reference sets: %+v %v, want %s with its term", got, err, reactions)
		}
		for code, want := range map[string]bool{reactions: true, "39579001": false} {
			if got, err := ts.IsRefset(ctx, doctor, code); err != nil || got != want {
				t.Errorf("%s is a reference set: %v %v, want %v", code, got, err, want)
			}
		}
		if got, err := ts.Refsets(ctx, b.Actor(crs.RoleDoctor), 10); err != nil || len(got) != 0 {
			t.Errorf("another trust's reference sets, with no release: %v %v", got, err)
		}
		if got, err := ts.InRefset(ctx, b.Actor(crs.RoleDoctor), reactions, "39579001"); err != nil || got {
			t.Errorf("another trust, with no release: %v %v", got, err)
		}
		if _, err := ts.RefsetMembers(ctx, a.Actor(crs.RoleClerk), reactions, 10); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("a clerk reads a reference set: %v", err)
		}
		if _, err := ts.InRefset(ctx, a.Actor(crs.RoleClerk), reactions, "39579001"); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("a clerk asks of a reference set: %v", err)
		}
		// Loading again replaces the members with the release's.
		for i := range concepts {
			concepts[i].Refsets = nil
		}
		if _, err := ts.LoadSNOMED(ctx, a.System, concepts); err != nil {
			t.Fatal(err)
		}
		if got := members(10); got != "" {
			t.Errorf("after a release with no reference sets: %s", got)
		}
	})
}

// loadSample loads the demo's sample SNOMED CT release for a trust, and
// returns its concepts.
func loadSample(t *testing.T, ts *store.TerminologyService, tr *storetest.Trust) []nhs.Concept {
	t.Helper()
	concepts, err := demo.SNOMEDSample()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.LoadSNOMED(context.Background(), tr.System, concepts); err != nil {
		t.Fatal(err)
	}
	return concepts
}
