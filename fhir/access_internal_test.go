package fhir

import (
	"testing"

	"github.com/opencrs/crs/internal/routes"
)

// TestInteractionAccess checks that every route the API registers is
// declared in interactionAccess, and every declaration is registered.
func TestInteractionAccess(t *testing.T) {
	registered, err := routes.Registered(".")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range registered {
		seen[p] = true
		if _, ok := interactionAccess[p]; !ok {
			t.Errorf("interaction %q is not in interactionAccess", p)
		}
	}
	if len(seen) < 10 {
		t.Fatalf("found only %d routes", len(seen))
	}
	for p := range interactionAccess {
		if !seen[p] {
			t.Errorf("interactionAccess declares %q, which is not registered", p)
		}
	}
}
