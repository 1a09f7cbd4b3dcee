package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
)

// TestBrowserObservations has a nurse record a set of observations in a
// real browser: a mistyped SpO2 is refused beside its field, the set is
// scored (NEWS2 8, high risk) and charted, and the ward's clinical board
// shows the emergency alert.
func TestBrowserObservations(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t).withObservations()
	st := e.setUp(e.a)
	l := e.listPatient(t, "Breathless", "9990000077")
	e.admitted(t, st, l)

	loginAs(t, ctx, e.srv.URL, e.a.Users[crs.RoleNurse])
	run(t, ctx, "observations from the record",
		chromedp.Navigate(e.srv.URL+"/patients/"+l.patient.ID),
		chromedp.Click(chromedp.Search(`//a[normalize-space(.)="Observations"]`)),
		waitText("h1", "Observations"),
		chromedp.SendKeys(chromedp.ID("#respiration_rate"), "26"),
		chromedp.SendKeys(chromedp.ID("#spo2"), "193"),
		chromedp.Click(chromedp.CSS(`label[for="air_or_oxygen-oxygen"]`)),
		chromedp.SendKeys(chromedp.ID("#systolic"), "120"),
		chromedp.SendKeys(chromedp.ID("#diastolic"), "75"),
		chromedp.SendKeys(chromedp.ID("#pulse"), "95"),
		chromedp.Click(chromedp.CSS(`label[for="consciousness-A"]`)),
		chromedp.SendKeys(chromedp.ID("#temperature"), "37.0"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Record observations"]`)),
		waitText("#spo2-error", "SpO2 must be between 50 and 100"),
		clear("spo2"),
		chromedp.SendKeys(chromedp.ID("#spo2"), "93"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Record observations"]`)),
		waitText("#news2-latest", "NEWS2 8"),
		waitText("#news2-latest", "High clinical risk, emergency response"),
	)
	if n := value(t, ctx, "chart cells", chromedp.Evaluate[int](`document.querySelectorAll("#news2-chart svg rect").length`)); n != 8 {
		t.Errorf("the chart has %d cells, want 8 (one set, 8 rows)", n)
	}
	extraScreenshot(t, ctx, "/tmp/crs-observations.png")
	run(t, ctx, "the ward's clinical board from the bed board",
		chromedp.Navigate(e.srv.URL+"/beds"),
		chromedp.Click(chromedp.Search(`//a[contains(., "clinical board")]`)),
		waitText("h1", "clinical board"),
		waitText("#ward-clinical", "Emergency: NEWS2 7 or more"),
	)
	txt := value(t, ctx, "board", chromedp.Text(chromedp.CSS("#ward-clinical")))
	if !strings.Contains(txt, "BREATHLESS") || !strings.Contains(txt, "continuous") {
		t.Errorf("the board lacks the patient or the monitoring frequency:\n%s", txt)
	}
	extraScreenshot(t, ctx, "/tmp/crs-ward-clinical.png")
}
