package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/interfaces"
)

// reprocessEnv is the analyst's pages with trust A's PAS interface
// configured on the engine.
func reprocessEnv(t *testing.T) (*env, *interfaces.Engine, *crs.Interface) {
	t.Helper()
	e, eng := newMessagesEnv(t)
	i := &crs.Interface{Name: "PAS", SendingApplication: "PAS", SendingFacility: "RAA", UserID: e.a.Users[crs.RoleInterface].ID}
	if err := eng.AddInterface(context.Background(), e.a.System, i); err != nil {
		t.Fatal(err)
	}
	return e, eng, i
}

// sendResult hands the engine an ORU^R01 from trust A's PAS for the
// patient with the NHS number, as if over MLLP, and returns its log
// entry after checking the answer's code.
func sendResult(t *testing.T, e *env, eng *interfaces.Engine, ctrl, nhsNo, wantCode string) *crs.Message {
	t.Helper()
	raw := strings.Join([]string{
		"MSH|^~\\&|PAS|RAA|OPENCRS|RAA|20260302090000||ORU^R01^ORU_R01|" + ctrl + "|P|2.4|||AL|NE|GBR",
		"PID|1||" + nhsNo + "^^^NHS^NH",
		"OBR|1|PL1|FL1|FBC^Full blood count|||20260302080000||||||||||||||||||F",
		"OBX|1|NM|HB^Haemoglobin||135|g/L|120-150|N|||F"}, "\r") + "\r"
	ack, err := hl7.ParseACK(eng.Handle(context.Background(), []byte(raw)))
	if err != nil || ack.Code != wantCode {
		t.Fatalf("send %s: %s %+v (%v); want %s", ctrl, ack.Code, ack.Errors, err, wantCode)
	}
	ms, err := e.db.SearchMessages(context.Background(), e.a.Org.ID, crs.MessageQuery{ControlID: ctrl})
	if err != nil || len(ms) != 1 {
		t.Fatalf("log of %s: %d, %v", ctrl, len(ms), err)
	}
	return ms[0]
}

// TestReprocessPage reprocesses a result for a patient registered after
// it arrived with the message page's button, and checks who may.
func TestReprocessPage(t *testing.T) {
	e, eng, _ := reprocessEnv(t)
	ctx := context.Background()
	m := sendResult(t, e, eng, "WR1", "9990000018", hl7.AE)
	path := "/messages/" + m.ID

	analyst := e.login(e.a, crs.RoleInterfaceAnalyst)
	r := analyst.get(path)
	wantStatus(t, "message in error", r, http.StatusOK)
	wantBody(t, "message in error", r, `action="`+path+`/reprocess"`, ">Reprocess</button>", "unknown patient")

	// Only the interface analyst of the message's trust.
	clerk := e.login(e.a, crs.RoleClerk)
	wantStatus(t, "clerk reprocesses", clerk.post(path+"/reprocess", nil), http.StatusForbidden)
	other := e.login(e.b, crs.RoleInterfaceAnalyst)
	wantStatus(t, "another trust's analyst reprocesses", other.post(path+"/reprocess", nil), http.StatusNotFound)
	wantStatus(t, "without the form's token", analyst.post(path+"/reprocess", url.Values{"csrf_token": {"forged"}}), http.StatusForbidden)

	// Still unknown: still in error, said so, the attempt counted.
	e.clock.Advance(time.Minute)
	r = analyst.post(path+"/reprocess", nil)
	if r.status != http.StatusSeeOther || r.loc != path {
		t.Fatalf("reprocess: status %d to %q\n%s", r.status, r.loc, excerpt(r.body))
	}
	r = analyst.get(path)
	wantBody(t, "after a reprocess still in error", r, "still error", "<dd>Refused for its content (AE)</dd>", "<dt>Attempts</dt><dd>2</dd>", ">Reprocess</button>")

	p := e.register(e.a, "KING", "Ada", crs.NewDate(1950, 1, 1), "9990000018", "E1 6AN")
	e.clock.Advance(time.Minute)
	r = analyst.post(path+"/reprocess", nil)
	wantStatus(t, "reprocess", r, http.StatusSeeOther)
	r = analyst.get(path)
	wantBody(t, "after the reprocess", r, "The message was reprocessed and applied.", "<dd>Applied</dd>", "<dd>AA</dd>",
		"<dt>Attempts</dt><dd>3</dd>", "reprocessed: applied", e.a.Users[crs.RoleInterfaceAnalyst].Username, `href="/patients/`+p.ID+`"`)
	if strings.Contains(r.body, ">Reprocess</button>") {
		t.Errorf("an applied message still offers Reprocess")
	}
	if rs, err := findResults(ctx, e, p.ID); err != nil || len(rs) != 1 {
		t.Errorf("results filed: %d, %v; want 1", len(rs), err)
	}
	r = analyst.post(path+"/reprocess", nil)
	wantStatus(t, "reprocess of an applied message", r, http.StatusConflict)
	wantBody(t, "reprocess of an applied message", r, "applied already")
	if rs, _ := findResults(ctx, e, p.ID); len(rs) != 1 {
		t.Errorf("results after a second reprocess: %d; want 1", len(rs))
	}
}

