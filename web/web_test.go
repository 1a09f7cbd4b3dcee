package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// env is a real server over a real SQLite database with two trusts.
type env struct {
	t      testing.TB
	db     *store.DB
	clock  *crs.FixedClock
	srv    *httptest.Server
	server *Server
	ps     *store.PatientService
	a, b   *storetest.Trust // trust A (RAA) and trust B (RBB)
}

func newEnv(t testing.TB) *env {
	t.Helper()
	clock := crs.NewFixedClock(storetest.Epoch)
	return newEnvOn(t, storetest.OpenSQLite(t, clock), clock)
}

// newEnvOn starts the server on db, a fresh database of either engine
// whose clock is clock, with two trusts.
func newEnvOn(t testing.TB, db *store.DB, clock *crs.FixedClock) *env {
	t.Helper()
	e := &env{t: t, db: db, clock: clock, ps: store.NewPatientService(db)}
	e.a = storetest.NewTrust(t, db, "RAA")
	e.b = storetest.NewTrust(t, db, "RBB")
	s := &Server{
		Patients: e.ps, Users: store.NewUserService(db), Audit: store.NewAuditService(db), Orgs: store.NewOrganisationService(db),
		Referrals: store.NewReferralService(db), Outpatients: store.NewOutpatientService(db), WaitingList: store.NewWaitingListService(db),
		Inpatients: store.NewInpatientService(db), ED: store.NewEDService(db), Reports: report.New(store.NewReportSource(db)), Coding: store.NewCodingService(db),
		Results: &fhir.ResultService{Store: db, Resources: store.NewResourceService(db)}, Documents: store.NewClinicalService(db),
		Submissions: store.NewSubmissionService(db), GoLive: store.NewGoLiveCheckService(db), Diagnostics: store.NewDiagnosticService(db),
		Access: store.NewAccessService(db),
		Clock:  clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	db.OnCommit(s.Notify)
	e.server = s
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

// register adds a patient to trust tr directly through the service.
func (e *env) register(tr *storetest.Trust, family, given string, dob crs.Date, nhsNo, postcode string) *crs.Patient {
	e.t.Helper()
	p := &crs.Patient{FamilyName: family, GivenName: given, BirthDate: dob, NHSNumber: nhsNo, Gender: "1",
		Address: crs.Address{Lines: []string{"1 High Street", "London"}, Postcode: postcode}}
	if err := e.ps.RegisterPatient(context.Background(), tr.Actor(crs.RoleClerk), p); err != nil {
		e.t.Fatalf("register %s: %v", family, err)
	}
	return p
}

// relate gives trust A's users of the roles a legitimate relationship
// with the patient (a day's claim), so they may open the clinical record.
func (e *env) relate(patientID string, roles ...crs.Role) {
	e.t.Helper()
	for _, role := range roles {
		storetest.Relate(e.t, e.db, e.a.Actor(role), patientID)
	}
}

// client is a browser-like HTTP client with its own cookies. It does not
// follow redirects, so tests see them.
type client struct {
	t    testing.TB
	base string
	http *http.Client
	csrf string
}

type resp struct {
	status int
	body   string
	loc    string
	header http.Header
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, base: e.srv.URL, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(req *http.Request) resp {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, body: string(b), loc: res.Header.Get("Location"), header: res.Header}
}

func (c *client) get(path string) resp {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	r := c.do(req)
	if m := csrfField.FindStringSubmatch(r.body); m != nil {
		c.csrf = m[1]
	}
	return r
}

// post submits a form, adding the CSRF token the client last saw unless
// the form has one.
func (c *client) post(path string, form url.Values) resp {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", c.csrf)
	}
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// login logs in as the trust's user of the role and returns the client.
func (e *env) login(tr *storetest.Trust, role crs.Role) *client {
	e.t.Helper()
	c := e.client()
	c.get("/login")
	r := c.post("/login", url.Values{"username": {tr.Users[role].Username}, "password": {storetest.Password}})
	if r.status != http.StatusSeeOther || r.loc != "/patients" {
		e.t.Fatalf("login as %s: status %d to %q, want 303 to /patients\n%s", role, r.status, r.loc, r.body)
	}
	if r := c.get("/patients"); r.status != 200 {
		e.t.Fatalf("after login GET /patients = %d", r.status)
	}
	return c
}

func wantStatus(t testing.TB, what string, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.status, status, excerpt(r.body))
	}
}

