package web

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
)

// TestBrowserCodeMaps follows an interface analyst in Chromium: from the
// Interfaces page to a sender's code maps, where the point of care a held
// admission waits for is listed; mapping it from that list and
// reprocessing the held messages admits the patient.
func TestBrowserCodeMaps(t *testing.T) {
	e, eng := newMessagesEnv(t)
	ctx := browser(t)
	bg := context.Background()
	orgs := store.NewOrganisationService(e.db)
	site := &crs.Location{Kind: crs.LocationSite, Code: "MAIN", Name: "Main"}
	if err := orgs.CreateLocation(bg, e.a.Actor(crs.RoleAdmin), site); err != nil {
		t.Fatal(err)
	}
	if err := orgs.CreateLocation(bg, e.a.Actor(crs.RoleAdmin), &crs.Location{ParentID: site.ID, Kind: crs.LocationWard, Code: "WD1", Name: "Alder Ward"}); err != nil {
		t.Fatal(err)
	}
	iface := &crs.Interface{Name: "Maternity", SendingApplication: "MAT", SendingFacility: "MATSYS", UserID: e.a.Users[crs.RoleInterface].ID}
	if err := eng.AddInterface(bg, e.a.System, iface); err != nil {
		t.Fatal(err)
	}
	raw := "MSH|^~\\&|MAT|MATSYS|PAS|RAA|20260302090000||ADT^A01|B1|P|2.3\rEVN|A01\rPID|1||9990000018^^^NHS^NH||BIRD^BELLA||19900101|F\rPV1|1|I|LAB WARD||||C1234567\r"
	if ack, err := hl7.ParseACK(eng.Handle(bg, []byte(raw))); err != nil || ack.Code != hl7.AE {
		t.Fatalf("A01 to LAB WARD: %+v %v, want AE (held)", ack, err)
	}

	loginAs(t, ctx, e.srv.URL, e.a.Users[crs.RoleInterfaceAnalyst])
	run(t, ctx, "open the interface's code maps",
		chromedp.Click(chromedp.Search(`//nav//a[normalize-space()="Interfaces"]`)),
		waitText("main", "MAT@MATSYS"),
		chromedp.Click(chromedp.Search(`//a[contains(., "Code maps")]`)),
		waitText("h1", "Code maps: Maternity"),
		waitText("#unmapped + p + form + .table-wrap", "LAB WARD"),
	)
	run(t, ctx, "map the point of care from the unmapped list",
		chromedp.Click(chromedp.Search(`//a[normalize-space()="Map LAB WARD"]`)),
		waitQuery("from=LAB%20WARD"), // the page before has the same form, its #to empty
		chromedp.WaitVisible(chromedp.ID("#to")),
		chromedp.SendKeys(chromedp.ID("#to"), "WD1"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Add mapping"]`)),
		waitText(".flash", "location LAB WARD now maps to WD1"),
		waitText("#maps", "WD1"),
	)
	run(t, ctx, "reprocess the held messages",
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Reprocess held messages"]`)),
		waitText(".flash", "1 applied"),
	)
	ms, err := e.db.SearchMessages(bg, e.a.Org.ID, crs.MessageQuery{ControlID: "B1"})
	if err != nil || len(ms) != 1 || ms[0].Status != crs.MessageApplied {
		t.Fatalf("B1 after reprocess: %+v, %v; want applied", ms, err)
	}
}
