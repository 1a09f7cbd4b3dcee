package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestLocations sets up an estate on both engines: the new fields are
// kept and read back, the tree's rules are enforced, a bed's status
// changes (not while occupied) and a closed bed cannot be admitted to.
func TestLocations(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RAA")
		other := storetest.NewTrust(t, db, "RBB")
		orgs := store.NewOrganisationService(db)
		admin := tr.Actor(crs.RoleAdmin)
		add := func(l *crs.Location) *crs.Location {
			t.Helper()
			if err := orgs.CreateLocation(ctx, admin, l); err != nil {
				t.Fatalf("create %s %s: %v", l.Kind, l.Code, err)
			}
			return l
		}
		site := add(&crs.Location{Kind: crs.LocationSite, Code: "MAIN", Name: "Main hospital"})
		ward := add(&crs.Location{Kind: crs.LocationWard, ParentID: site.ID, Code: "WD10", Name: "Nightingale", Sex: crs.SexMixed, Specialty: "300"})
		bay := add(&crs.Location{Kind: crs.LocationBay, ParentID: ward.ID, Code: "BAYA", Name: "Bay A", Sex: crs.SexFemale})
		b1 := add(&crs.Location{Kind: crs.LocationBed, ParentID: bay.ID, Code: "B01", Name: "Bed 1"})
		b2 := add(&crs.Location{Kind: crs.LocationBed, ParentID: ward.ID, Code: "SR1", Name: "Side room 1", Status: crs.BedOutOfUse})
		ed := add(&crs.Location{Kind: crs.LocationED, ParentID: site.ID, Code: "ED", Name: "Emergency department", EDType: "01"})
		add(&crs.Location{Kind: crs.LocationED, ParentID: ed.ID, Code: "RESUS", Name: "Resus"})
		add(&crs.Location{Kind: crs.LocationClinicRoom, ParentID: site.ID, Code: "OPD1", Name: "Outpatients 1"})

		got, err := orgs.FindLocations(ctx, admin, "")
		if err != nil {
			t.Fatal(err)
		}
		byCode := map[string]*crs.Location{}
		for _, l := range got {
			byCode[l.Code] = l
		}
		want := map[string]crs.Location{
			"WD10":  {ID: ward.ID, OrgID: tr.Org.ID, ParentID: site.ID, Kind: crs.LocationWard, Code: "WD10", Name: "Nightingale", Sex: crs.SexMixed, Specialty: "300", Active: true},
			"BAYA":  {ID: bay.ID, OrgID: tr.Org.ID, ParentID: ward.ID, Kind: crs.LocationBay, Code: "BAYA", Name: "Bay A", Sex: crs.SexFemale, Active: true},
			"B01":   {ID: b1.ID, OrgID: tr.Org.ID, ParentID: bay.ID, Kind: crs.LocationBed, Code: "B01", Name: "Bed 1", Status: crs.BedAvailable, Active: true},
			"SR1":   {ID: b2.ID, OrgID: tr.Org.ID, ParentID: ward.ID, Kind: crs.LocationBed, Code: "SR1", Name: "Side room 1", Status: crs.BedOutOfUse, Active: true},
			"ED":    {ID: ed.ID, OrgID: tr.Org.ID, ParentID: site.ID, Kind: crs.LocationED, Code: "ED", Name: "Emergency department", EDType: "01", Active: true},
			"RESUS": {ID: byCode["RESUS"].ID, OrgID: tr.Org.ID, ParentID: ed.ID, Kind: crs.LocationED, Code: "RESUS", Name: "Resus", Active: true},
		}
		for code, w := range want {
			if diff := cmp.Diff(w, *byCode[code]); diff != "" {
				t.Errorf("location %s (-want +got):\n%s", code, diff)
			}
		}
		if len(got) != 8 {
			t.Errorf("found %d locations, want 8", len(got))
		}
		if l, _ := orgs.FindLocations(ctx, other.Actor(crs.RoleAdmin), ""); len(l) != 0 {
			t.Errorf("trust RBB sees %d of RAA's locations", len(l))
		}
		for _, tc := range []struct {
			name  string
			actor crs.Actor
			ids   []string
			want  []string // codes found
		}{
			{"a ward and a bed", admin, []string{ward.ID, b1.ID}, []string{"B01", "WD10"}},
			{"repeated and empty ids", admin, []string{ward.ID, "", ward.ID, b2.ID}, []string{"SR1", "WD10"}},
			{"an unknown id", admin, []string{"no-such-location", bay.ID}, []string{"BAYA"}},
			{"none", admin, nil, nil},
			{"another trust's ids", other.Actor(crs.RoleAdmin), []string{ward.ID, b1.ID}, nil},
		} {
			t.Run("by id: "+tc.name, func(t *testing.T) {
				got, err := orgs.FindLocationsByID(ctx, tc.actor, tc.ids)
				if err != nil {
					t.Fatal(err)
				}
				var codes []string
				for id, l := range got {
					if l.ID != id {
						t.Errorf("location %s found under id %s", l.ID, id)
					}
					if diff := cmp.Diff(want[l.Code], *l); diff != "" {
						t.Errorf("location %s (-want +got):\n%s", l.Code, diff)
					}
					codes = append(codes, l.Code)
				}
				slices.Sort(codes)
				if diff := cmp.Diff(tc.want, codes); diff != "" {
					t.Errorf("codes found (-want +got):\n%s", diff)
				}
			})
		}

		for _, tc := range []struct {
			name  string
			l     crs.Location
			actor crs.Actor
			code  string
			field string
		}{
			{"a clerk", crs.Location{Kind: crs.LocationSite, Code: "X", Name: "X"}, tr.Actor(crs.RoleClerk), crs.EFORBIDDEN, ""},
			{"ward code taken at another site", crs.Location{Kind: crs.LocationWard, ParentID: site.ID, Code: "WD10", Name: "X", Sex: crs.SexMale}, admin, crs.EINVALID, "code"},
			{"bed code taken in its bay", crs.Location{Kind: crs.LocationBed, ParentID: bay.ID, Code: "B01", Name: "X"}, admin, crs.EINVALID, "code"},
			{"bed on a site", crs.Location{Kind: crs.LocationBed, ParentID: site.ID, Code: "B09", Name: "X"}, admin, crs.EINVALID, "parent"},
			{"ward in a ward", crs.Location{Kind: crs.LocationWard, ParentID: ward.ID, Code: "WD11", Name: "X"}, admin, crs.EINVALID, "parent"},
			{"another trust's parent", crs.Location{Kind: crs.LocationWard, ParentID: site.ID, Code: "WD11", Name: "X"}, other.Actor(crs.RoleAdmin), crs.EINVALID, "parent"},
			{"unknown sex", crs.Location{Kind: crs.LocationBay, ParentID: ward.ID, Code: "BAYB", Name: "X", Sex: "unisex"}, admin, crs.EINVALID, "sex"},
			{"type on an area", crs.Location{Kind: crs.LocationED, ParentID: ed.ID, Code: "MAJ", Name: "Majors", EDType: "01"}, admin, crs.EINVALID, "ed_type"},
			{"retired type", crs.Location{Kind: crs.LocationED, ParentID: site.ID, Code: "WIC", Name: "Walk-in", EDType: "04"}, admin, crs.EINVALID, "ed_type"},
			{"bed status", crs.Location{Kind: crs.LocationBed, ParentID: ward.ID, Code: "B09", Name: "X", Status: "broken"}, admin, crs.EINVALID, "status"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				l := tc.l
				err := orgs.CreateLocation(ctx, tc.actor, &l)
				if crs.ErrorCode(err) != tc.code || (tc.field != "" && crs.FieldErrors(err)[tc.field] == "") {
					t.Errorf("got %v (%s, fields %v), want %s on %q", err, crs.ErrorCode(err), crs.FieldErrors(err), tc.code, tc.field)
				}
			})
		}
		femaleWard := add(&crs.Location{Kind: crs.LocationWard, ParentID: site.ID, Code: "WD20", Name: "Women's", Sex: crs.SexFemale, Specialty: "502"})
		if err := orgs.CreateLocation(ctx, admin, &crs.Location{Kind: crs.LocationBay, ParentID: femaleWard.ID, Code: "BAY1", Name: "X", Sex: crs.SexMale}); crs.FieldErrors(err)["sex"] == "" {
			t.Errorf("a male bay on a female ward: %v, want an error on sex", err)
		}

		// Close B01 and open SR1: one event each; the same again changes nothing.
		events := func() int {
			var n int
			if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE org_id = $1 AND type = $2`, tr.Org.ID, crs.EventLocationChanged).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		setStatus := func(l *crs.Location, st crs.BedStatus) error {
			c := *l
			c.Status = st
			return orgs.UpdateLocation(ctx, admin, &c)
		}
		if err := setStatus(b1, crs.BedClosed); err != nil {
			t.Fatal(err)
		}
		if err := setStatus(b2, crs.BedAvailable); err != nil {
			t.Fatal(err)
		}
		if err := setStatus(b2, crs.BedAvailable); err != nil {
			t.Fatal(err)
		}
		if n := events(); n != 2 {
			t.Errorf("%d location.changed events, want 2 (the unchanged update appends none)", n)
		}
		if err := orgs.UpdateLocation(ctx, tr.Actor(crs.RoleNurse), &crs.Location{ID: b1.ID, Name: "x", Status: crs.BedAvailable}); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("a nurse opens a bed: %v, want forbidden", err)
		}
		if err := orgs.UpdateLocation(ctx, other.Actor(crs.RoleAdmin), &crs.Location{ID: b1.ID, Name: "x", Status: crs.BedAvailable}); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("trust RBB opens RAA's bed: %v, want not found", err)
		}

		// The bed board shows both beds with their status; a closed bed
		// cannot be admitted to, an available one can, and then it cannot
		// be closed.
		ip := store.NewInpatientService(db)
		board, err := ip.BedBoard(ctx, tr.Actor(crs.RoleClerk))
		if err != nil {
			t.Fatal(err)
		}
		status := map[string]crs.BedStatus{}
		for _, w := range board {
			for _, b := range w.Beds {
				status[b.BedCode] = b.Status
			}
		}
		if diff := cmp.Diff(map[string]crs.BedStatus{"B01": crs.BedClosed, "SR1": crs.BedAvailable}, status); diff != "" {
			t.Errorf("bed board statuses (-want +got):\n%s", diff)
		}
		p := &crs.Patient{FamilyName: "Bedford", GivenName: "Beth", BirthDate: crs.NewDate(1970, 5, 6), Gender: "2", NHSNumber: "9990000018",
			Address: crs.Address{Lines: []string{"1 High St"}, Postcode: "E1 6AN"}}
		if err := store.NewPatientService(db).RegisterPatient(ctx, tr.Actor(crs.RoleClerk), p); err != nil {
			t.Fatal(err)
		}
		ad := &crs.Admission{PatientID: p.ID, Method: "21", Source: "19", WardID: ward.ID, BedID: b1.ID, ConsultantCode: "C1234567", TreatmentFunction: "300", At: clock.Now()}
		if _, err := ip.Admit(ctx, tr.Actor(crs.RoleClerk), ad); crs.ErrorCode(err) != crs.ECONFLICT || crs.FieldErrors(err)["bed"] == "" {
			t.Errorf("admit to closed bed B01: %v, want a conflict on bed", err)
		}
		ad.BedID = b2.ID
		if _, err := ip.Admit(ctx, tr.Actor(crs.RoleClerk), ad); err != nil {
			t.Fatalf("admit to SR1: %v", err)
		}
		if err := setStatus(b2, crs.BedOutOfUse); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("put occupied SR1 out of use: %v, want a conflict", err)
		}
		// A mixed ward cannot become male while it has a female bay.
		w := *ward
		w.Sex = crs.SexMale
		if err := orgs.UpdateLocation(ctx, admin, &w); crs.FieldErrors(err)["sex"] == "" {
			t.Errorf("make a ward with a female bay male: %v, want an error on sex", err)
		}
	})
}

func TestLocationTree(t *testing.T) {
	locs := []*crs.Location{
		{ID: "b2", ParentID: "bay", Kind: crs.LocationBed, Code: "B02"},
		{ID: "room", ParentID: "site", Kind: crs.LocationClinicRoom, Code: "OPD1"},
		{ID: "b1", ParentID: "bay", Kind: crs.LocationBed, Code: "B01"},
		{ID: "bay", ParentID: "ward", Kind: crs.LocationBay, Code: "BAYA"},
		{ID: "ward", ParentID: "site", Kind: crs.LocationWard, Code: "WD10"},
		{ID: "site", Kind: crs.LocationSite, Code: "MAIN"},
		{ID: "lost", ParentID: "gone", Kind: crs.LocationWard, Code: "WD99"},
	}
	var got []string
	for _, root := range crs.LocationTree(locs) {
		root.Walk(func(n *crs.LocationNode) { got = append(got, n.Path) })
	}
	want := []string{"MAIN", "MAIN/WD10", "MAIN/WD10/BAYA", "MAIN/WD10/BAYA/B01", "MAIN/WD10/BAYA/B02", "MAIN/OPD1", "WD99"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tree paths (-want +got):\n%s", diff)
	}
}

// TestOrganisationsCreatedAtOnce checks that trusts created at the same
// time are each created, with numbers of their own in the resource
// store's index, on both engines: on PostgreSQL the commands run at
// once, each numbering its trust after those before it.
func TestOrganisationsCreatedAtOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		orgs := store.NewOrganisationService(db)
		errs := make(chan error, 8)
		for i := range 8 {
			go func() {
				errs <- orgs.CreateOrganisation(ctx, crs.SystemActor(""), &crs.Organisation{ODSCode: fmt.Sprintf("RC%d", i), Name: fmt.Sprintf("Trust %d", i), MRNPrefix: "C"})
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Errorf("create: %v", err)
			}
		}
		if n, err := db.QueryCount(ctx, `SELECT COUNT(DISTINCT n) FROM organisations WHERE ods_code LIKE 'RC%'`); err != nil || n != 8 {
			t.Errorf("%d numbers for 8 trusts (%v)", n, err)
		}
	})
}