func wantBody(t testing.TB, what string, r resp, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.body, s) {
			t.Errorf("%s: page lacks %q\n%s", what, s, excerpt(r.body))
		}
	}
}

// excerpt is the main part of a page, for failure messages.
func excerpt(body string) string {
	if i := strings.Index(body, `<main`); i >= 0 {
		body = body[i:]
	}
	if len(body) > 3000 {
		body = body[:3000]
	}
	return body
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	clerk := e.a.Users[crs.RoleClerk].Username

	t.Run("pages need a login and come back after it", func(t *testing.T) {
		c := e.client()
		r := c.get("/patients?q=smith")
		wantStatus(t, "GET /patients without a session", r, http.StatusSeeOther)
		if r.loc != "/login?next=%2Fpatients%3Fq%3Dsmith" {
			t.Errorf("redirect to %q", r.loc)
		}
		c.get("/login?next=%2Fpatients%3Fq%3Dsmith")
		r = c.post("/login", url.Values{"username": {clerk}, "password": {storetest.Password}, "next": {"/patients?q=smith"}})
		if r.status != http.StatusSeeOther || r.loc != "/patients?q=smith" {
			t.Errorf("login: %d to %q, want 303 to /patients?q=smith", r.status, r.loc)
		}
		var sc *http.Cookie
		for _, ck := range (&http.Response{Header: http.Header{"Set-Cookie": r.header.Values("Set-Cookie")}}).Cookies() {
			if ck.Name == sessionCookie && ck.Value != "" {
				sc = ck
			}
		}
		if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" {
			t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Lax, Path=/", sc)
		}
	})

	t.Run("a wrong password shows an error", func(t *testing.T) {
		c := e.client()
		c.get("/login")
		r := c.post("/login", url.Values{"username": {clerk}, "password": {"wrong-password"}})
		wantStatus(t, "bad login", r, http.StatusUnauthorized)
		wantBody(t, "bad login", r, "The username or password is not right", "error-summary")
	})

	t.Run("a missing password is shown beside the field, the username kept", func(t *testing.T) {
		c := e.client()
		c.get("/login")
		r := c.post("/login", url.Values{"username": {clerk}})
		wantStatus(t, "login without a password", r, http.StatusUnprocessableEntity)
		wantBody(t, "login without a password", r, `id="password-error"`, "Enter your password", `href="#password"`, `value="`+clerk+`"`)
	})

	t.Run("the login form needs its CSRF token", func(t *testing.T) {
		c := e.client()
		c.get("/login")
		r := c.post("/login", url.Values{"username": {clerk}, "password": {storetest.Password}, "csrf_token": {"forged"}})
		wantStatus(t, "login with a forged token", r, http.StatusForbidden)
		wantBody(t, "login with a forged token", r, "CSRF")
	})

	t.Run("next never leaves the site", func(t *testing.T) {
		c := e.client()
		c.get("/login")
		r := c.post("/login", url.Values{"username": {clerk}, "password": {storetest.Password}, "next": {"//evil.example/x"}})
		if r.loc != "/patients" {
			t.Errorf("login with next=//evil: redirect to %q, want /patients", r.loc)
		}
	})

	t.Run("log out ends the session", func(t *testing.T) {
		c := e.login(e.a, crs.RoleClerk)
		r := c.post("/logout", nil)
		wantStatus(t, "logout", r, http.StatusSeeOther)
		if r := c.get("/patients"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login") {
			t.Errorf("after logout GET /patients = %d to %q, want a redirect to /login", r.status, r.loc)
		}
	})
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	c := e.login(e.a, crs.RoleClerk)
	form := url.Values{"given_name": {"Ann"}, "family_name": {"Lee"}, "csrf_token": {""}}
	r := c.post("/patients/new", form)
	wantStatus(t, "register without a CSRF token", r, http.StatusForbidden)
	wantBody(t, "register without a CSRF token", r, "CSRF")
	form.Set("csrf_token", "not-the-token")
	wantStatus(t, "register with a wrong CSRF token", c.post("/patients/new", form), http.StatusForbidden)

	// A script sends the token in a header.
	req, _ := http.NewRequest("POST", e.srv.URL+"/logout", nil)
	req.Header.Set("X-CSRF-Token", c.csrf)
	wantStatus(t, "logout with the header token", c.do(req), http.StatusSeeOther)
}

