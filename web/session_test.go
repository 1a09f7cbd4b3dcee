package web

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store/storetest"
)

// TestSessionTimeout drives the session limits as a user meets them: a
// session in use stays alive, one left idle for 30 minutes or in use for
// 12 hours sends the browser to the login page saying why, and logging in
// again returns to the page asked for.
func TestSessionTimeout(t *testing.T) {
	e := newEnv(t)
	clerk := e.a.Users[crs.RoleClerk].Username
	const page = "/patients?q=smith"

	// ended checks that GET page goes to the login page, which says why
	// and, once logged in, returns to page.
	ended := func(t *testing.T, c *client, why string) {
		t.Helper()
		r := c.get(page)
		wantStatus(t, "GET after the session ended", r, http.StatusSeeOther)
		if want := "/login?next=%2Fpatients%3Fq%3Dsmith"; r.loc != want {
			t.Fatalf("redirect to %q, want %q", r.loc, want)
		}
		r = c.get(r.loc)
		wantStatus(t, "login page", r, http.StatusOK)
		wantBody(t, "login page", r, why, `name="next" value="/patients?q=smith"`)
		r = c.post("/login", url.Values{"username": {clerk}, "password": {storetest.Password}, "next": {page}})
		if r.status != http.StatusSeeOther || r.loc != page {
			t.Fatalf("log in again: %d to %q, want 303 to %s", r.status, r.loc, page)
		}
		wantStatus(t, "the page asked for", c.get(page), http.StatusOK)
	}

	t.Run("activity keeps the session alive past 30 minutes", func(t *testing.T) {
		c := e.login(e.a, crs.RoleClerk)
		for i := 1; i <= 6; i++ {
			e.clock.Advance(20 * time.Minute)
			if r := c.get(page); r.status != http.StatusOK {
				t.Fatalf("request %d, %d minutes after login: status %d, want 200", i, 20*i, r.status)
			}
		}
	})

	t.Run("30 minutes without activity end it", func(t *testing.T) {
		c := e.login(e.a, crs.RoleClerk)
		e.clock.Advance(29 * time.Minute)
		wantStatus(t, "after 29 minutes", c.get(page), http.StatusOK)
		e.clock.Advance(30 * time.Minute)
		ended(t, c, "Your session ended after 30 minutes without activity; log in again")
	})

	t.Run("12 hours end it however busy", func(t *testing.T) {
		c := e.login(e.a, crs.RoleClerk)
		for m := 20; m < 12*60; m += 20 {
			e.clock.Advance(20 * time.Minute)
			if r := c.get(page); r.status != http.StatusOK {
				t.Fatalf("%d minutes after login: status %d, want 200", m, r.status)
			}
		}
		e.clock.Advance(20 * time.Minute)
		ended(t, c, "Your session ended 12 hours after you logged in, the longest a session lasts; log in again")
	})

	t.Run("a form posted after the session ended is not taken", func(t *testing.T) {
		c := e.login(e.a, crs.RoleClerk)
		c.get("/patients/new")
		e.clock.Advance(31 * time.Minute)
		r := c.post("/patients/new", url.Values{"given_name": {"Ann"}, "family_name": {"Lee"}})
		if r.status != http.StatusSeeOther || r.loc != "/login?next=%2Fpatients%2Fnew" {
			t.Errorf("POST after the session ended: %d to %q, want 303 to the login page", r.status, r.loc)
		}
	})
}

// TestFlashWaitsForItsPage: an action's one-time message ("Registered
// with hospital number ...") is shown on the page the browser is sent to
// even when a script of the same browser fetches a fragment first (the
// bed board open in another tab refreshing itself, search as you type):
// a fragment has no place to show the message, so it leaves it.
func TestFlashWaitsForItsPage(t *testing.T) {
	e := newEnv(t)
	c := e.login(e.a, crs.RoleClerk)
	for _, tc := range []struct{ fragment, given, family, year, postcode string }{
		{"/beds?partial=1", "Ada", "Birch", "1941", "NE1 4ST"},
		{"/ptl?partial=1", "Cyril", "Dunmore", "1962", "LS6 2BB"},
		{"/ed?partial=1", "Edna", "Fairweather", "1977", "M1 1AE"},
		{"/patients?q=smith&partial=1", "Gus", "Hollins", "1990", "E1 6AN"},
	} {
		c.get("/patients/new")
		r := c.post("/patients/new", url.Values{"given_name": {tc.given}, "family_name": {tc.family}, "birth_date-day": {"1"}, "birth_date-month": {"2"},
			"birth_date-year": {tc.year}, "gender": {"2"}, "address_line1": {"1 Mill Lane"}, "postcode": {tc.postcode}})
		wantStatus(t, "register "+tc.family, r, http.StatusSeeOther)
		wantStatus(t, "the fragment "+tc.fragment, c.get(tc.fragment), http.StatusOK)
		wantBody(t, "the record after the fragment "+tc.fragment, c.get(r.loc), `class="flash"`, "Registered with hospital number")
	}
}
