package web

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store/storetest"
)

// TestBrowserInterfaceCheck has an interface analyst, in headless
// Chromium, go from the interfaces page to an interface's check page, choose
// a file of traffic and read the report, and checks that the patient the
// file registers was not kept.
func TestBrowserInterfaceCheck(t *testing.T) {
	ctx := browser(t)
	clock := crs.NewFixedClock(storetest.Epoch)
	e, i := checkEnv(t, storetest.OpenSQLite(t, clock), clock)
	file := filepath.Join(t.TempDir(), "monday.hl7")
	if err := os.WriteFile(file, []byte(checkTraffic), 0o644); err != nil {
		t.Fatal(err)
	}
	base := e.srv.URL
	loginAs(t, ctx, base, e.a.Users[crs.RoleInterfaceAnalyst])
	run(t, ctx, "open the interface's check page from the interfaces page",
		chromedp.Navigate(base+"/interfaces"),
		chromedp.Click(chromedp.CSS(`a[href="/interfaces/`+i.ID+`/check"]`)),
		chromedp.WaitVisible(chromedp.ID("file")),
		waitText("h1", "Check traffic through PAS"),
	)
	run(t, ctx, "check without choosing a file",
		chromedp.Click(chromedp.CSS(`form[enctype="multipart/form-data"] button[type="submit"]`)),
		waitText("#file-error", "Choose a file of HL7 messages to check"),
	)
	run(t, ctx, "choose the file and check it",
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
		chromedp.Click(chromedp.CSS(`form[enctype="multipart/form-data"] button[type="submit"]`)),
		waitText("#report-summary", "2 applied, 0 applied with warnings, 0 held, 1 refused"),
		waitText("#report-types", "ADT^A31"),
		waitText("#report-refused", "unknown patient"),
		waitText("#report-refused", "monday.hl7:7"),
	)
	extraScreenshot(t, ctx, "/tmp/crs-interface-check.png")
	if _, err := e.ps.FindPatientByIdentifier(context.Background(), e.a.Actor(crs.RoleClerk), "nhs", "9990000018"); crs.ErrorCode(err) != crs.ENOTFOUND {
		t.Errorf("the checked file's patient was kept: err = %v", err)
	}
}
