package crs

import (
	"testing"

	"github.com/opencrs/crs/nhs"
)

// TestBedFlagConcepts checks every concept that flags a bed is a valid
// SNOMED CT identifier and raises a flag the board knows how to name.
func TestBedFlagConcepts(t *testing.T) {
	for code, flag := range BedFlagConcepts {
		if err := nhs.CheckSCTID(code); err != nil {
			t.Errorf("concept %s: %v", code, err)
		}
		if BedFlagName(flag) == flag {
			t.Errorf("concept %s raises flag %q, which has no name on the board", code, flag)
		}
	}
	if BedFlagName(BedFlagIsolation) != "Isolation" || BedFlagName(BedFlagFalls) != "Falls risk" {
		t.Errorf("flag names: %q, %q", BedFlagName(BedFlagIsolation), BedFlagName(BedFlagFalls))
	}
}
