package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
)

// TestBrowserBreakGlass drives record access in a real browser: a doctor
// with no relationship with a patient is offered a claim or break-glass
// instead of the results, breaks the glass with a reason and reads them;
// the privacy officer finds the alert in the inbox, reads who accessed
// the record visit by visit, prints the letter for the patient and
// closes the alert.
func TestBrowserBreakGlass(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t)
	eng := labEngine(t, e)
	p := e.register(e.a, "KING", "Ada", crs.NewDate(1950, 1, 1), "9990000018", "E1 6AN")
	handle(t, eng, "MSH|^~\\&|LIMS|RAALAB|OPENCRS|RAA|20260302100000||ORU^R01|G1|P|2.4|||AL|NE|GBR", "PID|1||9990000018^^^NHS^NH",
		"OBR|1|PL1|FL1|UE^Urea and electrolytes|||20260302080000||||||||||||||||||F", "OBX|1|NM|NA^Sodium||128|mmol/L|133-146|L|||F")

	doctor := e.a.Users[crs.RoleDoctor]
	loginAs(t, ctx, e.srv.URL, doctor)
	run(t, ctx, "results without a relationship",
		chromedp.Navigate(e.srv.URL+"/patients/"+p.ID+"/results"),
		waitText("h1", "You need a reason to see this record"),
		waitText("main", "no legitimate relationship"),
	)
	run(t, ctx, "break the glass without a reason",
		chromedp.Click(chromedp.ID("#kind-break_glass")),
		chromedp.Click(chromedp.CSS(`#access-form button[type="submit"]`)),
		waitText("main", "reason in a sentence"),
	)
	run(t, ctx, "break the glass",
		chromedp.Click(chromedp.ID("#kind-break_glass")),
		chromedp.SendKeys(chromedp.ID("#reason"), "Collapsed in outpatients, treating now"),
		chromedp.Click(chromedp.CSS(`#access-form button[type="submit"]`)),
		waitText("h1", "Results"),
		waitText("main", "128"),
		waitText(".flash", "The privacy officer has been told"),
	)
	logout(t, ctx)

	loginAs(t, ctx, e.srv.URL, e.a.Users[crs.RolePrivacyOfficer])
	run(t, ctx, "the alerts inbox",
		chromedp.Click(chromedp.Search(`//nav//a[normalize-space(.)="Privacy alerts"]`)),
		waitText("h1", "Privacy alerts"),
		waitText("#alerts", "Break-glass access"),
		waitText("#alerts", doctor.Username),
		waitText("#alerts", "Collapsed in outpatients"),
	)
	run(t, ctx, "who accessed the record",
		chromedp.Click(chromedp.Search(`//table[@id="alerts"]//a[contains(., "Who accessed this record")]`)),
		waitText("h1", "Access audit"),
		waitText("main", doctor.Name),
		waitText("main", "access break_glass"),
		waitText("main", "results"),
	)
	run(t, ctx, "the letter for the patient",
		chromedp.Click(chromedp.Search(`//a[contains(., "Letter for the patient")]`)),
		waitText("h1", "Who has accessed your health record"),
		waitText("main", doctor.Name),
	)
	letter := value(t, ctx, "letter", chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(letter, "Doctor") || !strings.Contains(letter, "results") {
		t.Errorf("the letter lacks the doctor's role or what they saw:\n%s", letter)
	}
	run(t, ctx, "close the alert",
		chromedp.Navigate(e.srv.URL+"/privacy/alerts"),
		chromedp.SendKeys(chromedp.CSS(`#alerts input[name="note"]`), "Confirmed with the ward: emergency"),
		chromedp.Click(chromedp.CSS(`#alerts form button[type="submit"]`)),
		waitText(".flash", "Alert closed"),
		waitText("#alerts", "Closed by"),
	)
}
