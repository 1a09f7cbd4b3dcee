package store_test

import (
	"context"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestBedBoardFacts checks what the bed board reads for each bed: the
// site of the ward, the bay of the bed, and the patient's sex and date of
// birth.
func TestBedBoardFacts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RBF", 1)
		p := s.patients[0]
		bayBed := s.beds[len(s.beds)-1]
		if _, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: p.ID, Method: "21", Source: "19", WardID: s.ward2.ID, BedID: bayBed.ID, ConsultantCode: "C1111111"}); err != nil {
			t.Fatalf("admit: %v", err)
		}
		board, err := s.ip.BedBoard(ctx, s.clerk)
		if err != nil {
			t.Fatal(err)
		}
		var got *crs.BedBoardBed
		for _, w := range board {
			if w.SiteID == "" || w.SiteName == "" {
				t.Errorf("ward %s has no site: %q %q", w.WardCode, w.SiteID, w.SiteName)
			}
			for _, b := range w.Beds {
				if b.BayCode == "" && b.BayID != "" {
					t.Errorf("bed %s has a bay id and no bay code", b.BedCode)
				}
				if b.BedID == bayBed.ID {
					got = b
				}
			}
		}
		if got == nil {
			t.Fatalf("the bay's bed is not on the board")
		}
		if got.BayCode != "BAY1" || got.Gender != p.Gender || got.BirthDate.String() != p.BirthDate.String() || got.SpellID == "" {
			t.Errorf("bay bed = bay %q, gender %q, born %s, spell %q; want BAY1, %q, %s and a spell",
				got.BayCode, got.Gender, got.BirthDate, got.SpellID, p.Gender, p.BirthDate)
		}
	})
}
