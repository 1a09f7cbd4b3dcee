package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// screen is one page as a member of staff opens it: who, and where.
type screen struct {
	role   crs.Role
	path   string
	upload string // a file the page's form uploads, its answer the page checked
}

// widths are the screens every page is checked at: a phone (390 CSS px),
// a desktop (1,280) and the desktop at 200% zoom (640 CSS px at scale 2).
var widths = []struct {
	name          string
	width, height int64
	scale         float64
	axe           bool // run the accessibility check at this width
}{
	{"390", 390, 844, 1, true},
	{"1280", 1280, 900, 1, true},
	{"1280-zoom200", 640, 450, 2, false},
}

// demoScreens fills trust A with a day's work (a finished journey, a
// patient in a bed, one in A&E, a referral waiting) and returns every page
// a member of staff opens, with a role that may open it.
func demoScreens(t *testing.T, e *env) []screen {
	t.Helper()
	eng := labEngine(t, e) // the interface analyst's pages too
	e.server.Messages = eng
	e.withClinicalLists()
	e.srv.Close()
	e.srv = httptest.NewServer(e.server.Handler())
	t.Cleanup(e.srv.Close)
	if err := eng.AddDestination(context.Background(), e.a.System, &crs.Destination{Name: "Radiology information system", Addr: "127.0.0.1:9"}); err != nil {
		t.Fatal(err)
	}
	st := e.setUp(e.a)
	c := e.login(e.a, crs.RoleClerk)
	ids := e.walkJourney(t, c, st) // the clock is now 30 March 2026

	bone := &crs.Clinic{Code: "TO-TUE", Name: "Fracture clinic", ConsultantCode: "C7654321", ConsultantName: "Ms Rosalind Bone-Fitzgerald", TreatmentFunction: "110",
		LocationID: st.clinic.LocationID, Sessions: []crs.ClinicSession{{Weekday: time.Tuesday, Start: "09:00", End: "12:00", SlotMinutes: 20, SlotType: crs.SlotNew}}}
	if err := e.server.Outpatients.CreateClinic(context.Background(), e.a.Actor(crs.RoleAdmin), bone); err != nil {
		t.Fatal(err)
	}
	c = e.login(e.a, crs.RoleNurse)
	e.a.AssignToED(t, e.db, e.a.Actor(crs.RoleNurse))
	in := e.register(e.a, "Inbed", "Isobel Margaret-Anne", crs.NewDate(1941, 9, 14), "9990000042", "LS2 7EW")
	c.get("/patients/" + in.ID + "/admit")
	r := c.post("/patients/"+in.ID+"/admit", url.Values{"method": {"21"}, "source": {"19"}, "place": {st.ward.ID + "/" + st.beds[1].ID},
		"consultant": {"C7654321"}, "treatment_function": {"300"}, "expected_discharge": {"2026-04-02"}})
	wantStatus(t, "admit a second patient", r, 303)
	spell := idFrom(t, r.loc, "/spells/")
	// The patient in a bed is at risk of falls and carries MRSA: the
	// board flags the bed for the ward's nurse.
	ctx := context.Background()
	storetest.Relate(t, e.db, e.a.Actor(crs.RoleDoctor), in.ID)
	for _, code := range []string{"129839007", "266096002"} {
		if err := e.server.Problems.RecordProblem(ctx, e.a.Actor(crs.RoleDoctor), &crs.Problem{Entry: crs.Entry{PatientID: in.ID}, Code: code,
			ClinicalStatus: crs.ProblemActive, Verification: crs.VerificationConfirmed, Alert: true}); err != nil {
			t.Fatalf("record %s: %v", code, err)
		}
	}
	if err := store.NewAccessService(e.db).Assign(ctx, e.a.Actor(crs.RoleAdmin), &crs.Assignment{UserID: e.a.Users[crs.RoleNurse].ID,
		Kind: crs.AssignWard, Value: st.ward.Code, StartsOn: crs.LocalDate(e.clock.Now())}); err != nil {
		t.Fatalf("assign the nurse: %v", err)
	}

	ed := e.register(e.a, "Casualty", "Carl", crs.NewDate(2024, 2, 3), "", "E1 1AA")
	c.get("/patients/" + ed.ID + "/ed/new")
	r = c.post("/patients/"+ed.ID+"/ed/new", url.Values{"arrival_mode": {"1048031000000100"}, "attendance_category": {"1"},
		"complaint": {"Fall from a height with a long description of what happened"}, "chief_complaint": {"29857009"}})
	wantStatus(t, "arrive in A&E", r, 303)
	att := idFrom(t, r.loc, "/ed/")
	wantStatus(t, "triage", c.post("/ed/"+att+"/triage", url.Values{"triage": {"2"}}), 303)

	c = e.login(e.a, crs.RoleClerk)
	wait := e.register(e.a, "Waiting", "Wendy", crs.NewDate(1988, 12, 5), "9990000050", "M1 1AE")
	c.get("/patients/" + wait.ID + "/referrals/new")
	r = c.post("/patients/"+wait.ID+"/referrals/new", url.Values{"source": {"03"}, "referrer_name": {"Dr Green"}, "received_on": {"2026-03-02"},
		"priority": {"1"}, "treatment_function": {"110"}, "consultant": {"C1234567"}, "consultant_led": {"yes"}})
	wantStatus(t, "record a referral", r, 303)
	referral := idFrom(t, r.loc, "/referrals/")
	pathway := regexp.MustCompile(`href="/pathways/([^"/]+)"`).FindStringSubmatch(c.get("/referrals/" + referral).body)[1]

	// The laboratory sends a result for the patient in a bed, and one for a
	// patient the trust does not know (refused, with its error).
	msh := func(ctrl string) string {
		return "MSH|^~\\&|LIMS|RAALAB|OPENCRS|RAA|20260330100000||ORU^R01^ORU_R01|" + ctrl + "|P|2.5.1|||AL|NE|GBR"
	}
	handle(t, eng, msh("SCREEN1"), "PID|1||9990000042^^^NHS^NH", "OBR|1|PL1|FL1|UE^Urea and electrolytes|||20260330080000||||||||||||||||||F",
		"OBX|1|NM|NA^Sodium||139|mmol/L|133-146|N|||F", "OBX|2|NM|K^Potassium||4.2|mmol/L|3.5-5.3|N|||F")
	eng.Handle(context.Background(), []byte(strings.Join([]string{msh("SCREEN2"), "PID|1||9990000999^^^NHS^NH",
		"OBR|1|PL2|FL2|FBC^Full blood count|||20260330080000||||||||||||||||||F", "OBX|1|NM|HB^Haemoglobin||135|g/L|120-150|N|||F"}, "\r")+"\r"))
	msgs, err := e.db.SearchMessages(context.Background(), e.a.Org.ID, crs.MessageQuery{Direction: crs.DirectionIn})
	if err != nil || len(msgs) < 2 {
		t.Fatalf("messages in: %d, %v", len(msgs), err)
	}
	var applied, refused string
	for _, m := range msgs {
		if m.ControlID == "SCREEN1" {
			applied = m.ID
		} else if m.ControlID == "SCREEN2" {
			refused = m.ID
		}
	}
	traffic := filepath.Join(t.TempDir(), "laboratory.hl7")
	if err := os.WriteFile(traffic, []byte(strings.Join([]string{msh("CHECK1"), "PID|1||9990000042^^^NHS^NH",
		"OBR|1|PL3|FL3|UE^Urea and electrolytes|||20260330080000||||||||||||||||||F", "OBX|1|NM|NA^Sodium||141|mmol/L|133-146|N|||F",
		msh("CHECK2"), "PID|1||9990000999^^^NHS^NH", "OBR|1|PL4|FL4|FBC^Full blood count|||20260330080000||||||||||||||||||F",
		"OBX|1|NM|HB^Haemoglobin||135|g/L|120-150|N|||F"}, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ifaClient := e.login(e.a, crs.RoleInterfaceAnalyst)
	check := regexp.MustCompile(`href="(/interfaces/[^"/]+/check)"`).FindStringSubmatch(ifaClient.get("/interfaces").body)
	if applied == "" || refused == "" || check == nil {
		t.Fatalf("the laboratory's messages (%q, %q) or its interface's check page (%v) are missing", applied, refused, check)
	}

	staff := e.a.Users[crs.RoleClerk].ID
	p := ids.patient
	clerk, nurse, analyst, admin, privacy := crs.RoleClerk, crs.RoleNurse, crs.RoleAnalyst, crs.RoleAdmin, crs.RolePrivacyOfficer
	ifa := crs.RoleInterfaceAnalyst
	return []screen{
		{role: clerk, path: "/patients"},
		{role: clerk, path: "/patients?q=walker"},
		{role: clerk, path: "/patients/new"},
		{role: clerk, path: "/patients/" + p},
		{role: clerk, path: "/patients/" + p + "/edit"},
		{role: clerk, path: "/patients/" + p + "/history"},
		{role: clerk, path: "/patients/" + p + "/referrals/new"},
		{role: clerk, path: "/patients/" + in.ID},
		{role: clerk, path: "/referrals/" + ids.referral},
		{role: clerk, path: "/referrals/" + referral},
		{role: clerk, path: "/referrals/" + referral + "/book"},
		{role: clerk, path: "/pathways/" + ids.pathway},
		{role: clerk, path: "/pathways/" + pathway},
		{role: clerk, path: "/pathways/" + pathway + "/list"},
		{role: clerk, path: "/clinics"},
		{role: clerk, path: "/clinics/" + st.clinic.ID},
		{role: clerk, path: "/appointments/" + ids.appointment},
		{role: clerk, path: "/worklists"},
		{role: clerk, path: "/waiting-list"},
		{role: clerk, path: "/waiting-list/" + ids.entry},
		{role: clerk, path: "/ptl"},
		{role: clerk, path: "/patients/" + wait.ID + "/admit"},
		{role: clerk, path: "/patients/" + wait.ID + "/preadmissions/new"},
		{role: clerk, path: "/spells/" + ids.spell},
		{role: clerk, path: "/spells/" + spell},
		{role: clerk, path: "/beds"},
		{role: nurse, path: "/beds/" + st.ward.ID + "?compact=yes"},
		{role: nurse, path: "/beds/" + st.ward.ID},
		{role: nurse, path: "/ed"},
		{role: nurse, path: "/ed/" + att},
		{role: nurse, path: "/patients/" + wait.ID + "/ed/new"},
		{role: nurse, path: "/patients/" + p + "/results"},
		{role: nurse, path: "/patients/" + p + "/documents"},
		{role: nurse, path: "/patients/" + p + "/diagnostics"},
		{role: analyst, path: "/patients/" + p + "/merge"},
		{role: analyst, path: "/reports"},
		{role: analyst, path: "/reports/rtt"},
		{role: analyst, path: "/reports/kh03"},
		{role: analyst, path: "/reports/ae"},
		{role: analyst, path: "/coding"},
		{role: privacy, path: "/patients/" + p + "/audit"},
		{role: admin, path: "/staff"},
		{role: admin, path: "/staff/new"},
		{role: admin, path: "/staff/" + staff},
		{role: admin, path: "/locations"},
		{role: admin, path: "/locations/new"},
		{role: ifa, path: "/messages"},
		{role: ifa, path: "/messages/" + applied},
		{role: ifa, path: "/messages/" + refused},
		{role: ifa, path: "/feeds"},
		{role: ifa, path: "/interfaces"},
		{role: ifa, path: check[1]},
		{role: ifa, path: check[1], upload: traffic},
		{role: clerk, path: "/patients/" + p + "/death"},
		{role: clerk, path: "/no-such-page"},
	}
}

// TestBrowserScreens opens every page at a phone's width, a desktop's and
// the desktop at 200% zoom: no page scrolls sideways, and (where npm can
// fetch axe-core) no page has an accessibility violation. Screenshots go
// to $CRS_SCREENSHOT_DIR, or a temporary directory.
func TestBrowserScreens(t *testing.T) {
	e := newEnv(t)
	ctx := browserFor(t, 15*time.Minute) // the walk opens a hundred pages and more
	screens := demoScreens(t, e)
	axe := axeSource(t)
	dir := os.Getenv("CRS_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	var role crs.Role
	for _, w := range widths {
		run(t, ctx, "set the viewport to "+w.name, chromedp.EmulateViewport(w.width, w.height, chromedp.EmulateScale(w.scale)))
		for _, sc := range screens {
			t.Logf("%s px: %s as %s", w.name, sc.path, sc.role)
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if sc.role != role {
				if role != "" {
					logout(t, ctx)
				}
				loginAs(t, ctx, e.srv.URL, e.a.Users[sc.role])
				role = sc.role
			}
			run(t, ctx, "open "+sc.path, chromedp.Navigate(e.srv.URL+sc.path), chromedp.WaitVisible(chromedp.CSS("footer")))
			name := w.name + strings.NewReplacer("/", "_", "?", "_", "=", "_").Replace(sc.path)
			if sc.upload != "" {
				run(t, ctx, "upload "+filepath.Base(sc.upload)+" on "+sc.path, chromedp.SetUploadFiles(chromedp.ID("file"), []string{sc.upload}),
					chromedp.Click(chromedp.CSS(`form[enctype="multipart/form-data"] button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("report-summary")))
				name += "_" + filepath.Base(sc.upload)
			}
			name += ".png"
			shot(t, ctx, filepath.Join(dir, name))
			over := value(t, ctx, "measure "+sc.path, chromedp.Evaluate[string](`(() => {
				const doc = document.documentElement;
				if (doc.scrollWidth <= window.innerWidth) return "";
				const wide = [...document.querySelectorAll("body *")].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
					.map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className == "string" ? "." + el.className.trim().replace(/\s+/g, ".") : ""));
				return doc.scrollWidth + " > " + window.innerWidth + ": " + wide.slice(-6).join(", ");
			})()`))
			if over != "" {
				t.Errorf("%s at %s px scrolls sideways: %s", sc.path, w.name, over)
			}
			if axe == "" || !w.axe {
				continue
			}
			if v := axeViolations(t, ctx, axe); v != "" {
				t.Errorf("%s at %s px has accessibility violations:\n%s", sc.path, w.name, v)
			}
		}
	}
	t.Logf("screenshots of %d pages at %d widths in %s", len(screens), len(widths), dir)
}

// axeSource installs axe-core with npm into a temporary directory and
// returns its script, or "" (with the reason logged) when npm or the
// registry is not there.
func axeSource(t *testing.T) string {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Log("npm is not installed: accessibility check skipped")
		return ""
	}
	dir := t.TempDir()
	cmd := exec.Command(npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", dir, "axe-core@4")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("npm install axe-core failed, accessibility check skipped: %v\n%s", err, out)
		return ""
	}
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Logf("axe-core has no axe.min.js, accessibility check skipped: %v", err)
		return ""
	}
	return string(b)
}

// axeViolations runs axe-core on the page against WCAG 2.2 A and AA and
// returns its violations, one line per element, or "".
func axeViolations(t *testing.T, ctx context.Context, axe string) string {
	t.Helper()
	run(t, ctx, "inject axe-core", js(axe+";window.__axe = axe"))
	out := value(t, ctx, "run axe-core", chromedp.Evaluate[string](`window.__axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}))))`,
		chromedp.EvalAwaitPromise))
	var vs []struct {
		ID, Help string
		Nodes    []string
	}
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe-core result: %v\n%s", err, out)
	}
	var b strings.Builder
	for _, v := range vs {
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "  %s (%s): %s\n", v.ID, v.Help, strings.ReplaceAll(n, "\n", " "))
		}
	}
	return b.String()
}
