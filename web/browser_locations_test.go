package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// choose selects the option of a select whose text contains text, as a
// user picking it from the list by what it says.
func choose(id, text string) chromedp.Action[chromedp.Void] {
	return js(`const s = document.getElementById(` + jsString(id) + `); const o = [...s.options].find(o => o.text.includes(` + jsString(text) + `));
		if (!o) throw new Error("no option " + ` + jsString(text) + `); s.value = o.value`)
}

// TestBrowserFirstHour takes a new trust, made as crs trust add and crs
// user add make it, to its first patient in a bed: its administrator sets
// up a site, a ward, a bay and two beds on the Locations pages (and closes
// one), then a clerk registers a patient, admits them to the open bed,
// which is the only one offered, and finds them on the bed board.
func TestBrowserFirstHour(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	base := e.srv.URL
	bg := context.Background()

	org := &crs.Organisation{ODSCode: "RNW", Name: "Newtown Hospitals NHS Trust", MRNPrefix: "N"}
	if err := store.NewOrganisationService(e.db).CreateOrganisation(bg, crs.SystemActor(""), org); err != nil {
		t.Fatal(err)
	}
	admin := &crs.User{Username: "n.admin", Name: "Nia Admin", Role: crs.RoleAdmin}
	clerk := &crs.User{Username: "n.clerk", Name: "Ned Clerk", Role: crs.RoleClerk}
	for _, u := range []*crs.User{admin, clerk} {
		if err := store.NewUserService(e.db).CreateUser(bg, crs.SystemActor(org.ID), u, storetest.Password); err != nil {
			t.Fatal(err)
		}
	}

	loginAs(t, ctx, base, admin)
	run(t, ctx, "open Locations from the navigation",
		chromedp.Click(chromedp.Search(`//nav//a[normalize-space()="Locations"]`)),
		waitText("main", "No locations yet"),
	)
	run(t, ctx, "add a site",
		chromedp.Click(chromedp.Search(`//a[normalize-space()="Add a site"]`)),
		chromedp.WaitVisible(chromedp.ID("#code")),
		chromedp.SendKeys(chromedp.ID("#code"), "NGH"),
		chromedp.SendKeys(chromedp.ID("#name"), "Newtown General Hospital"),
		chromedp.Click(chromedp.CSS(`form button.button[type="submit"]`)),
		waitText(".flash", "Site NGH Newtown General Hospital added."),
	)
	run(t, ctx, "a ward with no sex or specialty is refused beside the fields",
		chromedp.Click(chromedp.Search(`//a[contains(., "Add a ward to NGH")]`)),
		chromedp.WaitVisible(chromedp.ID("#code")),
		chromedp.SendKeys(chromedp.ID("#code"), "WD1"),
		chromedp.SendKeys(chromedp.ID("#name"), "Alder Ward"),
		chromedp.Click(chromedp.CSS(`form button.button[type="submit"]`)),
		waitText(".error-summary", "Say whom the ward takes"),
		waitText("#sex-error", "Say whom the ward takes"),
		waitText("#specialty-error", "Choose the ward's specialty"),
	)
	screenshot(t, ctx, "/tmp/crs-location-errors.png")
	run(t, ctx, "add the ward",
		chromedp.Click(chromedp.CSS(`label[for="sex-mixed"]`)),
		choose("specialty", "300 – General Internal Medicine"),
		chromedp.Click(chromedp.CSS(`form button.button[type="submit"]`)),
		waitText(".flash", "Ward WD1 Alder Ward added."),
	)
	run(t, ctx, "add a bay",
		chromedp.Click(chromedp.Search(`//a[contains(., "Add a bay to WD1")]`)),
		chromedp.WaitVisible(chromedp.ID("#code")),
		chromedp.SendKeys(chromedp.ID("#code"), "BAYA"),
		chromedp.SendKeys(chromedp.ID("#name"), "Bay A"),
		chromedp.Click(chromedp.CSS(`label[for="sex-female"]`)),
		chromedp.Click(chromedp.CSS(`form button.button[type="submit"]`)),
		waitText(".flash", "Bay BAYA Bay A added."),
	)
	for _, bed := range []string{"B01", "B02"} {
		run(t, ctx, "add bed "+bed,
			chromedp.Click(chromedp.Search(`//a[contains(., "Add a bed to BAYA")]`)),
			chromedp.WaitVisible(chromedp.ID("#code")),
			chromedp.SendKeys(chromedp.ID("#code"), bed),
			chromedp.SendKeys(chromedp.ID("#name"), "Bed "+bed[1:]),
			chromedp.Click(chromedp.CSS(`form button.button[type="submit"]`)),
			waitText(".flash", "Bed "+bed+" Bed "+bed[1:]+" added."),
		)
	}
	run(t, ctx, "close bed B02 for cleaning",
		choose("status-"+bedID(t, e, org, "B02"), "Out of use"),
		chromedp.Click(chromedp.Search(`//button[contains(., "the status of bed B02")]`)),
		waitText(".flash", "Bed B02 is now out of use"),
	)
	screenshot(t, ctx, "/tmp/crs-locations.png")
	logout(t, ctx)

	loginAs(t, ctx, base, clerk)
	run(t, ctx, "register a patient",
		chromedp.Click(chromedp.Search(`//nav//a[normalize-space()="Register a patient"]`)),
		chromedp.WaitVisible(chromedp.ID("#given_name")),
		chromedp.SendKeys(chromedp.ID("#given_name"), "Fern"),
		chromedp.SendKeys(chromedp.ID("#family_name"), "First"),
		chromedp.SendKeys(chromedp.ID("#birth_date-day"), "14"),
		chromedp.SendKeys(chromedp.ID("#birth_date-month"), "2"),
		chromedp.SendKeys(chromedp.ID("#birth_date-year"), "1961"),
		chromedp.Click(chromedp.CSS(`label[for="gender-2"]`)),
		chromedp.SendKeys(chromedp.ID("#nhs_number"), "999 000 0042"),
		chromedp.SendKeys(chromedp.ID("#address_line1"), "3 Mill Lane"),
		chromedp.SendKeys(chromedp.ID("#postcode"), "NE1 4ST"),
		chromedp.Click(chromedp.CSS(`#register-form button.button[type="submit"]:not([name])`)),
		waitText(".flash", "Registered with hospital number N"),
		waitText(".banner__name", "FIRST, Fern"),
	)
	run(t, ctx, "open the admission form",
		chromedp.Click(chromedp.Search(`//a[normalize-space()="Admit"]`)),
		chromedp.WaitVisible(chromedp.ID("#place")),
	)
	offered := value(t, ctx, "the beds offered", chromedp.Text(chromedp.ID("#place")))
	if !strings.Contains(offered, "WD1 bed B01 (free)") || strings.Contains(offered, "B02") {
		t.Errorf("the admission form offers %q; want B01 and not B02, which is out of use", offered)
	}
	run(t, ctx, "admit to bed B01",
		choose("method", "21 –"),
		choose("source", "19 –"),
		choose("place", "WD1 bed B01"),
		chromedp.SendKeys(chromedp.ID("#consultant"), "C1234567"),
		choose("treatment_function", "300 –"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Admit"]`)),
		waitText(".flash", "Admitted"),
	)
	run(t, ctx, "the bed board shows the patient in B01",
		chromedp.Click(chromedp.Search(`//nav//a[normalize-space()="Bed board"]`)),
		waitText("#wards", "0 of 2 beds free"),
		chromedp.Click(chromedp.Search(`//a[normalize-space()="WD1 Alder Ward"]`)),
		waitText(".ward", "WD1 Alder Ward"),
		waitText(".ward", "1 of 2 beds occupied"),
		waitText(".bed--occupied", "B01"),
		waitText(".bed--occupied", "FIRST, Fern"),
		waitText(".bed--closed", "Out of use"),
	)
	screenshot(t, ctx, "/tmp/crs-first-admission.png")
}

// bedID finds a bed of the trust by code through the service.
func bedID(t *testing.T, e *env, org *crs.Organisation, code string) string {
	t.Helper()
	locs, err := e.server.Orgs.FindLocations(context.Background(), crs.SystemActor(org.ID), crs.LocationBed)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range locs {
		if l.Code == code {
			return l.ID
		}
	}
	t.Fatalf("no bed %s", code)
	return ""
}
