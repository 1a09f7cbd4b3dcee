package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// TestBedBoardFilter checks the bed board's facts about each patient,
// its bays with their sex, and its site and ward filter, which the board
// remembers for the next visit.
func TestBedBoardFilter(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	ctx, admin := context.Background(), e.a.Actor(crs.RoleAdmin)
	orgs := store.NewOrganisationService(e.db)
	loc := func(parent string, kind crs.LocationKind, code, name string) *crs.Location {
		l := &crs.Location{ParentID: parent, Kind: kind, Code: code, Name: name}
		if err := orgs.CreateLocation(ctx, admin, l); err != nil {
			t.Fatalf("location %s: %v", code, err)
		}
		return l
	}
	bayA := loc(st.ward.ID, crs.LocationBay, "BAYA", "Bay A")
	bedA1 := loc(bayA.ID, crs.LocationBed, "A1", "Bed A1")
	loc(bayA.ID, crs.LocationBed, "A2", "Bed A2")
	other := loc("", crs.LocationSite, "WEST", "West site")
	west := loc(other.ID, crs.LocationWard, "WW1", "Willow Ward")
	loc(west.ID, crs.LocationBed, "W01", "Bed W01")

	p := e.register(e.a, "Bayley", "Beth", crs.NewDate(1950, 6, 1), "", "")
	c := e.login(e.a, crs.RoleClerk)
	c.get("/patients/" + p.ID + "/admit")
	r := c.post("/patients/"+p.ID+"/admit", url.Values{"method": {"21"}, "source": {"19"}, "place": {st.ward.ID + "/" + bedA1.ID},
		"consultant": {"C7654321"}, "expected_discharge": {"2026-02-20"}})
	wantStatus(t, "admit", r, 303)
	e.clock.Advance(72 * time.Hour) // three nights in
	c = e.login(e.a, crs.RoleClerk)

	all := c.get("/beds")
	wantBody(t, "whole board", all, "BAYLEY, Beth", "Male · 75y · day 3", "Past EDD", "Bay BAYA", "Male bay", "WW1 Willow Ward", "WD10 Nightingale Ward")
	r = c.get("/beds?site=" + other.ID + "&ward=")
	wantBody(t, "west site", r, "WW1 Willow Ward")
	if strings.Contains(r.body, "Nightingale Ward <span") {
		t.Errorf("the west site's board shows the main site's ward")
	}
	wantBody(t, "the filter is remembered", c.get("/beds"), "WW1 Willow Ward", `<option value="`+other.ID+`" selected>West site</option>`)
	if strings.Contains(c.get("/beds").body, "BAYLEY") {
		t.Errorf("the remembered filter was not applied")
	}
	r = c.get("/beds?site=&ward=" + st.ward.ID + "&compact=yes")
	wantBody(t, "compact ward", r, "beds--compact", "BAYLEY, Beth")
	if strings.Contains(r.body, "Willow") && strings.Contains(r.body, `id="ward-`+west.ID+`"`) {
		t.Errorf("the ward filter shows another ward")
	}
}