func TestServerBasics(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	r := c.get("/healthz")
	if r.status != 200 || r.body != "ok" {
		t.Errorf("healthz = %d %q", r.status, r.body)
	}
	r = c.get("/login")
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP = %q", csp)
	}
	wantStatus(t, "unknown route", c.get("/no/such/page"), http.StatusNotFound)
	wantBody(t, "unknown route", c.get("/no/such/page"), "Page not found")
	r = c.get("/static/crs.css")
	if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "text/css") {
		t.Errorf("crs.css = %d %s", r.status, r.header.Get("Content-Type"))
	}
	wantStatus(t, "crs.js", c.get("/static/crs.js"), 200)
}

func TestPagesByRole(t *testing.T) {
	e := newEnv(t)
	p := e.register(e.a, "Smith", "John", crs.NewDate(1980, 3, 12), "9990000018", "E1 6AN")
	q := e.register(e.a, "Smyth", "Jon", crs.NewDate(1980, 3, 12), "", "E1 6AN")
	clients := map[crs.Role]*client{}
	as := func(r crs.Role) *client {
		if clients[r] == nil {
			clients[r] = e.login(e.a, r)
		}
		return clients[r]
	}
	id := "/patients/" + p.ID
	for _, tc := range []struct {
		path      string
		ok        crs.Role
		forbidden crs.Role
		want      []string
	}{
		{"/patients?q=smith", crs.RoleClerk, "", []string{"Find a patient", "SMITH, John", "999 000 0018"}},
		{"/patients/new", crs.RoleClerk, crs.RoleNurse, []string{"Register a patient", `name="given_name"`, `<legend class="fieldset__legend">Date of birth</legend>`}},
		{id, crs.RoleClerk, crs.RoleAdmin, []string{"Patient record", "SMITH, John", "999 000 0018", "Edit demographics", "Record death"}},
		{id + "/edit", crs.RoleClerk, crs.RoleNurse, []string{"Edit demographics", `name="version" value="1"`, `value="Smith"`}},
		{id + "/death", crs.RoleClerk, crs.RoleDoctor, []string{"Record death", "death_date-day"}},
		{id + "/merge", crs.RoleAnalyst, crs.RoleClerk, []string{"Merge records", "Hospital number, NHS number or name"}},
		{id + "/merge?find=smyth", crs.RoleAnalyst, crs.RoleClerk, []string{"Records found", q.MRN, "Compare"}},
		{id + "/merge?other=" + q.ID, crs.RoleAnalyst, crs.RoleClerk, []string{"Compare records to merge", "Differs", "Which record do you want to keep?"}},
		{id + "/history", crs.RoleNurse, crs.RoleAdmin, []string{"History", "Registered with hospital number " + p.MRN}},
		{id + "/audit", crs.RolePrivacyOfficer, crs.RoleClerk, []string{"Access audit", "Purpose"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := as(tc.ok).get(tc.path)
			wantStatus(t, string(tc.ok)+" GET "+tc.path, r, http.StatusOK)
			wantBody(t, string(tc.ok)+" GET "+tc.path, r, tc.want...)
			if strings.HasPrefix(tc.path, id) {
				wantBody(t, "banner", r, `aria-label="Patient banner"`, p.MRN)
			}
			if tc.forbidden != "" {
				r := as(tc.forbidden).get(tc.path)
				wantStatus(t, string(tc.forbidden)+" GET "+tc.path, r, http.StatusForbidden)
				wantBody(t, string(tc.forbidden)+" GET "+tc.path, r, "Your role ("+tc.forbidden.Name()+") does not allow")
			}
		})
	}

	t.Run("the record shows only the actions the role allows", func(t *testing.T) {
		r := as(crs.RoleNurse).get(id)
		for _, s := range []string{"Edit demographics", "Record death", ">Merge<", "Access audit"} {
			if strings.Contains(r.body, s) {
				t.Errorf("nurse sees %q", s)
			}
		}
		wantBody(t, "privacy officer", as(crs.RolePrivacyOfficer).get(id), "Access audit")
		wantBody(t, "analyst", as(crs.RoleAnalyst).get(id), ">Merge<")
	})

	t.Run("forbidden POSTs", func(t *testing.T) {
		for _, tc := range []struct {
			path string
			role crs.Role
		}{{"/patients/new", crs.RoleNurse}, {id + "/edit", crs.RoleNurse}, {id + "/death", crs.RoleNurse}, {id + "/merge", crs.RoleClerk}, {id + "/unmerge", crs.RoleClerk}} {
			wantStatus(t, string(tc.role)+" POST "+tc.path, as(tc.role).post(tc.path, nil), http.StatusForbidden)
		}
	})
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	p := e.register(e.a, "Smith", "John", crs.NewDate(1980, 3, 12), "9990000018", "E1 6AN")
	c := e.login(e.a, crs.RoleClerk)
	for _, tc := range []struct{ name, query string }{
		{"NHS number with spaces", "q=999+000+0018"},
		{"NHS number without spaces", "q=9990000018"},
		{"hospital number", "q=" + p.MRN},
		{"name, date of birth and postcode", "q=" + url.QueryEscape("smith john 12/03/1980 E1 6AN")},
		{"advanced fields", "family=smith&dob=12%2F03%2F1980"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.get("/patients?" + tc.query)
			wantStatus(t, tc.query, r, 200)
			wantBody(t, tc.query, r, "1 patient found", "SMITH, John", "999 000 0018", "12-Mar-1980", "(45y)", p.MRN, "E1 6AN")
		})
	}
	t.Run("partial returns only the results", func(t *testing.T) {
		r := c.get("/patients?q=smith&partial=1")
		wantStatus(t, "partial", r, 200)
		wantBody(t, "partial", r, "SMITH, John", "<table")
		if strings.Contains(r.body, "<html") {
			t.Error("partial response has the layout")
		}
	})
	t.Run("an NHS number failing the check is shown beside the box", func(t *testing.T) {
		r := c.get("/patients?q=999+000+0019")
		wantStatus(t, "bad NHS number", r, http.StatusUnprocessableEntity)
		wantBody(t, "bad NHS number", r, "Modulus 11", `id="q-error"`, `aria-invalid="true"`)
		r = c.get("/patients?q=999+000+0019&partial=1")
		wantBody(t, "bad NHS number partial", r, `data-error="NHS number`)
	})
	t.Run("no results", func(t *testing.T) {
		wantBody(t, "no results", c.get("/patients?q=zzyzx"), "No patients found")
	})
}

