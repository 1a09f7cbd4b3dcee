package web

import (
	"context"
	"net/url"
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
