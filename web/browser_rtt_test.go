package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// TestBrowserBilateralSecondSide records in Chromium, as the consultant
// would, that a patient treated for the first side of a bilateral
// procedure is fit and ready for the second: the pathway page then shows
// a second RTT period running on the same PPI, the first still stopped.
func TestBrowserBilateralSecondSide(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	st := e.setUp(e.a)
	l := e.listPatient(t, "Hips", "9990000166")
	sp := e.admitted(t, st, l)
	e.clock.Advance(4 * time.Hour)
	if err := store.NewInpatientService(e.db).Discharge(context.Background(), e.a.Actor(crs.RoleClerk), sp.ID, crs.Discharge{Method: "1", Destination: "19"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(21 * 24 * time.Hour)
	base := e.srv.URL
	loginAs(t, ctx, base, e.a.Users[crs.RoleDoctor])
	run(t, ctx, "the first period stopped at the admission",
		chromedp.Navigate(base+"/pathways/"+l.referral.PathwayID),
		waitText("#clock", "Clock stopped"),
		waitText("#clock", "first definitive treatment"),
	)
	run(t, ctx, "record fitness for the second side",
		chromedp.Click(chromedp.CSS(`#decision summary`)),
		chromedp.WaitVisible(chromedp.CSS(`label[for="decision-bilateral"]`)),
		chromedp.Click(chromedp.CSS(`label[for="decision-bilateral"]`)),
		setValue("decision_date", "2026-03-23"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Record decision"]`)),
		waitText(".flash", "Recorded: bilateral second side, RTT status 10"),
	)
	run(t, ctx, "a second period runs on the same pathway",
		waitText("#clock", "Clock running"),
		waitText("#clock", "23-Mar-2026"),
		waitText("#periods", "02-Feb-2026"),
		waitText("#periods", "first definitive treatment: admitted for treatment (30)"),
		waitText("#periods", "Running"),
		waitText("h1", "RTT pathway "+l.referral.PPI),
	)
	screenshot(t, ctx, "/tmp/crs-pathway-bilateral.png")
}