func TestRegister(t *testing.T) {
	e := newEnv(t)
	c := e.login(e.a, crs.RoleClerk)
	c.get("/patients/new")
	form := func() url.Values {
		return url.Values{"given_name": {"John"}, "family_name": {"Smith"}, "birth_date-day": {"12"}, "birth_date-month": {"3"},
			"birth_date-year": {"1980"}, "gender": {"1"}, "nhs_number": {"999 000 0018"}, "address_line1": {"1 High Street"},
			"postcode": {"e1 6an"}, "ethnic_category": {"A"}, "contact_name": {"Mary Smith"}, "contact_relationship": {"Wife"}}
	}

	t.Run("field errors", func(t *testing.T) {
		f := form()
		f.Set("given_name", "")
		f.Set("nhs_number", "999 000 0019")
		f.Set("postcode", "NOTAPC")
		f.Set("birth_date-day", "31")
		f.Set("birth_date-month", "2")
		r := c.post("/patients/new", f)
		wantStatus(t, "register with errors", r, http.StatusUnprocessableEntity)
		wantBody(t, "register with errors", r, "There is a problem", `href="#given_name"`, `href="#nhs_number"`, `href="#postcode"`,
			`href="#birth_date"`, "Modulus 11 check", "Enter the patient&#39;s given name", `id="nhs_number-error"`,
			`aria-describedby="nhs_number-hint nhs_number-error"`, `value="NOTAPC"`, "<title>Error: Register a patient")
	})

	var first string
	t.Run("register", func(t *testing.T) {
		r := c.post("/patients/new", form())
		wantStatus(t, "register", r, http.StatusSeeOther)
		first = r.loc
		r = c.get(r.loc)
		wantBody(t, "new record", r, "Registered with hospital number R0000001", "SMITH, John", "999 000 0018", "E1 6AN", "Mary Smith", "White - British")
	})

	t.Run("the same NHS number is refused beside the field", func(t *testing.T) {
		f := form()
		f.Set("given_name", "Johnny")
		r := c.post("/patients/new", f)
		// Same NHS number: shown as a certain duplicate before anything else.
		wantBody(t, "same NHS number", r, "This patient may already be registered", "same NHS number")
		f.Set("confirm", "1")
		r = c.post("/patients/new", f)
		wantStatus(t, "same NHS number confirmed", r, http.StatusUnprocessableEntity)
		wantBody(t, "same NHS number confirmed", r, "already belongs to the patient with hospital number R0000001")
	})

	t.Run("duplicate warning then confirm", func(t *testing.T) {
		f := form()
		f.Set("family_name", "Smyth")
		f.Del("nhs_number")
		r := c.post("/patients/new", f)
		wantStatus(t, "near duplicate", r, 200)
		wantBody(t, "near duplicate", r, "This patient may already be registered", "Use this patient", `href="`+first+`"`,
			"None of these: register a new patient", `name="confirm" value="1"`, `value="Smyth"`)
		f.Set("confirm", "1")
		r = c.post("/patients/new", f)
		wantStatus(t, "confirmed", r, http.StatusSeeOther)
		wantBody(t, "confirmed", c.get(r.loc), "Registered with hospital number R0000002", "SMYTH, John")
	})
}

