package web

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store/storetest"
)

// TestBrowserClinicalRecord reads a patient's results and documents as a
// doctor in a real browser: from the record to the results, one result's
// history, the documents and a letter whose text holds markup, shown as
// text; and the PDF's link.
func TestBrowserClinicalRecord(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t)
	eng := labEngine(t, e)
	p := e.register(e.a, "KING", "Ada", crs.NewDate(1950, 1, 1), "9990000018", "E1 6AN")
	pid := "PID|1||9990000018^^^NHS^NH"
	msh := func(typ, ctrl string) string {
		return "MSH|^~\\&|LIMS|RAALAB|OPENCRS|RAA|20260302100000||" + typ + "|" + ctrl + "|P|2.4|||AL|NE|GBR"
	}
	handle(t, eng, msh("ORU^R01", "B1"), pid, "OBR|1|PL1|FL1|UE^Urea and electrolytes|||20260302080000||||||||||||||||||F",
		"OBX|1|NM|NA^Sodium||128|mmol/L|133-146|L|||F")
	handle(t, eng, msh("ORU^R01", "B2"), pid, "OBR|1|PL1|FL1|UE^Urea and electrolytes|||20260302080000||||||||||||||||||C",
		"OBX|1|NM|NA^Sodium||138|mmol/L|133-146|N|||C")
	handle(t, eng, msh("MDM^T02", "B3"), pid, txa(map[int]string{2: "CL^Clinic letter", 4: "20260302093000", 9: "C1234567^GREY^ANN", 12: "DOC-1", 17: "AU"}),
		`OBX|1|TX|LET^Clinic letter||Dear Dr Patel, <img src=x onerror=alert(1)> Mrs King is well.||||||F`)
	handle(t, eng, msh("MDM^T02", "B4"), pid, txa(map[int]string{2: "DS^Discharge summary", 4: "20260302103000", 12: "DOC-2", 17: "AU"}),
		"OBX|1|ED|PDF||^application^pdf^Base64^"+base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n%%EOF\n"))+"||||||F")

	storetest.Relate(t, e.db, e.a.Actor(crs.RoleDoctor), p.ID) // break-glass itself: TestBrowserBreakGlass
	loginAs(t, ctx, e.srv.URL, e.a.Users[crs.RoleDoctor])
	run(t, ctx, "results from the record",
		chromedp.Navigate(e.srv.URL+"/patients/"+p.ID),
		chromedp.Click(chromedp.Search(`//a[normalize-space(.)="Results"]`)),
		waitText("h1", "Results"),
		waitText("main", "138"),
		chromedp.Click(chromedp.Search(`//main//a[contains(., "Urea and electrolytes")]`)),
		waitText("main", "Version 1, replaced"),
	)
	if txt := value(t, ctx, "result page", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(txt, "128") || !strings.Contains(txt, "Corrected") {
		t.Errorf("result page lacks the earlier value or the status:\n%s", txt)
	}
	run(t, ctx, "documents from the record",
		chromedp.Navigate(e.srv.URL+"/patients/"+p.ID),
		chromedp.Click(chromedp.Search(`//a[normalize-space(.)="Documents"]`)),
		waitText("h1", "Documents"),
		chromedp.Click(chromedp.Search(`//main//a[contains(., "Clinic letter")]`)),
		waitText("#document-text", "Mrs King is well"),
	)
	if n := value(t, ctx, "markup in the letter", chromedp.Evaluate[int](`document.querySelectorAll("#document-text *").length`)); n != 0 {
		t.Errorf("the letter's text made %d elements, want none", n)
	}
	if txt := value(t, ctx, "letter text", chromedp.Text(chromedp.ID("#document-text"))); !strings.Contains(txt, "<img src=x") {
		t.Errorf("the letter's markup is not shown as text: %q", txt)
	}
	run(t, ctx, "the summary's PDF link",
		chromedp.Navigate(e.srv.URL+"/patients/"+p.ID+"/documents"),
		chromedp.Click(chromedp.Search(`//main//a[contains(., "Discharge summary")]`)),
		waitText("main", "Open the PDF"),
	)
	href := value(t, ctx, "PDF link", chromedp.Evaluate[string](`document.querySelector('a[target="_blank"]').getAttribute("href")`))
	if !strings.HasPrefix(href, "/patients/"+p.ID+"/documents/") || !strings.HasSuffix(href, "/content") {
		t.Errorf("PDF link %q", href)
	}
}
