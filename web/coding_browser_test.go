package web

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
)

// TestBrowserCoding codes an episode in Chromium by keyboard from the
// worklist: a code off the trust's list is shown beside its box and in
// the error summary with what was typed kept, then the coding is saved.
func TestBrowserCoding(t *testing.T) {
	e, _, ep := codingEnv(t)
	ctx := browser(t)
	base := e.srv.URL
	loginAs(t, ctx, base, e.a.Users[crs.RoleCoder])
	run(t, ctx, "a code off the list is refused beside its box",
		chromedp.Navigate(base+"/coding"),
		chromedp.Click(chromedp.Search(`//a[starts-with(normalize-space(), "Code")]`)),
		chromedp.WaitVisible(chromedp.ID("#diagnosis_1")),
		chromedp.SendKeys(chromedp.ID("#diagnosis_1"), "J18.9"),
		chromedp.SendKeys(chromedp.ID("#diagnosis_2"), "Z99.9\r"),
		waitText("#diagnosis_2-error", "Z99.9 is not on the trust's ICD-10 code list"),
		waitText(".error-summary", "Z99.9 is not on the trust's ICD-10 code list"),
	)
	if got := value(t, ctx, "primary kept", chromedp.Evaluate[string](`document.getElementById("diagnosis_1").value`)); got != "J18.9" {
		t.Errorf("the primary diagnosis typed was not kept: %q", got)
	}
	run(t, ctx, "coded",
		clear("diagnosis_2"),
		chromedp.SendKeys(chromedp.ID("#diagnosis_2"), "I10\r"),
		waitText(".flash", "Episode coded"),
		waitText("main", "Every finished episode is coded"),
	)
	got, err := e.server.Coding.FindEpisode(context.Background(), e.a.Actor(crs.RoleCoder), ep)
	if err != nil || got.Coding == nil || len(got.Coding.Diagnoses) != 2 || got.Coding.Diagnoses[1] != "I10X" {
		t.Fatalf("after coding in the browser: %+v, %v", got, err)
	}
}
