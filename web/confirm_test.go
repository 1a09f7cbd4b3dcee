package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencrs/crs"
)

// TestCancelAdmissionConfirmed checks that cancelling an admission asks
// first, on a page of its own that works without the script, and does
// nothing until confirmed.
func TestCancelAdmissionConfirmed(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	sp := e.admitted(t, st, e.listPatient(t, "Undone", ""))
	c := e.login(e.a, crs.RoleClerk)
	c.get("/spells/" + sp.ID)
	r := c.post("/spells/"+sp.ID+"/cancel-admission", url.Values{"reason": {"Wrong patient"}})
	wantStatus(t, "cancel without confirming", r, 200)
	wantBody(t, "confirmation page", r, "Cancel the admission?", `<input type="hidden" name="reason" value="Wrong patient">`,
		`<input type="hidden" name="confirm" value="yes">`, "Yes, cancel the admission", `href="/spells/`+sp.ID+`" class="link-button">No, go back`)
	got, err := e.server.Inpatients.FindSpell(context.Background(), e.a.Actor(crs.RoleClerk), sp.ID)
	if err != nil || got.Status != crs.SpellAdmitted {
		t.Fatalf("before confirming the spell is %v (%v), want admitted", got.Status, err)
	}
	r = c.post("/spells/"+sp.ID+"/cancel-admission", url.Values{"reason": {"Wrong patient"}, "confirm": {"yes"}})
	wantStatus(t, "cancel confirmed", r, 303)
	got, err = e.server.Inpatients.FindSpell(context.Background(), e.a.Actor(crs.RoleClerk), sp.ID)
	if err != nil || got.Status == crs.SpellAdmitted {
		t.Fatalf("after confirming the spell is %v (%v), want cancelled", got.Status, err)
	}
}

// TestCancelConfirmedFromTheSite checks the confirmation page against
// the request checks: Yes, posted from the confirmation page of the site
// itself (Origin, Referer and Sec-Fetch-Site as a browser sends them),
// cancels the admission and the spell's page shows the server's one-time
// message once; the same confirmation sent by another site is refused
// and changes nothing.
func TestCancelConfirmedFromTheSite(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	sp := e.admitted(t, st, e.listPatient(t, "Twice", ""))
	c := e.login(e.a, crs.RoleClerk)
	c.get("/spells/" + sp.ID)
	path := "/spells/" + sp.ID + "/cancel-admission"
	r := c.post(path, url.Values{"reason": {"Wrong patient"}})
	wantBody(t, "confirmation page", r, `<form method="post" action="`+path+`"`)
	if m := csrfField.FindStringSubmatch(r.body); m != nil {
		c.csrf = m[1]
	}
	confirm := func(headers map[string]string) resp {
		form := url.Values{"reason": {"Wrong patient"}, "confirm": {"yes"}, "csrf_token": {c.csrf}}
		req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		return c.do(req)
	}
	status := func() string {
		got, err := e.server.Inpatients.FindSpell(context.Background(), e.a.Actor(crs.RoleClerk), sp.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	r = confirm(map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	wantStatus(t, "confirmation from another site", r, http.StatusForbidden)
	if s := status(); s != crs.SpellAdmitted {
		t.Fatalf("after a cross-site confirmation the spell is %v, want admitted", s)
	}
	r = confirm(map[string]string{"Origin": e.srv.URL, "Referer": e.srv.URL + path, "Sec-Fetch-Site": "same-origin"})
	if r.status != http.StatusSeeOther || r.loc != "/spells/"+sp.ID {
		t.Fatalf("confirmation from the site: %d to %q, want 303 to the spell\n%s", r.status, r.loc, r.body)
	}
	if s := status(); s == crs.SpellAdmitted {
		t.Fatalf("after confirming the spell is still admitted")
	}
	wantBody(t, "the spell after cancelling", c.get(r.loc), "Admission cancelled")
	if r := c.get(r.loc); strings.Contains(r.body, "Admission cancelled") {
		t.Errorf("the one-time message is shown again on the next page")
	}
}