func TestEditAndHistory(t *testing.T) {
	e := newEnv(t)
	p := e.register(e.a, "Smith", "John", crs.NewDate(1980, 3, 12), "9990000018", "E1 6AN")
	c := e.login(e.a, crs.RoleClerk)
	id := "/patients/" + p.ID
	r := c.get(id + "/edit")
	f := url.Values{"version": {"1"}, "given_name": {"John"}, "family_name": {"Smithson"}, "birth_date-day": {"12"}, "birth_date-month": {"03"},
		"birth_date-year": {"1980"}, "gender": {"1"}, "nhs_number": {"9990000018"}, "nhs_number_status": {"02"},
		"address_line1": {"1 High Street"}, "address_line2": {"London"}, "postcode": {"E1 6AN"}}
	r = c.post(id+"/edit", f)
	wantStatus(t, "edit", r, http.StatusSeeOther)
	wantBody(t, "after edit", c.get(id), "Demographics saved", "SMITHSON, John")

	t.Run("history shows the change", func(t *testing.T) {
		r := c.get(id + "/history")
		wantBody(t, "history", r, "Changed family name", "Family name:", "Smith</del>", "Smithson</ins>", e.a.Users[crs.RoleClerk].Username, "Receptionist / clerk")
		if strings.Index(r.body, "Changed family name") > strings.Index(r.body, "Registered with hospital number") {
			t.Error("history is not newest first")
		}
	})

	t.Run("marked not in active use and back", func(t *testing.T) {
		f.Set("inactive", "yes")
		f.Set("version", "2")
		wantStatus(t, "mark inactive", c.post(id+"/edit", f), http.StatusSeeOther)
		wantBody(t, "inactive record", c.get(id), "Record not in active use")
		wantBody(t, "the search's list", c.get("/patients?q=Smithson"), "Not in active use")
		wantBody(t, "its edit form", c.get(id+"/edit"), `name="inactive" type="checkbox" value="yes" checked`)
		wantBody(t, "its history", c.get(id+"/history"), "Changed in active use")
		f.Del("inactive")
		f.Set("version", "3")
		wantStatus(t, "back in use", c.post(id+"/edit", f), http.StatusSeeOther)
		if r := c.get(id); strings.Contains(r.body, "Record not in active use") {
			t.Errorf("the record back in use is shown as not in use")
		}
		f.Set("version", "1")
	})

	t.Run("a stale version keeps the input and says so", func(t *testing.T) {
		f.Set("family_name", "Smithers")
		r := c.post(id+"/edit", f) // still version 1
		wantStatus(t, "stale edit", r, http.StatusConflict)
		wantBody(t, "stale edit", r, "Someone else changed this record", `value="Smithers"`, `name="version" value="4"`)
	})

	t.Run("record death", func(t *testing.T) {
		r := c.post(id+"/death", url.Values{"death_date-day": {"1"}, "death_date-month": {"3"}, "death_date-year": {"2026"}, "death_time": {"14:30"}})
		wantStatus(t, "death", r, http.StatusSeeOther)
		wantBody(t, "deceased record", c.get(id), "Death recorded on 01-Mar-2026 14:30", "Deceased 01-Mar-2026 14:30", "tag--red")
		r = c.post(id+"/death", url.Values{"death_date-day": {"1"}, "death_date-month": {"3"}, "death_date-year": {"2027"}, "death_time": {"2pm"}})
		wantStatus(t, "bad death", r, http.StatusUnprocessableEntity)
		wantBody(t, "bad death", r, "Time of death must be a real time on the 24-hour clock", `id="death_time-error"`, `value="2pm"`, `value="2027"`)
	})
}

