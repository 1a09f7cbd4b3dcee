package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
)

// setValue sets an input's or select's value as a user choosing it.
func setValue(id, v string) chromedp.Action[chromedp.Void] {
	e := chromedp.Evaluate[bool](`(() => { const el = document.getElementById(` + jsString(id) + `); el.value = ` + jsString(v) + `; return true; })()`)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error { _, err := e(ctx, t); return err })
}

// typeDate types a date into the day / month / year boxes of date input
// name, as a clerk would, over whatever they held.
func typeDate(name, day, month, year string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		clear(name+"-day"), chromedp.SendKeys(chromedp.ID("#"+name+"-day"), day),
		clear(name+"-month"), chromedp.SendKeys(chromedp.ID("#"+name+"-month"), month),
		clear(name+"-year"), chromedp.SendKeys(chromedp.ID("#"+name+"-year"), year),
	)
}

// js runs a statement in the page.
func js(stmt string) chromedp.Action[chromedp.Void] {
	e := chromedp.Evaluate[bool](`(() => { ` + stmt + `; return true; })()`)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error { _, err := e(ctx, t); return err })
}

// TestBrowserJourney drives a whole patient journey in Chromium: a GP
// referral is recorded, booked into a slot, attended with outcome 20 and
// a decision to admit, offered a TCI, admitted (the clock stops with 30)
// and discharged, with the pathway's clock and the PTL checked at each
// step; then the bed board updates live while open.
func TestBrowserJourney(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t) // closed first, so its live stream ends before the server
	st := e.setUp(e.a)
	base := e.srv.URL
	p := e.register(e.a, "Journey", "Jo", crs.NewDate(1966, 7, 8), "9990000034", "LS1 4AP")
	loginAs(t, ctx, base, e.a.Users[crs.RoleClerk])

	run(t, ctx, "record a GP referral",
		chromedp.Navigate(base+"/patients/"+p.ID),
		chromedp.Click(chromedp.Search(`//a[contains(., "Record a referral")]`)),
		chromedp.WaitVisible(chromedp.ID("#received_on-day")),
		typeDate("received_on", "2", "2", "2026"),
		chromedp.SendKeys(chromedp.ID("#referrer_name"), "Dr Green"),
		setValue("treatment_function", "100"),
		chromedp.SendKeys(chromedp.ID("#consultant"), "C1234567"),
		chromedp.Click(chromedp.CSS(`form button.button[type="submit"]`)),
		waitText(".flash", "RTT pathway"),
		waitText("main", "Clock running"),
	)
	run(t, ctx, "the pathway's clock runs from the referral",
		chromedp.Click(chromedp.Search(`//a[contains(., "See the clock and why")]`)),
		waitText("#clock", "4 weeks 0 days"),
		waitText(".decisions", "clock started"),
	)
	pathwayURL := value(t, ctx, "location", chromedp.Location())
	screenshot(t, ctx, "/tmp/crs-pathway-running.png")
	run(t, ctx, "the PTL lists the wait", chromedp.Navigate(base+"/ptl"), waitText("#ptl", "JOURNEY, Jo"), waitText("#ptl", "no future activity"))

	run(t, ctx, "book into a free slot",
		chromedp.Navigate(base+"/patients/"+p.ID),
		chromedp.Click(chromedp.Search(`//a[normalize-space()="Book"]`)),
		chromedp.WaitVisible(chromedp.ID("#slots")),
		chromedp.Click(chromedp.CSS(`#slots .radios__item:first-child label`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Book"]`)),
		waitText(".flash", "Booked for"),
	)
	run(t, ctx, "the PTL shows the appointment", chromedp.Navigate(base+"/ptl"), waitText("#ptl", "Appointment 02-Mar-2026"))
	run(t, ctx, "check in and attend",
		chromedp.Navigate(base+"/patients/"+p.ID),
		chromedp.Click(chromedp.CSS(`.journey-card .plain-list a`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Check in"]`)),
		waitText(".flash", "Checked in"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Attended"]`)),
		waitText(".flash", "now record the outcome"),
	)
	run(t, ctx, "the outcome needs its RTT status",
		chromedp.Click(chromedp.CSS(`label[for="next_step-waiting_list"]`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Record outcome"]`)),
		waitText("#rtt_status-error", "Choose the RTT status"),
	)
	screenshot(t, ctx, "/tmp/crs-outcome-error.png")
	run(t, ctx, "outcome 20 and a decision to admit",
		setValue("rtt_status", "20"),
		chromedp.Click(chromedp.CSS(`label[for="next_step-waiting_list"]`)),
		chromedp.SendKeys(chromedp.ID("#procedure"), "T201"),
		chromedp.SendKeys(chromedp.ID("#procedure_name"), "Inguinal hernia repair"),
		setValue("intended_management", "2"),
		chromedp.Click(chromedp.CSS(`label[for="priority-P3"]`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Record outcome"]`)),
		waitText(".flash", "RTT status 20"),
		chromedp.Navigate(pathwayURL),
		waitText("#clock", "Clock running"),
		waitText(".decisions", "RTT 20"),
	)
	run(t, ctx, "the PTL shows an admitted pathway", chromedp.Navigate(base+"/ptl"), waitText("#ptl", "Admitted pathway"))

	run(t, ctx, "offer a TCI and accept",
		chromedp.Navigate(base+"/patients/"+p.ID),
		chromedp.Click(chromedp.Search(`//a[contains(., "T201")]`)),
		chromedp.WaitVisible(chromedp.ID("#date1-day")),
		typeDate("date1", "30", "3", "2026"),
		typeDate("date2", "6", "4", "2026"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Record offer"]`)),
		waitText(".flash", "a reasonable offer"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Accept 30-Mar-2026"]`)),
		waitText(".flash", "TCI agreed for 30-Mar-2026"),
	)
	run(t, ctx, "the PTL shows the TCI", chromedp.Navigate(base+"/ptl"), waitText("#ptl", "TCI 30-Mar-2026"))
	screenshot(t, ctx, "/tmp/crs-ptl.png")

	// Open the bed board in a second tab before the admission.
	board, cancelBoard := chromedp.NewContext(ctx)
	defer cancelBoard()
	run(t, board, "open the bed board",
		chromedp.Navigate(base+"/beds"),
		chromedp.Click(chromedp.Search(`//a[contains(., "WD10 Nightingale Ward")]`)),
		waitText(".ward", "0 of 3 beds occupied"),
		chromedp.WaitVisible(chromedp.CSS(`[data-live-connected]`)),
		js(`window.notReloaded = true`),
	)

	e.clock.Set(time.Date(2026, 3, 30, 7, 30, 0, 0, time.UTC))
	loginAs(t, ctx, base, e.a.Users[crs.RoleClerk])
	run(t, ctx, "admit from the waiting list",
		chromedp.Navigate(base+"/patients/"+p.ID),
		chromedp.Click(chromedp.Search(`//a[contains(., "T201")]`)),
		waitPath("/waiting-list/"), // the record has an Admit button of its own, not from the list
		chromedp.Click(chromedp.Search(`//a[normalize-space()="Admit"]`)),
		chromedp.WaitVisible(chromedp.ID("#place")),
		setValue("place", st.ward.ID+"/"+st.beds[0].ID),
		setValue("expected_discharge", "2026-03-31"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Admit"]`)),
		waitText(".flash", "Admitted"),
		chromedp.Navigate(pathwayURL),
		waitText("#clock", "Clock stopped"),
		waitText("#clock", "8 weeks 0 days"),
		waitText(".decisions", "RTT 30"),
	)
	screenshot(t, ctx, "/tmp/crs-pathway.png")
	run(t, ctx, "the PTL no longer lists the treated patient", chromedp.Navigate(base+"/ptl"), chromedp.WaitVisible(chromedp.CSS("main")))
	if txt := value(t, ctx, "PTL text", chromedp.Text(chromedp.CSS("main"))); strings.Contains(txt, "JOURNEY") {
		t.Errorf("the PTL still lists the admitted patient")
	}

	// The bed board tab was not touched, yet shows the admission.
	run(t, board, "the bed board updates live", waitText(".ward", "JOURNEY, Jo"), waitText(".ward", "1 of 3 beds occupied"), waitText("[data-live-note]", "Updated at"))
	if !value(t, board, "not reloaded", chromedp.Evaluate[bool](`window.notReloaded === true`)) {
		t.Errorf("the bed board reloaded instead of updating in place")
	}

	// A second admission, by HTTP from another client, shows up live too.
	other := e.register(e.a, "Second", "Sam", crs.NewDate(1950, 1, 2), "", "")
	c := e.login(e.a, crs.RoleNurse)
	e.a.AssignToED(t, e.db, e.a.Actor(crs.RoleNurse))
	c.get("/patients/" + other.ID + "/admit")
	if r := c.post("/patients/"+other.ID+"/admit", url.Values{"method": {"21"}, "source": {"19"}, "place": {st.ward.ID + "/" + st.beds[1].ID}, "consultant": {"C7654321"}}); r.status != 303 {
		t.Fatalf("admit by HTTP: %d\n%s", r.status, excerpt(r.body))
	}
	run(t, board, "the second admission appears live", waitText(".ward", "SECOND, Sam"), waitText(".ward", "2 of 3 beds occupied"))
	screenshot(t, board, "/tmp/crs-bedboard.png")

	run(t, ctx, "discharge",
		chromedp.Navigate(base+"/beds/"+st.ward.ID),
		chromedp.Click(chromedp.Search(`//a[contains(., "JOURNEY, Jo")]`)),
		chromedp.WaitVisible(chromedp.ID("#discharge")),
		setValue("method", "1"),
		setValue("destination", "19"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Discharge"]`)),
		waitText(".flash", "Discharged"),
		chromedp.Navigate(pathwayURL),
		waitText("#clock", "Clock stopped"),
	)
	run(t, board, "the discharge frees the bed live", waitText(".ward", "1 of 3 beds occupied"))

	// The A&E board, with one patient amber and one red.
	for i, name := range []string{"Amber", "Red"} {
		pp := e.register(e.a, name, "Pat", crs.NewDate(1980+i, 1, 1), "", "")
		c.get("/patients/" + pp.ID + "/ed/new")
		at := e.clock.Now().Add(-time.Duration(190+60*i) * time.Minute).In(crs.London).Format("02/01/2006 15:04")
		r := c.post("/patients/"+pp.ID+"/ed/new", url.Values{"arrival_mode": {"1048031000000100"}, "attendance_category": {"1"}, "arrived_at": {at}, "complaint": {"Fall"}})
		if r.status != 303 {
			t.Fatalf("arrival: %d\n%s", r.status, excerpt(r.body))
		}
		id := strings.TrimPrefix(r.loc, "/ed/")
		wantStatus(t, "triage", c.post("/ed/"+id+"/triage", url.Values{"triage": {"3"}}), 303)
		c.post("/ed/"+id+"/move", url.Values{"location": {"MAJ-" + string(rune('1'+i))}})
	}
	run(t, ctx, "A&E board", chromedp.Navigate(base+"/ed"), waitText("#ed-board", "Over 4 hours"), waitText("#ed-board", "Over 3 hours"))
	screenshot(t, ctx, "/tmp/crs-ed.png")
}

// TestBrowserSuspension suspends a patient on the waiting list in
// Chromium, by keyboard where a clerk would type: a missing date is shown
// beside the field and in the error summary, with the form still open;
// then the suspension is recorded and ended.
func TestBrowserSuspension(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	e.setUp(e.a)
	l := e.listPatient(t, "Away", "9990000077")
	base := e.srv.URL
	loginAs(t, ctx, base, e.a.Users[crs.RoleClerk])

	run(t, ctx, "a suspension without a date is refused beside the field",
		chromedp.Navigate(base+"/waiting-list/"+l.entry.ID),
		chromedp.Click(chromedp.Search(`//summary[contains(., "Patient unavailable")]`)),
		chromedp.WaitVisible(chromedp.ID("#until")),
		chromedp.SendKeys(chromedp.ID("#reason"), "On holiday\r"),
		waitText("#until-error", "Enter the date until which the patient is unavailable"),
		waitText(".error-summary", "Enter the date until which"),
		chromedp.WaitVisible(chromedp.ID("#until")),
	)
	if got := value(t, ctx, "reason kept", chromedp.Evaluate[string](`document.getElementById("reason").value`)); got != "On holiday" {
		t.Errorf("the reason typed was not kept: %q", got)
	}
	screenshot(t, ctx, "/tmp/crs-suspend-error.png")
	run(t, ctx, "suspend",
		typeDate("until", "20", "4", "2026"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Suspend"]`)),
		waitText(".flash", "Suspended until 20-Apr-2026"),
		waitText("main", "Until 20-Apr-2026: On holiday"),
	)
	got, err := e.server.WaitingList.FindWaitingListEntry(context.Background(), e.a.Actor(crs.RoleClerk), l.entry.ID)
	if err != nil || got.Status != crs.ListSuspended || got.SuspendedUntil.String() != "2026-04-20" {
		t.Fatalf("after suspending in the browser: %+v, %v", got, err)
	}
	run(t, ctx, "resume",
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Resume"]`)),
		waitText(".flash", "Available for admission again"),
	)
	if got, err := e.server.WaitingList.FindWaitingListEntry(context.Background(), e.a.Actor(crs.RoleClerk), l.entry.ID); err != nil || got.Status != crs.ListWaiting {
		t.Fatalf("after resuming in the browser: %+v, %v", got, err)
	}
}
