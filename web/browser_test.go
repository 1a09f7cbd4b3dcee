package web

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store/storetest"
)

// browser starts headless Chromium for a test, or skips the test when
// there is none on the machine.
func browser(t *testing.T) context.Context {
	t.Helper()
	return browserFor(t, 60*time.Second)
}

// browserFor is browser for a test that runs for up to d.
func browserFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed: browser tests skipped")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	// The first Do starts the browser; its context must have no timeout.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, d)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if v := os.Getenv("CRS_BROWSER_DELAY"); v != "" {
		delay, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("CRS_BROWSER_DELAY=%q: %v", v, err)
		}
		holdPages(t, ctx, delay)
	}
	return ctx
}

// holdPages holds every page the tab asks for d before sending the
// request, so the page being replaced stays in the tab that much longer,
// as on a loaded machine now and then: a step after a wait that the page
// before already satisfied then acts on that page every time, not once
// in many runs, and so does a fragment another tab fetches meanwhile. A
// page asked for while another is still held means a step started a
// navigation from the page being replaced; the test fails so. Set
// CRS_BROWSER_DELAY=500ms to run the browser tests so.
func holdPages(t *testing.T, ctx context.Context, d time.Duration) {
	t.Helper()
	var mu sync.Mutex
	held := map[fetch.RequestID]string{}
	var raced []string
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range raced {
			t.Errorf("a step acted on a page being replaced: %s", r)
		}
	})
	if err := chromedp.Listen(ctx, func(e any) {
		ev, ok := e.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		asked := ev.Request.Method + " " + ev.Request.URL
		mu.Lock()
		for _, other := range held {
			raced = append(raced, asked+" was asked for while "+other+" was still held")
		}
		held[ev.RequestID] = asked
		mu.Unlock()
		go func() {
			time.Sleep(d)
			mu.Lock()
			delete(held, ev.RequestID)
			mu.Unlock()
			_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		}()
	}); err != nil {
		t.Fatalf("listen for page loads: %v", err)
	}
	pages := []*fetch.RequestPattern{{ResourceType: network.ResourceTypeDocument}}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: pages}); err != nil {
		t.Fatalf("hold page loads: %v", err)
	}
}

// run runs browser actions, failing the test with what was being done.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: %v\npage text:\n%s", what, err, body)
	}
}

// value runs a browser action that returns a value.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitText waits until an element matching the CSS selector contains
// text, checking across page loads (a click that submits a form replaces
// the page being checked).
func waitText(sel, text string) chromedp.Action[chromedp.Void] {
	return waitUntil(fmt.Sprintf("no %s containing %q", sel, text),
		`(() => { const el = document.querySelector(`+jsString(sel)+`); return !!el && el.textContent.includes(`+jsString(text)+`); })()`)
}

// loadedURL is a JavaScript expression for the address the page in the
// tab was loaded from. location may say otherwise: search as you type
// writes its query there (history.replaceState) without a page load.
const loadedURL = `new URL(performance.getEntriesByType("navigation")[0].name)`

// waitQuery waits until the page loaded is one whose query string
// contains q and has finished loading: after a GET form's submit, the
// page that answers it rather than the page it replaces (whose text may
// already hold what a later waitText looks for).
func waitQuery(q string) chromedp.Action[chromedp.Void] {
	return waitUntil(fmt.Sprintf("no page loaded with %q in its query", q),
		loadedURL+`.search.includes(`+jsString(q)+`) && document.readyState === "complete"`)
}

// waitPath waits until the page loaded is one whose path starts with
// prefix and has finished loading: after a click that leaves the page,
// the page it leads to rather than the one it replaces, where a later
// step could find a link or field of the same name.
func waitPath(prefix string) chromedp.Action[chromedp.Void] {
	return waitUntil(fmt.Sprintf("no page loaded at %s...", prefix),
		loadedURL+`.pathname.startsWith(`+jsString(prefix)+`) && document.readyState === "complete"`)
}