func TestMergeAndUnmerge(t *testing.T) {
	e := newEnv(t)
	major := e.register(e.a, "Smith", "John", crs.NewDate(1980, 3, 12), "9990000018", "E1 6AN")
	minor := e.register(e.a, "Smyth", "John", crs.NewDate(1980, 3, 12), "", "E1 6AN")
	c := e.login(e.a, crs.RoleAnalyst)
	r := c.get("/patients/" + minor.ID + "/merge?other=" + major.ID)
	wantStatus(t, "compare", r, 200)

	t.Run("a reason and a choice are needed", func(t *testing.T) {
		r := c.post("/patients/"+minor.ID+"/merge", url.Values{"other": {major.ID}})
		wantStatus(t, "merge without choice", r, http.StatusUnprocessableEntity)
		wantBody(t, "merge without choice", r, "Choose which record to keep", "Enter why these records are the same patient")
		r = c.post("/patients/"+minor.ID+"/merge", url.Values{"other": {major.ID}, "reason": {"registered twice"}})
		wantStatus(t, "merge without a choice, with a reason", r, http.StatusUnprocessableEntity)
		wantBody(t, "merge without a choice, with a reason", r, "Choose which record to keep", "registered twice")
	})

	r = c.post("/patients/"+minor.ID+"/merge", url.Values{"other": {major.ID}, "keep": {major.ID}, "reason": {"registered twice"}})
	wantStatus(t, "merge", r, http.StatusSeeOther)
	if r.loc != "/patients/"+major.ID {
		t.Errorf("merge went to %q, want the kept record", r.loc)
	}
	wantBody(t, "kept record", c.get(r.loc), "Hospital number "+minor.MRN+" merged into hospital number "+major.MRN)
	r = c.get("/patients/" + minor.ID)
	wantBody(t, "merged record", r, "Merged into", "hospital number "+major.MRN, "Unmerge this record")
	wantBody(t, "history", c.get("/patients/"+major.ID+"/history"), "Hospital number "+minor.MRN+" merged into this record")
	wantBody(t, "search shows the merged marker", c.get("/patients?q="+minor.MRN), "Merged</strong>")

	r = c.post("/patients/"+minor.ID+"/unmerge", url.Values{"reason": {"different people after all"}})
	wantStatus(t, "unmerge", r, http.StatusSeeOther)
	r = c.get("/patients/" + minor.ID)
	wantBody(t, "unmerged record", r, "unmerged: it is a record of its own again")
	if strings.Contains(r.body, "Merged into") {
		t.Error("unmerged record still says Merged into")
	}
	wantStatus(t, "unmerge again", c.post("/patients/"+minor.ID+"/unmerge", nil), http.StatusConflict)
}

func TestAuditPage(t *testing.T) {
	e := newEnv(t)
	p := e.register(e.a, "Smith", "John", crs.NewDate(1980, 3, 12), "9990000018", "E1 6AN")
	nurse := e.login(e.a, crs.RoleNurse)
	wantStatus(t, "nurse views", nurse.get("/patients/"+p.ID), 200)
	if err := e.db.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := e.login(e.a, crs.RolePrivacyOfficer).get("/patients/" + p.ID + "/audit")
	wantStatus(t, "audit", r, 200)
	wantBody(t, "audit", r, e.a.Users[crs.RoleNurse].Username, "Nurse", "demographics", "direct care", e.a.Users[crs.RoleClerk].Username, "Change")
}

