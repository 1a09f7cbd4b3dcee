package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/interfaces"
	"github.com/opencrs/crs/store"
)

// withReviews has the laboratory engine track orders and file results
// to the resource store, as cmd/crs wires it, with a feed marked for
// orders (nothing listens there), and gives the server the worklist.
func (e *env) withReviews(eng *interfaces.Engine, orders *fhir.OrderService) *fhir.ResultService {
	e.t.Helper()
	rs := &fhir.ResultService{Store: e.db, Resources: store.NewResourceService(e.db), Orders: orders}
	eng.Orders, eng.Results = orders, rs
	e.server.Reviews = rs
	if err := eng.AddDestination(context.Background(), e.a.System, &crs.Destination{Name: "Pathology LIMS", Addr: "127.0.0.1:9",
		ReceivingApplication: "LIMS", ReceivingFacility: "RAALAB", Triggers: []string{interfaces.OrderTrigger}}); err != nil {
		e.t.Fatal(err)
	}
	return rs
}

// TestBrowserAcknowledgeResult: a doctor orders a full blood count, the
// laboratory's abnormal result comes back against it, and the doctor
// finds it at the top of the results worklist, reads it with its trend
// and acknowledges it in a real browser.
func TestBrowserAcknowledgeResult(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t)
	orders := e.withOrders()
	eng := labEngine(t, e)
	rs := e.withReviews(eng, orders)
	p := e.register(e.a, "KING", "Ada", crs.NewDate(1950, 1, 1), "9990000018", "E1 6AN")
	e.relate(p.ID, crs.RoleDoctor, crs.RoleNurse)
	o := &crs.Order{PatientID: p.ID, Test: crs.OrderableTest{Code: "FBC"}, ClinicalDetails: "Tired", Priority: crs.OrderUrgent}
	if err := orders.PlaceOrder(context.Background(), e.a.Actor(crs.RoleDoctor), o); err != nil {
		t.Fatal(err)
	}
	pid := "PID|1||9990000018^^^NHS^NH"
	msh := func(ctrl string) string {
		return "MSH|^~\\&|LIMS|RAALAB|OPENCRS|RAA|20260302100000||ORU^R01|" + ctrl + "|P|2.4|||AL|NE|GBR"
	}
	handle(t, eng, msh("A0"), pid, "OBR|1|||CRP^C-reactive protein|||20260301080000||||||||||||||||||F", "OBX|1|NM|CRP^CRP||3|mg/L|0-5|N|||F")
	handle(t, eng, msh("A1"), pid, "OBR|1|OLD1|FOLD1|FBC^Full blood count|||20260201080000||||||||||||||||||F", "OBX|1|NM|HB^Haemoglobin||121|g/L|115-165|N|||F")
	handle(t, eng, msh("A2"), pid, "OBR|1|"+o.PlacerNumber+"|LAB9|FBC^Full blood count|||20260302080000||||||||||||||||||F", "OBX|1|NM|HB^Haemoglobin||88|g/L|115-165|L|||F")
	if got, _ := orders.GetOrder(context.Background(), e.a.Actor(crs.RoleDoctor), o.ID); got.Status != crs.OrderResulted {
		t.Fatalf("order after its result: %s, want resulted", got.Status)
	}

	loginAs(t, ctx, e.srv.URL, e.a.Users[crs.RoleDoctor])
	run(t, ctx, "the worklist, abnormal first",
		chromedp.Navigate(e.srv.URL+"/patients"),
		chromedp.Click(chromedp.Search(`//nav//a[normalize-space(.)="Results to acknowledge"]`)),
		waitText("h1", "Results to acknowledge"),
		waitText("#result-worklist", "1 abnormal"),
	)
	first := value(t, ctx, "first row", chromedp.Text(chromedp.CSS("#result-worklist tbody tr")))
	if !strings.Contains(first, "Full blood count") || !strings.Contains(first, o.PlacerNumber) || !strings.Contains(first, e.a.Users[crs.RoleDoctor].Username) {
		t.Errorf("first row of the worklist: %q, want the abnormal FBC the doctor ordered", first)
	}
	run(t, ctx, "the result with its trend",
		chromedp.Click(chromedp.Search(`//table[@id="result-worklist"]//tr[1]//a[contains(., "Full blood count")]`)),
		waitText("#trend", "Trend"),
		waitText("#acknowledgement", "Not yet acknowledged"),
	)
	if txt := value(t, ctx, "trend", chromedp.Text(chromedp.ID("trends"))); !strings.Contains(txt, "121") || !strings.Contains(txt, "88") {
		t.Errorf("trend lacks the earlier or the new haemoglobin: %q", txt)
	}
	run(t, ctx, "acknowledge",
		chromedp.Click(chromedp.Search(`//dd[@id="acknowledgement"]//button[normalize-space(.)="Acknowledge"]`)),
		waitText("#acknowledgement", "By "+e.a.Users[crs.RoleDoctor].Username),
	)
	left, err := rs.UnacknowledgedResults(context.Background(), e.a.Actor(crs.RoleDoctor), false)
	if err != nil || len(left) != 2 {
		t.Fatalf("waiting after acknowledging: %d, %v; want the CRP and the older FBC", len(left), err)
	}
	for _, l := range left {
		if l.PlacerNumber == o.PlacerNumber {
			t.Errorf("the acknowledged result still waits: %+v", l)
		}
	}
}

