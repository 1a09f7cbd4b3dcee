package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store/storetest"
)

// TestBrowserRecordAllergy records an allergy as a nurse in a real
// browser: from the record to the allergies, search as you type for the
// substance and the reaction, and the allergy then on the patient banner
// in place of "Allergies not recorded"; then the timeline at a tablet's
// width, filtered to allergies.
func TestBrowserRecordAllergy(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t)
	e.withClinicalLists()
	p := e.register(e.a, "OKAFOR", "Grace", crs.NewDate(1972, 8, 30), "9990000042", "N1 9GU")
	storetest.Relate(t, e.db, e.a.Actor(crs.RoleNurse), p.ID)
	loginAs(t, ctx, e.srv.URL, e.a.Users[crs.RoleNurse])
	run(t, ctx, "the allergy form from the record",
		chromedp.Navigate(e.srv.URL+"/patients/"+p.ID),
		waitText("[data-banner-alerts]", "Allergies not recorded"),
		chromedp.Click(chromedp.Search(`//main//a[normalize-space(.)="Allergies"]`)),
		waitText("h1", "Allergies and adverse reactions"),
		chromedp.Click(chromedp.Search(`//main//a[normalize-space(.)="Record an allergy"]`)),
		chromedp.WaitVisible(chromedp.ID("#substance_q")),
	)
	run(t, ctx, "search as you type",
		chromedp.SendKeys(chromedp.ID("#substance_q"), "penic"),
		chromedp.WaitVisible(chromedp.ID("#substance-764146007")),
		chromedp.Click(chromedp.ID("#substance-764146007")),
		chromedp.SendKeys(chromedp.ID("#reaction_q"), "anaph"),
		chromedp.WaitVisible(chromedp.ID("#reaction-39579001")),
		chromedp.Click(chromedp.ID("#reaction-39579001")),
		chromedp.Click(chromedp.ID("#severity-severe")),
		chromedp.Click(chromedp.ID("#criticality-high")),
	)
	extraScreenshot(t, ctx, "/tmp/crs-allergy-form.png")
	run(t, ctx, "record the allergy",
		chromedp.Click(chromedp.Search(`//main//button[normalize-space(.)="Record allergy"]`)),
		waitText("h1", "Allergies and adverse reactions"),
		waitText("[data-banner-alerts]", "Penicillin: Anaphylaxis (high risk)"),
	)
	extraScreenshot(t, ctx, "/tmp/crs-allergies.png")
	if txt := value(t, ctx, "banner", chromedp.Text(chromedp.CSS("[data-banner-alerts]"))); strings.Contains(txt, "not recorded") {
		t.Errorf("the banner still says allergies are not recorded: %q", txt)
	}
	run(t, ctx, "the banner on another page of the record, and the timeline on a tablet",
		chromedp.EmulateViewport(768, 1024),
		chromedp.Navigate(e.srv.URL+"/patients/"+p.ID+"/timeline"),
		waitText("[data-banner-alerts]", "Penicillin"),
		chromedp.Click(chromedp.ID("#kind-allergy")),
		chromedp.Click(chromedp.Search(`//main//button[normalize-space(.)="Show"]`)),
		waitQuery("kind=allergy"),
		waitText("#timeline", "Penicillin"),
	)
	if w := value(t, ctx, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 768 {
		t.Errorf("the timeline is %dpx wide on a 768px tablet: it scrolls sideways", w)
	}
}