// TestTenancy checks that no user of trust B can reach a patient of trust
// A by any route: each answers 404, as if the record did not exist.
func TestTenancy(t *testing.T) {
	e := newEnv(t)
	p := e.register(e.a, "Smith", "John", crs.NewDate(1980, 3, 12), "9990000018", "E1 6AN")
	other := e.register(e.a, "Smyth", "John", crs.NewDate(1980, 3, 12), "", "E1 6AN")
	id := "/patients/" + p.ID
	clients := map[crs.Role]*client{}
	as := func(r crs.Role) *client {
		if clients[r] == nil {
			clients[r] = e.login(e.b, r)
		}
		return clients[r]
	}
	mine := e.register(e.b, "Jones", "Ann", crs.NewDate(1990, 1, 1), "", "N1 1AA")
	for _, tc := range []struct {
		method, path string
		role         crs.Role
		form         url.Values
	}{
		{"GET", id, crs.RoleClerk, nil},
		{"GET", id + "/edit", crs.RoleClerk, nil},
		{"POST", id + "/edit", crs.RoleClerk, url.Values{"version": {"1"}, "given_name": {"X"}, "family_name": {"Y"}}},
		{"GET", id + "/death", crs.RoleClerk, nil},
		{"POST", id + "/death", crs.RoleClerk, url.Values{"death_date-day": {"1"}, "death_date-month": {"1"}, "death_date-year": {"2026"}, "death_time": {"10:00"}}},
		{"GET", id + "/history", crs.RoleClerk, nil},
		{"GET", id + "/audit", crs.RolePrivacyOfficer, nil},
		{"GET", id + "/merge", crs.RoleAnalyst, nil},
		{"GET", "/patients/" + mine.ID + "/merge?other=" + p.ID, crs.RoleAnalyst, nil},
		{"POST", id + "/merge", crs.RoleAnalyst, url.Values{"other": {other.ID}, "keep": {p.ID}, "reason": {"x"}}},
		{"POST", "/patients/" + mine.ID + "/merge", crs.RoleAnalyst, url.Values{"other": {p.ID}, "keep": {mine.ID}, "reason": {"x"}}},
		{"POST", id + "/unmerge", crs.RoleAnalyst, url.Values{"reason": {"x"}}},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			c := as(tc.role)
			var r resp
			if tc.method == "GET" {
				r = c.get(tc.path)
			} else {
				r = c.post(tc.path, tc.form)
			}
			wantStatus(t, string(tc.role)+"@RBB "+tc.method+" "+tc.path, r, http.StatusNotFound)
			if strings.Contains(r.body, "Smith") || strings.Contains(r.body, "999 000 0018") {
				t.Errorf("the 404 page shows trust A's patient")
			}
		})
	}
	t.Run("search does not find the other trust's patients", func(t *testing.T) {
		r := as(crs.RoleClerk).get("/patients?q=9990000018")
		wantBody(t, "search", r, "No patients found")
	})
	// And trust A's record is untouched.
	got, err := e.ps.FindPatient(context.Background(), e.a.Actor(crs.RoleClerk), p.ID)
	if err != nil || got.Version != 1 || got.Merged() || got.Deceased() {
		t.Errorf("trust A's patient after trust B's attempts: %+v, %v", got, err)
	}
}

func TestInternalErrorPage(t *testing.T) {
	var log strings.Builder
	s := &Server{Logger: slog.New(slog.NewTextHandler(&log, nil))}
	s.pages = mustParseTemplates()
	w := httptest.NewRecorder()
	s.fail(w, httptest.NewRequest("GET", "/patients/x?q=SMITH", nil), errors.New("disk on fire"))
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", w.Code)
	}
	ref := regexp.MustCompile(`Reference: <strong class="reference">([0-9a-f]+)</strong>`).FindStringSubmatch(w.Body.String())
	if ref == nil {
		t.Fatalf("no reference on the page:\n%s", excerpt(w.Body.String()))
	}
	if !strings.Contains(log.String(), "ref="+ref[1]) || !strings.Contains(log.String(), "disk on fire") {
		t.Errorf("log lacks the reference or the cause: %s", log.String())
	}
	if strings.Contains(log.String(), "SMITH") || strings.Contains(w.Body.String(), "disk on fire") {
		t.Errorf("the query reached the log, or the cause reached the page")
	}
}

func TestPurpose(t *testing.T) {
	for role, want := range map[crs.Role]string{crs.RoleClerk: "direct care", crs.RoleNurse: "direct care", crs.RoleDoctor: "direct care",
		crs.RolePrivacyOfficer: "privacy audit", crs.RoleAnalyst: "administration", crs.RoleAdmin: "administration", crs.RoleInterfaceAnalyst: "administration"} {
		if got := purpose(role); got != want {
			t.Errorf("purpose(%s) = %q, want %q", role, got, want)
		}
	}
}