// TestReprocessRangePage reprocesses an interface's messages in error
// over a period from the log filtered to them.
func TestReprocessRangePage(t *testing.T) {
	e, eng, pas := reprocessEnv(t)
	sendResult(t, e, eng, "WG1", "9990000026", hl7.AE)
	e.clock.Advance(time.Minute)
	sendResult(t, e, eng, "WG2", "9990000026", hl7.AE)
	e.clock.Advance(time.Minute)
	sendResult(t, e, eng, "WG3", "9990000034", hl7.AE) // still unknown after
	e.register(e.a, "KING", "Ada", crs.NewDate(1950, 1, 1), "9990000026", "E1 6AN")
	analyst := e.login(e.a, crs.RoleInterfaceAnalyst)

	if r := analyst.get("/messages?channel=" + pas.ID); strings.Contains(r.body, "reprocess-form") {
		t.Errorf("the log of every status offers to reprocess")
	}
	search := "channel=" + pas.ID + "&status=error&from=2026-03-02&to=2026-03-02"
	r := analyst.get("/messages?" + search)
	wantBody(t, "log of errors", r, `id="reprocess-form"`, "Reprocess these", dayBox("reprocess_from", "2"), timeBox("reprocess_from", "00:00"),
		dayBox("reprocess_to", "3"), timeBox("reprocess_to", "00:00"), matchCount(3))

	// A period that cannot be read is shown beside the form.
	r = analyst.post("/messages/reprocess?"+search, url.Values{"channel": {pas.ID}, "reprocess_from": {"yesterday"}, "reprocess_to": {"2026-03-03T00:00"}})
	wantStatus(t, "unreadable period", r, http.StatusUnprocessableEntity)
	wantBody(t, "unreadable period", r, `id="reprocess_from-error"`, `href="#reprocess_from"`, "From must be a real date", matchCount(3))
	r = analyst.post("/messages/reprocess?"+search, url.Values{"channel": {pas.ID}, "reprocess_from": {"2026-03-03T00:00"}, "reprocess_to": {"2026-03-02T00:00"}})
	wantStatus(t, "period ending before it starts", r, http.StatusUnprocessableEntity)
	wantBody(t, "period ending before it starts", r, `id="reprocess_to-error"`, "after its start")

	// Others may not.
	clerk := e.login(e.a, crs.RoleClerk)
	wantStatus(t, "clerk", clerk.post("/messages/reprocess", url.Values{"channel": {pas.ID}, "reprocess_from": {"2026-03-02T00:00"}, "reprocess_to": {"2026-03-03T00:00"}}), http.StatusForbidden)
	other := e.login(e.b, crs.RoleInterfaceAnalyst)
	wantStatus(t, "another trust", other.post("/messages/reprocess", url.Values{"channel": {pas.ID}, "reprocess_from": {"2026-03-02T00:00"}, "reprocess_to": {"2026-03-03T00:00"}}), http.StatusNotFound)

	r = analyst.post("/messages/reprocess?"+search, url.Values{"channel": {pas.ID}, "reprocess_from": {"2026-03-02T00:00"}, "reprocess_to": {"2026-03-03T00:00"}})
	if r.status != http.StatusSeeOther || r.loc != "/messages?"+(url.Values{"channel": {pas.ID}, "status": {"error"}, "from": {"2026-03-02"}, "to": {"2026-03-02"}}).Encode() {
		t.Fatalf("reprocess these: status %d to %q\n%s", r.status, r.loc, excerpt(r.body))
	}
	r = analyst.get(r.loc)
	wantBody(t, "log after reprocessing", r, "Reprocessed 3 messages, oldest first: 2 applied, 1 still in error.", matchCount(1), ">WG3</a>")
	for ctrl, want := range map[string]string{"WG1": crs.MessageApplied, "WG2": crs.MessageApplied, "WG3": crs.MessageFailed} {
		ms, _ := e.db.SearchMessages(context.Background(), e.a.Org.ID, crs.MessageQuery{ControlID: ctrl})
		if len(ms) != 1 || ms[0].Status != want || ms[0].Attempts != 2 {
			t.Errorf("%s after the range: %+v; want one entry, %s, 2 attempts", ctrl, ms, want)
		}
	}
}

// TestReprocessBrowser clicks the message page's Reprocess button in
// headless Chromium, as an analyst would, without any script needed.
func TestReprocessBrowser(t *testing.T) {
	ctx := browser(t)
	e, eng, _ := reprocessEnv(t)
	m := sendResult(t, e, eng, "WB1", "9990000018", hl7.AE)
	e.register(e.a, "KING", "Ada", crs.NewDate(1950, 1, 1), "9990000018", "E1 6AN")
	loginAs(t, ctx, e.srv.URL, e.a.Users[crs.RoleInterfaceAnalyst])
	run(t, ctx, "reprocess from the message page",
		chromedp.Navigate(e.srv.URL+"/messages/"+m.ID),
		waitText("main", "unknown patient"),
		chromedp.Click(chromedp.Search(`//button[contains(., "Reprocess")]`)),
		waitText(".flash", "The message was reprocessed and applied."),
		waitText("main", "reprocessed: applied"),
	)
	extraScreenshot(t, ctx, "/tmp/crs-reprocess.png")
	if got, _ := e.db.GetMessage(context.Background(), e.a.Org.ID, m.ID); got.Status != crs.MessageApplied {
		t.Errorf("after the click: status %q; want applied", got.Status)
	}
}
