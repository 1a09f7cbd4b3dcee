package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opencrs/crs"
)

// locationID finds on the Locations page the id of the location whose
// row shows code (the first such row).
func locationID(t *testing.T, r resp, code string) string {
	t.Helper()
	m := regexp.MustCompile(`id="loc-([0-9a-f-]+)"[^>]*>\s*(?:<div class="tree__row">\s*<span class="tree__code">|<h2[^>]*>)` + regexp.QuoteMeta(code) + `[ <]`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no location %s on the Locations page\n%s", code, excerpt(r.body))
	}
	return m[1]
}

func TestLocationsSetUpAnEstate(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.a, crs.RoleAdmin)

	r := admin.get("/locations")
	wantStatus(t, "GET /locations", r, http.StatusOK)
	wantBody(t, "GET /locations", r, `href="/locations" aria-current="page">Locations</a>`, "No locations yet", `href="/locations/new?kind=site"`)

	r = admin.get("/locations/new?kind=site")
	wantStatus(t, "GET /locations/new?kind=site", r, http.StatusOK)
	wantBody(t, "the site form", r, `<label class="label" for="code">Code</label>`, `<label class="label" for="name">Name</label>`)
	add := func(what string, form url.Values) resp {
		t.Helper()
		r := admin.post("/locations/new", form)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/locations#loc-") {
			t.Fatalf("%s: %d to %q; want 303 to /locations#loc-...\n%s", what, r.status, r.loc, excerpt(r.body))
		}
		return r
	}
	add("add a site", url.Values{"kind": {"site"}, "code": {"MAIN"}, "name": {"Main hospital"}})
	r = admin.get("/locations")
	wantBody(t, "the page after adding a site", r, "Site MAIN Main hospital added.", "MAIN Main hospital", "Add a ward", "Add a clinic room", "Add an emergency department")
	site := locationID(t, r, "MAIN")

	r = admin.get("/locations/new?kind=ward&parent=" + site)
	wantStatus(t, "the ward form", r, http.StatusOK)
	wantBody(t, "the ward form", r, `<option value="`+site+`" selected>MAIN – Main hospital (site)</option>`, `id="sex-male"`, `id="sex-mixed"`,
		`<option value="300">300 – General Internal Medicine Service</option>`)

	for _, tc := range []struct {
		name  string
		form  url.Values
		field string // the input the error is beside
		msg   string
	}{
		{"no sex", url.Values{"kind": {"ward"}, "parent": {site}, "code": {"WD10"}, "name": {"Nightingale"}, "specialty": {"300"}},
			"sex", "Say whom the ward takes"},
		{"no specialty", url.Values{"kind": {"ward"}, "parent": {site}, "code": {"WD10"}, "name": {"Nightingale"}, "sex": {"female"}},
			"specialty", "Choose the ward&#39;s specialty"},
		{"unknown specialty", url.Values{"kind": {"ward"}, "parent": {site}, "code": {"WD10"}, "name": {"Nightingale"}, "sex": {"female"}, "specialty": {"999"}},
			"specialty", "is not a treatment function code"},
		{"space in code", url.Values{"kind": {"ward"}, "parent": {site}, "code": {"WD 10"}, "name": {"Nightingale"}, "sex": {"female"}, "specialty": {"300"}},
			"code", "no spaces or slashes"},
		{"no parent", url.Values{"kind": {"ward"}, "code": {"WD10"}, "name": {"Nightingale"}, "sex": {"female"}, "specialty": {"300"}},
			"parent", "Choose where the ward is"},
		{"no name", url.Values{"kind": {"ward"}, "parent": {site}, "code": {"WD10"}, "sex": {"female"}, "specialty": {"300"}},
			"name", "A location needs a name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := admin.post("/locations/new", tc.form)
			wantStatus(t, "POST /locations/new", r, http.StatusUnprocessableEntity)
			anchor := locationAnchors[tc.field]
			if anchor == "" {
				anchor = tc.field
			}
			wantBody(t, "POST /locations/new", r, `id="`+tc.field+`-error"`, tc.msg, `href="#`+anchor+`"`, `id="`+anchor+`"`)
		})
	}

	add("add a ward", url.Values{"kind": {"ward"}, "parent": {site}, "code": {"WD10"}, "name": {"Nightingale Ward"}, "sex": {"female"}, "specialty": {"300"}})
	r = admin.get("/locations")
	ward := locationID(t, r, "WD10")
	wantBody(t, "the ward on the page", r, "Nightingale Ward", "Female", "300 General Internal Medicine Service")

	// A second ward of the same code is refused: HL7 names a ward by its code.
	r = admin.post("/locations/new", url.Values{"kind": {"ward"}, "parent": {site}, "code": {"WD10"}, "name": {"Other"}, "sex": {"male"}, "specialty": {"100"}})
	wantStatus(t, "a second ward WD10", r, http.StatusUnprocessableEntity)
	wantBody(t, "a second ward WD10", r, `id="code-error"`, "already has a ward with code WD10")
	// A male bay on a female ward is refused beside the sex.
	r = admin.post("/locations/new", url.Values{"kind": {"bay"}, "parent": {ward}, "code": {"BAYA"}, "name": {"Bay A"}, "sex": {"male"}})
	wantStatus(t, "a male bay on a female ward", r, http.StatusUnprocessableEntity)
	wantBody(t, "a male bay on a female ward", r, `id="sex-error"`, "A bay of a female ward must be female too")
	// A bed cannot be put on a site.
	r = admin.post("/locations/new", url.Values{"kind": {"bed"}, "parent": {site}, "code": {"B01"}, "name": {"Bed 1"}, "status": {"available"}})
	wantStatus(t, "a bed on a site", r, http.StatusUnprocessableEntity)
	wantBody(t, "a bed on a site", r, `id="parent-error"`, "Choose a location of this trust from the list")

	add("add a bay", url.Values{"kind": {"bay"}, "parent": {ward}, "code": {"BAYA"}, "name": {"Bay A"}, "sex": {"female"}})
	bay := locationID(t, admin.get("/locations"), "BAYA")
	add("add a bed", url.Values{"kind": {"bed"}, "parent": {bay}, "code": {"B01"}, "name": {"Bed 1"}, "status": {"available"}})
	add("add a second bed", url.Values{"kind": {"bed"}, "parent": {bay}, "code": {"B02"}, "name": {"Bed 2"}, "status": {"available"}})
	add("add a clinic room", url.Values{"kind": {"clinic_room"}, "parent": {site}, "code": {"OPD1"}, "name": {"Outpatients 1"}})
	r = admin.post("/locations/new", url.Values{"kind": {"ed"}, "parent": {site}, "code": {"ED"}, "name": {"Emergency department"}, "ed_type": {"04"}})
	wantStatus(t, "a retired department type", r, http.StatusUnprocessableEntity)
	wantBody(t, "a retired department type", r, `id="ed_type-error"`, "retired on 1 July 2023")
	add("add an emergency department", url.Values{"kind": {"ed"}, "parent": {site}, "code": {"ED"}, "name": {"Emergency department"}, "ed_type": {"01"}})

	r = admin.get("/locations")
	b01, b02 := locationID(t, r, "B01"), locationID(t, r, "B02")
	wantBody(t, "the estate", r, "OPD1", "Type 01: Major emergency department", `<label class="label label--small" for="status-`+b01+`">`)

	// The bed board and the admission form show the new beds.
	clerk := e.login(e.a, crs.RoleClerk)
	wantBody(t, "the bed board", clerk.get("/beds"), "WD10 Nightingale Ward", "2 of 2 beds free")
	wantBody(t, "the ward's beds", clerk.get("/beds/"+ward), "WD10 Nightingale Ward", "0 of 2 beds occupied", "B01", "B02")

	// Close B02: it stays on the bed board, marked, and is not offered.
	r = admin.post("/locations/"+b02+"/status", url.Values{"status": {"closed"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("close B02: %d\n%s", r.status, excerpt(r.body))
	}
	wantBody(t, "the flash", admin.get("/locations"), "Bed B02 is now closed.")
	wantBody(t, "the ward's beds with B02 closed", clerk.get("/beds/"+ward), `<span class="bed__closed">Closed</span>`)
	wantBody(t, "the bed board with B02 closed", clerk.get("/beds"), "1 of 2 beds free")
	p := e.register(e.a, "Bedford", "Beth", crs.NewDate(1970, 5, 6), "9990000018", "E1 6AN")
	r = clerk.get("/patients/" + p.ID + "/admit")
	wantStatus(t, "the admission form", r, http.StatusOK)
	wantBody(t, "the admission form", r, `value="`+ward+`/`+b01+`"`)
	if strings.Contains(r.body, b02) {
		t.Errorf("the admission form offers closed bed B02")
	}
	r = clerk.post("/patients/"+p.ID+"/admit", url.Values{"method": {"21"}, "source": {"19"}, "place": {ward + "/" + b02}, "consultant": {"C1234567"}, "treatment_function": {"300"}})
	wantStatus(t, "admit to closed bed B02", r, http.StatusUnprocessableEntity)
	wantBody(t, "admit to closed bed B02", r, `id="place-error"`, "Bed B02 is closed: choose an available bed")

	// Admit to B01; then B01 cannot be closed while the patient is in it.
	r = clerk.post("/patients/"+p.ID+"/admit", url.Values{"method": {"21"}, "source": {"19"}, "place": {ward + "/" + b01}, "consultant": {"C1234567"}, "treatment_function": {"300"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("admit to B01: %d\n%s", r.status, excerpt(r.body))
	}
	wantBody(t, "the ward's beds after admission", clerk.get("/beds/"+ward), "BEDFORD, Beth", "1 of 2 beds occupied")
	r = admin.post("/locations/"+b01+"/status", url.Values{"status": {"out_of_use"}})
	wantStatus(t, "close an occupied bed", r, http.StatusUnprocessableEntity)
	wantBody(t, "close an occupied bed", r, `id="status-`+b01+`-error"`, "Bed B01 has a patient in it", `href="#status-`+b01+`"`)
	r = admin.post("/locations/"+b01+"/status", url.Values{"status": {"shut"}})
	wantStatus(t, "an unknown status", r, http.StatusUnprocessableEntity)
	wantBody(t, "an unknown status", r, `id="status-`+b01+`-error"`, "is not one of available, closed, out_of_use")
}

func TestLocationsAdministratorOnly(t *testing.T) {
	e := newEnv(t)
	orgs := e.server.Orgs
	site := &crs.Location{Kind: crs.LocationSite, Code: "MAIN", Name: "Main"}
	if err := orgs.CreateLocation(context.Background(), e.a.Actor(crs.RoleAdmin), site); err != nil {
		t.Fatal(err)
	}
	ward := &crs.Location{Kind: crs.LocationWard, ParentID: site.ID, Code: "WD1", Name: "Ward 1", Sex: crs.SexMixed, Specialty: "300"}
	if err := orgs.CreateLocation(context.Background(), e.a.Actor(crs.RoleAdmin), ward); err != nil {
		t.Fatal(err)
	}
	bed := &crs.Location{Kind: crs.LocationBed, ParentID: ward.ID, Code: "B1", Name: "Bed 1"}
	if err := orgs.CreateLocation(context.Background(), e.a.Actor(crs.RoleAdmin), bed); err != nil {
		t.Fatal(err)
	}
	for _, role := range []crs.Role{crs.RoleClerk, crs.RoleNurse, crs.RoleDoctor, crs.RoleAnalyst, crs.RolePrivacyOfficer} {
		t.Run(string(role), func(t *testing.T) {
			c := e.login(e.a, role)
			if strings.Contains(c.get("/patients").body, `href="/locations"`) {
				t.Errorf("the %s sees the Locations link", role)
			}
			wantStatus(t, "GET /locations", c.get("/locations"), http.StatusForbidden)
			wantStatus(t, "GET /locations/new", c.get("/locations/new?kind=site"), http.StatusForbidden)
			wantStatus(t, "POST /locations/new", c.post("/locations/new", url.Values{"kind": {"site"}, "code": {"X"}, "name": {"X"}}), http.StatusForbidden)
			wantStatus(t, "POST status", c.post("/locations/"+bed.ID+"/status", url.Values{"status": {"closed"}}), http.StatusForbidden)
		})
	}
	locs, err := orgs.FindLocations(context.Background(), e.a.Actor(crs.RoleClerk), crs.LocationSite)
	if err != nil || len(locs) != 1 {
		t.Errorf("sites after refused adds: %d (%v), want 1", len(locs), err)
	}
	// Another trust's administrator cannot see or change trust A's beds.
	other := e.login(e.b, crs.RoleAdmin)
	if r := other.get("/locations"); strings.Contains(r.body, "WD1") {
		t.Errorf("trust B's Locations page shows trust A's ward")
	}
	wantStatus(t, "trust B closes trust A's bed", other.post("/locations/"+bed.ID+"/status", url.Values{"status": {"closed"}}), http.StatusNotFound)
	wantStatus(t, "an unknown kind", other.get("/locations/new?kind=castle"), http.StatusNotFound)
}
