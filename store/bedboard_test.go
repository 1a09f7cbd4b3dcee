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

// TestWardBedsFollowTheEstate checks that the wards and beds the bed
// board and the pickers keep are forgotten when the estate changes: a bed
// added, a bed closed and a ward renamed show on the next read, and
// filling one page's beds leaves the next page's alone.
func TestWardBedsFollowTheEstate(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RWB", 1)
		orgs := store.NewOrganisationService(db)
		admin := s.tr.Actor(crs.RoleAdmin)
		bed := func(wards []*crs.BedBoardWard, id string) *crs.BedBoardBed {
			for _, w := range wards {
				for _, b := range w.Beds {
					if b.BedID == id {
						return b
					}
				}
			}
			return nil
		}
		first, err := s.ip.WardBeds(ctx, s.clerk)
		if err != nil {
			t.Fatal(err)
		}
		if b := bed(first, s.beds[0].ID); b == nil || b.SpellID != "" {
			t.Fatalf("bed B01 = %+v, want free on the first read", b)
		}
		// A page that fills its copy does not change what the next reads.
		bed(first, s.beds[0].ID).SpellID = "not a spell"
		if _, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: s.patients[0].ID, Method: "21", Source: "19", WardID: s.ward.ID, BedID: s.beds[1].ID, ConsultantCode: "C1111111"}); err != nil {
			t.Fatalf("admit: %v", err)
		}
		added := &crs.Location{ParentID: s.ward.ID, Kind: crs.LocationBed, Code: "B05", Name: "B05"}
		if err := orgs.CreateLocation(ctx, admin, added); err != nil {
			t.Fatal(err)
		}
		closed := *s.beds[2]
		closed.Status = crs.BedClosed
		if err := orgs.UpdateLocation(ctx, admin, &closed); err != nil {
			t.Fatal(err)
		}
		renamed := *s.ward2
		renamed.Name = "Ward Two"
		if err := orgs.UpdateLocation(ctx, admin, &renamed); err != nil {
			t.Fatal(err)
		}
		next, err := s.ip.WardBeds(ctx, s.clerk)
		if err != nil {
			t.Fatal(err)
		}
		if b := bed(next, s.beds[0].ID); b == nil || b.SpellID != "" {
			t.Errorf("bed B01 = %+v, want free on the next read", b)
		}
		if b := bed(next, s.beds[1].ID); b == nil || b.SpellID == "" {
			t.Errorf("bed B02 = %+v, want the admitted patient's spell", b)
		}
		if b := bed(next, added.ID); b == nil {
			t.Errorf("bed B05, added, is not among the ward's beds")
		}
		if b := bed(next, s.beds[2].ID); b == nil || b.Status != crs.BedClosed {
			t.Errorf("bed B03 = %+v, want closed", b)
		}
		for _, w := range next {
			if w.WardID == s.ward2.ID && w.WardName != "Ward Two" {
				t.Errorf("ward WD2 is named %q, want Ward Two", w.WardName)
			}
		}
	})
}

// TestWardSummariesAndWardBoard checks the trust's board, a line a ward
// counting its beds occupied, free and closed and its patients awaiting
// discharge or without a bed, and one ward's board: its own beds and
// patients alone, a ward of another trust not found, and each listing
// only the patients it shows.
func TestWardSummariesAndWardBoard(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RWS", 4)
		today := crs.LocalDate(clock.Now())
		closed := *s.beds[3]
		closed.Status = crs.BedClosed
		if err := store.NewOrganisationService(db).UpdateLocation(ctx, s.tr.Actor(crs.RoleAdmin), &closed); err != nil {
			t.Fatalf("close B04: %v", err)
		}
		for _, a := range []*crs.Admission{
			{PatientID: s.patients[0].ID, WardID: s.ward.ID, BedID: s.beds[0].ID, ExpectedDischarge: today},                                  // due out today
			{PatientID: s.patients[1].ID, WardID: s.ward.ID, BedID: s.beds[1].ID, ExpectedDischarge: crs.Date{Time: today.AddDate(0, 0, 1)}}, // tomorrow
			{PatientID: s.patients[2].ID, WardID: s.ward.ID},                                                                                 // no bed yet
			{PatientID: s.patients[3].ID, WardID: s.ward2.ID, BedID: s.beds[4].ID},
		} {
			a.Method, a.Source, a.ConsultantCode = "21", "19", "C1111111"
			if _, err := s.ip.Admit(ctx, s.clerk, a); err != nil {
				t.Fatalf("admit: %v", err)
			}
		}
		sums, err := s.ip.WardSummaries(ctx, s.clerk)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]crs.WardSummary{}
		for _, w := range sums {
			got[w.WardCode] = *w
		}
		want := map[string]crs.WardSummary{
			"WD1": {WardID: s.ward.ID, WardCode: "WD1", WardName: "WD1", Beds: 4, Occupied: 2, Free: 1, Closed: 1, AwaitingDischarge: 1, Unbedded: 1},
			"WD2": {WardID: s.ward2.ID, WardCode: "WD2", WardName: "WD2", Beds: 1, Occupied: 1},
		}
		for code, w := range want {
			g := got[code]
			g.SiteID, g.SiteName = "", ""
			if g != w {
				t.Errorf("%s = %+v, want %+v", code, g, w)
			}
		}

		board, err := s.ip.WardBoard(ctx, s.clerk, s.ward.ID)
		if err != nil {
			t.Fatal(err)
		}
		var in []string
		for _, b := range append(board.Beds, board.Unbedded...) {
			if b.SpellID != "" {
				in = append(in, b.Name)
			}
		}
		if board.WardCode != "WD1" || len(board.Beds) != 4 || len(board.Unbedded) != 1 || len(in) != 3 {
			t.Errorf("WD1's board = %s, %d beds, %d without a bed, patients %q; want WD1, 4, 1 and three patients", board.WardCode, len(board.Beds), len(board.Unbedded), in)
		}
		if _, err := s.ip.WardBoard(ctx, s.clerk, s.beds[0].ID); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("a bed's id as a ward: %v, want ENOTFOUND", err)
		}
		other := newSite(t, db, "RWT", 0)
		if _, err := other.ip.WardBoard(ctx, other.clerk, s.ward.ID); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("another trust's ward: %v, want ENOTFOUND", err)
		}
		db.Flush(ctx)
		if n := listRecords(t, db, s.tr.Org.ID, "ward beds"); n != 1 {
			t.Errorf("%d audit records listing the ward's patients, want 1", n)
		}
		if !trailShows(t, db, s.tr.Actor(crs.RolePrivacyOfficer), s.patients[2].ID, s.clerk.UserID, "ward beds") {
			t.Errorf("the access trail of the patient without a bed does not show the ward's board")
		}
		if trailShows(t, db, s.tr.Actor(crs.RolePrivacyOfficer), s.patients[3].ID, s.clerk.UserID, "ward beds") {
			t.Errorf("WD1's board listed a patient of WD2")
		}
	})
}