// waitUntil evaluates a JavaScript expression every 50ms until it is
// true, for up to 10 seconds; it fails with what was awaited.
func waitUntil(what, expr string) chromedp.Action[chromedp.Void] {
	check := chromedp.Evaluate[bool](expr)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			ok, err := check(ctx, t)
			if err == nil && ok {
				return chromedp.Void{}, nil
			}
			if time.Now().After(deadline) {
				return chromedp.Void{}, fmt.Errorf("%s (last error: %v)", what, err)
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// clear empties an input, as a user selecting its text and deleting it.
func clear(id string) chromedp.Action[chromedp.Void] {
	e := chromedp.Evaluate[bool](`(() => { const el = document.getElementById(` + jsString(id) + `); el.value = ""; return true; })()`)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := e(ctx, t)
		return chromedp.Void{}, err
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// loginAs logs in through the login page.
func loginAs(t *testing.T, ctx context.Context, base string, u *crs.User) {
	t.Helper()
	run(t, ctx, "log in as "+u.Username,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("#username")),
		chromedp.SendKeys(chromedp.ID("#username"), u.Username),
		chromedp.SendKeys(chromedp.ID("#password"), storetest.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("#q")),
		waitText(".header__user", u.Name),
	)
}

func logout(t *testing.T, ctx context.Context) {
	t.Helper()
	run(t, ctx, "log out",
		chromedp.Click(chromedp.CSS(".header__button")),
		waitPath("/login"), // the page left may have a #username too (a new user's)
		chromedp.WaitVisible(chromedp.ID("#username")),
	)
}

// screenshot saves the whole page to /tmp for a person to look at.
func screenshot(t *testing.T, ctx context.Context, file string) {
	t.Helper()
	shot(t, ctx, file)
}

// extraScreenshot saves the page only when CRS_SCREENSHOTS=all, for a
// designer reviewing every page.
func extraScreenshot(t *testing.T, ctx context.Context, file string) {
	t.Helper()
	if os.Getenv("CRS_SCREENSHOTS") == "all" {
		shot(t, ctx, file)
	}
}

func shot(t *testing.T, ctx context.Context, file string) {
	t.Helper()
	buf := value(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		t.Logf("write %s: %v", file, err)
	}
}

// TestBrowser drives the real server with headless Chromium as a clerk,
// an analyst and a privacy officer would.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t)
	base := e.srv.URL
	e.register(e.a, "Smith", "John", crs.NewDate(1980, 3, 12), "9990000018", "E1 6AN")
	e.register(e.a, "Smithson", "Jane", crs.NewDate(1955, 11, 2), "9990000034", "N1 9GU")
	user := func(r crs.Role) string { return e.a.Users[r].Username }

	loginAs(t, ctx, base, e.a.Users[crs.RoleClerk])

	// Search as you type: results appear without submitting the form.
	run(t, ctx, "search as you type",
		chromedp.SendKeys(chromedp.ID("#q"), "smith"),
		waitText("#results", "SMITH, John"),
		waitText("#results", "SMITHSON, Jane"),
	)
	loc := value(t, ctx, "location", chromedp.Location())
	if !strings.Contains(loc, "/patients") {
		t.Errorf("location after typing = %s", loc)
	}
	run(t, ctx, "an invalid NHS number shows an error beside the box",
		clear("q"),
		chromedp.SendKeys(chromedp.ID("#q"), "999 000 0019"),
		waitText("#q-error", "Modulus 11"),
	)
	run(t, ctx, "search again", clear("q"), chromedp.SendKeys(chromedp.ID("#q"), "smith"), waitText("#results", "SMITH, John"))
	screenshot(t, ctx, "/tmp/crs-search.png")

	// An empty registration form lists its problems at the top.
	run(t, ctx, "register with nothing filled in",
		chromedp.Navigate(base+"/patients/new"),
		chromedp.WaitVisible(chromedp.ID("given_name")),
		chromedp.Click(chromedp.CSS(`#register-form button.button[type="submit"]`)),
		waitText(".error-summary", "Enter the patient's given name"),
		waitText("#family_name-error", "family name"),
	)
	extraScreenshot(t, ctx, "/tmp/crs-register-errors.png")

	// Register a new patient.
	fill := func(family string, withNHS bool) []chromedp.Action[chromedp.Void] {
		acts := []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(base + "/patients/new"),
			chromedp.WaitVisible(chromedp.ID("#given_name")),
			chromedp.SendKeys(chromedp.ID("#title"), "Mrs"),
			chromedp.SendKeys(chromedp.ID("#given_name"), "Ann"),
			chromedp.SendKeys(chromedp.ID("#family_name"), family),
			chromedp.SendKeys(chromedp.ID("#birth_date-day"), "5"),
			chromedp.SendKeys(chromedp.ID("#birth_date-month"), "6"),
			chromedp.SendKeys(chromedp.ID("#birth_date-year"), "1975"),
			chromedp.Click(chromedp.CSS(`label[for="gender-2"]`)),
			chromedp.SendKeys(chromedp.ID("#address_line1"), "22 Acacia Avenue"),
			chromedp.SendKeys(chromedp.ID("#address_line2"), "Leeds"),
			chromedp.SendKeys(chromedp.ID("#postcode"), "ls1 4ap"),
			chromedp.SendKeys(chromedp.ID("#mobile"), "07700 900123"),
			chromedp.SendKeys(chromedp.ID("#gp_practice_code"), "B86001"),
			chromedp.SendKeys(chromedp.ID("#gp_practice_name"), "Park Lane Surgery"),
			chromedp.SendKeys(chromedp.ID("#contact_name"), "Tom Taylor"),
			chromedp.SendKeys(chromedp.ID("#contact_relationship"), "Husband"),
		}
		if withNHS {
			acts = append(acts, chromedp.SendKeys(chromedp.ID("#nhs_number"), "999 000 0026"))
		}
		return append(acts, chromedp.Click(chromedp.CSS(`#register-form button.button[type="submit"]:not([name])`)))
	}
	run(t, ctx, "register a patient", append(fill("Taylor", true),
		waitText(".flash", "Registered with hospital number"),
		waitText(".banner__name", "TAYLOR, Ann (Mrs)"),
	)...)
	majorURL := value(t, ctx, "location", chromedp.Location())
	screenshot(t, ctx, "/tmp/crs-patient.png")

	// A near duplicate is flagged before it is registered.
	run(t, ctx, "register a near duplicate", append(fill("Tayler", false),
		chromedp.WaitVisible(chromedp.ID("#duplicates-title")),
		waitText(".warning-callout", "TAYLOR, Ann"),
		waitText(".warning-callout", "Use this patient"),
	)...)
	extraScreenshot(t, ctx, "/tmp/crs-duplicate.png")
	run(t, ctx, "confirm the new patient",
		chromedp.Click(chromedp.CSS(`button[name="confirm"]`)),
		waitText(".flash", "Registered with hospital number"),
	)
	minorURL := value(t, ctx, "location", chromedp.Location())
	minorMRN := value(t, ctx, "read the duplicate's hospital number", chromedp.Text(chromedp.CSS(".banner__details div:nth-child(4) dd")))
	logout(t, ctx)

	// An analyst merges the duplicate into the first record.
	loginAs(t, ctx, base, e.a.Users[crs.RoleAnalyst])
	run(t, ctx, "merge",
		chromedp.Navigate(minorURL+"/merge"),
		chromedp.WaitVisible(chromedp.ID("#find")),
		chromedp.SendKeys(chromedp.ID("#find"), "taylor"),
		chromedp.Submit(chromedp.ID("#find")),
		waitQuery("find=taylor"),
		waitText("table", "TAYLOR, Ann"),
		chromedp.Click(chromedp.Search(`//tr[contains(., "TAYLOR, Ann")]//a[contains(., "Compare")]`)),
		waitText("h1", "Compare records to merge"),
		waitText(".compare", "Differs"),
	)
	extraScreenshot(t, ctx, "/tmp/crs-compare.png")
	run(t, ctx, "merge the records",
		chromedp.Click(chromedp.CSS(`label[for="keep-other"]`)),
		chromedp.SendKeys(chromedp.ID("#reason"), "Same patient registered twice"),
		chromedp.Click(chromedp.Search(`//button[contains(., "Merge records")]`)),
		waitText(".flash", "merged into hospital number"),
		chromedp.Navigate(majorURL+"/history"),
		waitText("main", "Hospital number "+strings.TrimSpace(minorMRN)+" merged into this record"),
	)
	extraScreenshot(t, ctx, "/tmp/crs-history.png")
	run(t, ctx, "the merged record",
		chromedp.Navigate(minorURL),
		waitText(".banner", "Merged into"),
	)
	logout(t, ctx)

	// The privacy officer sees who accessed the record.
	if err := e.db.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	loginAs(t, ctx, base, e.a.Users[crs.RolePrivacyOfficer])
	run(t, ctx, "access audit",
		chromedp.Navigate(majorURL),
		chromedp.Click(chromedp.Search(`//a[contains(., "Access audit")]`)),
		waitText("h1", "Access audit"),
	)
	audit := value(t, ctx, "audit visits", chromedp.Text(chromedp.CSS("main"))) // one table per visit
	extraScreenshot(t, ctx, "/tmp/crs-audit.png")
	for _, want := range []string{user(crs.RoleClerk), user(crs.RoleAnalyst), "Receptionist / clerk", "Information analyst", "direct care", "administration"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit table lacks %q:\n%s", want, audit)
		}
	}
}