// TestBrowserSignSummary: a doctor finds a discharge without a sent
// summary on the ward's list, writes the summary, signs it, and its
// MDM^T02 is queued to the GPs' feed.
func TestBrowserSignSummary(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t)
	f := startSummaries(t, e)
	loginAs(t, ctx, e.srv.URL, e.a.Users[crs.RoleDoctor])
	run(t, ctx, "the ward's list",
		chromedp.Navigate(e.srv.URL+"/patients"),
		chromedp.Click(chromedp.Search(`//nav//a[normalize-space(.)="Summaries not sent"]`)),
		waitText("h1", "Discharge summaries not sent"),
		chromedp.SendKeys(chromedp.ID("#ward"), "WD10"),
		chromedp.Click(chromedp.Search(`//main//button[normalize-space(.)="Show"]`)),
		waitQuery("ward=WD10"),
		waitText("#overdue-summaries", "Summary, Sam"),
		chromedp.Click(chromedp.Search(`//table[@id="overdue-summaries"]//a[normalize-space(.)="Write the summary"]`)),
		waitText("h1", "Discharge summary"),
		chromedp.SendKeys(chromedp.ID("#diagnoses"), "Community-acquired pneumonia"),
		chromedp.SendKeys(chromedp.ID("#procedures"), "None"),
		chromedp.SendKeys(chromedp.ID("#medications"), "Amoxicillin 500 mg oral three times a day for 5 days"),
		chromedp.SendKeys(chromedp.ID("#follow_up"), "Chest X-ray in 6 weeks"),
		chromedp.SendKeys(chromedp.ID("#gp_information"), "Please check the chest X-ray result"),
		chromedp.Click(chromedp.Search(`//main//button[normalize-space(.)="Sign and send"]`)),
		waitText("#summary-status", "Signed and sent"),
	)
	out, err := e.db.SearchMessages(context.Background(), e.a.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, Limit: 10})
	if err != nil || len(out) != 1 || out[0].Type != "MDM^T02" || !strings.Contains(out[0].Raw, "Amoxicillin 500 mg oral three times a day for 5 days") ||
		!strings.Contains(out[0].Raw, "TXA|1|DS^Discharge summary") || !strings.Contains(out[0].Raw, e.a.Users[crs.RoleDoctor].Username) {
		t.Fatalf("queued MDM: %+v, %v", out, err)
	}
	if s, err := f.sums.SpellSummary(context.Background(), e.a.Actor(crs.RoleDoctor), f.spell.ID); err != nil || s.Status != crs.SummarySigned {
		t.Errorf("summary after signing: %+v, %v", s, err)
	}
}
