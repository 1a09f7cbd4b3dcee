package web

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// tabTo presses Tab until the focused element matches the CSS selector,
// as a keyboard user moves through a page; it fails after 200 presses.
func tabTo(sel string) chromedp.Action[chromedp.Void] {
	focused := chromedp.Evaluate[bool](`!!document.activeElement && document.activeElement.matches(` + jsString(sel) + `)`)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for i := 0; i < 200; i++ {
			if ok, err := focused(ctx, t); err == nil && ok {
				return nil
			}
			if _, err := chromedp.KeyEvent("\t")(ctx, t); err != nil {
				return err
			}
		}
		return fmt.Errorf("Tab never reached %s", sel)
	})
}

// typeInto tabs to a field and types into it.
func typeInto(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(tabTo(sel), chromedp.KeyEvent(text))
}

// TestBrowserKeyboard does a clerk's common tasks in Chromium with the
// keyboard alone (Tab, typing, Space and Enter), each in at most three
// page loads counted from the page the task starts on: find a patient by
// name and date of birth, register a new patient, book a first
// appointment into a free slot, admit from the waiting list and
// discharge. Each task's time is logged, not asserted.
func TestBrowserKeyboard(t *testing.T) {
	e := newEnv(t)
	ctx := browserFor(t, 5*time.Minute)
	st := e.setUp(e.a)
	bg, clerk := context.Background(), e.a.Actor(crs.RoleClerk)
	e.register(e.a, "Findlay", "Fiona", crs.NewDate(1971, 8, 9), "", "LS6 1AA")
	booker := e.register(e.a, "Booker", "Bea", crs.NewDate(1982, 1, 30), "", "LS6 2BB")
	if err := store.NewReferralService(e.db).RecordReferral(bg, clerk, &crs.Referral{PatientID: booker.ID, Source: "03", ReceivedOn: crs.NewDate(2026, 2, 20),
		Priority: crs.PriorityRoutine, TreatmentFunction: "100", ConsultantCode: "C1234567", ConsultantLed: true}); err != nil {
		t.Fatal(err)
	}
	listed := e.listPatient(t, "Listed", "")
	wl := store.NewWaitingListService(e.db)
	offer := &crs.TCIOffer{OfferedOn: crs.NewDate(2026, 2, 20), Dates: []crs.Date{crs.NewDate(2026, 3, 2)}}
	if err := wl.OfferTCI(bg, clerk, listed.entry.ID, offer); err != nil {
		t.Fatalf("offer: %v", err)
	}
	if err := wl.RespondToTCI(bg, clerk, offer.ID, crs.TCIResponse{Accept: true, Date: crs.NewDate(2026, 3, 2)}); err != nil {
		t.Fatalf("accept: %v", err)
	}
	going := e.listPatient(t, "Going", "")
	spell := e.admitted(t, st, going)

	loginAs(t, ctx, e.srv.URL, e.a.Users[crs.RoleClerk])
	run(t, ctx, "count page loads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: `sessionStorage.loads = String(Number(sessionStorage.loads || 0) + 1)`})
		return err
	}))
	task := func(name, start string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		run(t, ctx, "reset the count", chromedp.Navigate(e.srv.URL+"/healthz"), js(`sessionStorage.loads = "0"`))
		began := time.Now()
		run(t, ctx, name, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(e.srv.URL + start)}, steps...)...)
		took := time.Since(began)
		loads, _ := strconv.Atoi(value(t, ctx, "page loads", chromedp.Evaluate[string](`sessionStorage.loads`)))
		t.Logf("%s by keyboard: %d page loads, %s", name, loads, took.Round(time.Millisecond))
		if loads > 3 {
			t.Errorf("%s took %d page loads, want at most 3", name, loads)
		}
	}

	task("find a patient by name and date of birth", "/patients",
		chromedp.WaitVisible(chromedp.ID("q")),
		typeInto("#q", "findlay fiona 09/08/1971\r"),
		waitQuery("q=findlay"), // search as you type may have shown the same results on the page before
		waitText("#results h2", "1 patient found"),
		tabTo(`#results a[href^="/patients/"]`),
		chromedp.KeyEvent("\r"),
		waitText(".banner__name", "FINDLAY, Fiona"),
	)
	task("register a new patient", "/patients/new",
		chromedp.WaitVisible(chromedp.ID("given_name")),
		typeInto("#given_name", "Keyes"),
		typeInto("#family_name", "Keyboard"),
		typeInto("#birth_date-day", "14"),
		typeInto("#birth_date-month", "2"),
		typeInto("#birth_date-year", "1990"),
		tabTo(`input[name="gender"]`), chromedp.KeyEvent(" "),
		typeInto("#address_line1", "3 Key Street"),
		typeInto("#postcode", "LS1 4AP"),
		tabTo(`#register-form button.button[type="submit"]:not([name])`), chromedp.KeyEvent("\r"),
		waitText(".flash", "Registered with hospital number"),
		waitText(".banner__name", "KEYBOARD, Keyes"),
	)
	task("book a first appointment into a free slot", "/patients/"+booker.ID,
		tabTo(`a[href^="/referrals/"][href$="/book"]`), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.ID("slots")),
		tabTo(`#slots input[type="radio"]`), chromedp.KeyEvent(" "),
		tabTo(`form button.button[type="submit"]`), chromedp.KeyEvent("\r"),
		waitText(".flash", "Booked for"),
	)
	task("admit from the waiting list", "/waiting-list/"+listed.entry.ID,
		tabTo(`a[href*="/admit?entry="]`), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.ID("place")),
		tabTo("#place"), chromedp.KeyEvent("WD10 bed B02"),
		tabTo(`form button.button[type="submit"]`), chromedp.KeyEvent("\r"),
		waitText(".flash", "Admitted"),
	)
	task("discharge", "/spells/"+spell.ID,
		chromedp.WaitVisible(chromedp.ID("discharge")),
		tabTo("#discharge #method"), chromedp.KeyEvent("1"),
		tabTo("#discharge #destination"), chromedp.KeyEvent("19"),
		tabTo(`#discharge button.button[type="submit"]`), chromedp.KeyEvent("\r"),
		waitText(".flash", "Discharged"),
	)
}
