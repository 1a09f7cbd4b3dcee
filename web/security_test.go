package web

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store/storetest"
)

// The attacks of this file are the holes a security review found, each
// tried against the real server and shown refused.

// loginAttempt posts the login form with a fresh client.
func (e *env) loginAttempt(username, password string, header ...string) resp {
	e.t.Helper()
	c := e.client()
	c.get("/login")
	req, _ := http.NewRequest("POST", c.base+"/login", strings.NewReader(url.Values{
		"username": {username}, "password": {password}, "csrf_token": {c.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

// TestAttackPasswordGuessing guesses one account's password over and
// over: the attempts are slowed down and the account then locked until an
// administrator unlocks it; a username that is no one's answers the same
// way, so the answers do not say which usernames exist.
func TestAttackPasswordGuessing(t *testing.T) {
	e := newEnv(t)
	// Each attempt from an address of its own, through a proxy the
	// server trusts: this is the account's throttle, not the address's.
	e.server.TrustProxy = true
	n := 0
	attempt := func(username, password string) resp {
		n++
		return e.loginAttempt(username, password, "X-Forwarded-For", "192.0.2."+strconv.Itoa(n))
	}
	nurse := e.a.Users[crs.RoleNurse]
	for _, who := range []string{nurse.Username, "no.such.user"} {
		t.Run(who, func(t *testing.T) {
			for i := 1; i <= crs.LoginFailuresFree; i++ {
				wantStatus(t, "guess", attempt(who, "guess-number-one"), http.StatusUnauthorized)
			}
			r := attempt(who, "guess-number-two")
			wantStatus(t, "a guess straight after three", r, http.StatusTooManyRequests)
			wantBody(t, "a guess straight after three", r, "Too many failed logins: wait 1 second")
			for i := crs.LoginFailuresFree + 1; i <= crs.LoginFailuresLockout; i++ {
				e.clock.Advance(time.Hour)
				wantStatus(t, "a guess after waiting", attempt(who, "guess-number-two"), http.StatusUnauthorized)
			}
			e.clock.Advance(time.Hour)
			r = attempt(who, storetest.Password)
			wantStatus(t, "the right password on a locked account", r, http.StatusTooManyRequests)
			wantBody(t, "the right password on a locked account", r, "locked after 10 failed logins", "ask a system administrator")
		})
	}

	admin := e.login(e.a, crs.RoleAdmin)
	r := admin.get("/staff/" + nurse.ID)
	wantBody(t, "the locked user's page", r, "Locked after 10 failed logins in a row", "Unlock "+nurse.Username)
	wantStatus(t, "unlock", admin.post("/staff/"+nurse.ID+"/unlock", nil), http.StatusSeeOther)
	if r := attempt(nurse.Username, storetest.Password); r.status != http.StatusSeeOther {
		t.Errorf("login after unlock: status %d, want 303\n%s", r.status, excerpt(r.body))
	}
	wantStatus(t, "unlock again", admin.post("/staff/"+nurse.ID+"/unlock", nil), http.StatusConflict)
}

// TestAttackPasswordSpraying tries one password against many usernames
// from one address: the address is slowed down, even for a real user
// with the right password, while a request claiming another address in
// X-Forwarded-For is not believed.
func TestAttackPasswordSpraying(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < crs.AddressFailuresFree; i++ {
		wantStatus(t, "spray", e.loginAttempt("user"+string(rune('a'+i)), "Winter-is-coming-1", "X-Forwarded-For", "203.0.113.9"), http.StatusUnauthorized)
	}
	r := e.loginAttempt(e.a.Users[crs.RoleClerk].Username, storetest.Password, "X-Forwarded-For", "198.51.100.7")
	wantStatus(t, "login from the spraying address", r, http.StatusTooManyRequests)
	wantBody(t, "login from the spraying address", r, "Too many failed logins from your network address: wait")
	e.clock.Advance(time.Minute)
	wantStatus(t, "login after the wait", e.loginAttempt(e.a.Users[crs.RoleClerk].Username, storetest.Password), http.StatusSeeOther)
}

// TestAttackOpenRedirect logs in with a next= that points at another
// site in each of the ways browsers read one, and stays on the site.
func TestAttackOpenRedirect(t *testing.T) {
	e := newEnv(t)
	clerk := e.a.Users[crs.RoleClerk].Username
	for _, next := range []string{
		"//evil.example/x", "/\\evil.example/x", "\\\\evil.example", "/\t/evil.example", "/\r\n/evil.example",
		"/\n/evil.example", "https://evil.example", "javascript:alert(1)", "evil.example", "/x\\..\\\\evil.example",
		"/%2f/evil.example\x00", " //evil.example", "http:/evil.example", "/\u2028/evil.example",
	} {
		c := e.client()
		c.get("/login")
		r := c.post("/login", url.Values{"username": {clerk}, "password": {storetest.Password}, "next": {next}})
		if r.loc != "/patients" {
			t.Errorf("login with next=%q: redirect to %q, want /patients", next, r.loc)
		}
	}
	for _, next := range []string{"/patients?q=smith", "/staff", "/patients/0190/history#top"} {
		if got := safeNext(next); got != next {
			t.Errorf("safeNext(%q) = %q, want it kept", next, got)
		}
	}
}

// TestAttackCrossSiteForms sends forms from another site with a valid
// session and CSRF token (as if the token had leaked): the Origin,
// Referer or Sec-Fetch-Site header gives them away.
func TestAttackCrossSiteForms(t *testing.T) {
	e := newEnv(t)
	c := e.login(e.a, crs.RoleClerk)
	form := url.Values{"given_name": {"Ann"}, "family_name": {"Lee"}}
	for _, tc := range []struct{ header, value string }{
		{"Origin", "https://evil.example"},
		{"Origin", "null"},
		{"Referer", "https://evil.example/page"},
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "http://" + strings.TrimPrefix(e.srv.URL, "http://") + ".evil.example"},
	} {
		form.Set("csrf_token", c.csrf)
		req, _ := http.NewRequest("POST", e.srv.URL+"/patients/new", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(tc.header, tc.value)
		r := c.do(req)
		wantStatus(t, tc.header+": "+tc.value, r, http.StatusForbidden)
		wantBody(t, tc.header+": "+tc.value, r, "came from another site")
	}
	// The same form from the site itself is accepted (as far as the
	// form's own checks go).
	req, _ := http.NewRequest("POST", e.srv.URL+"/logout", strings.NewReader(url.Values{"csrf_token": {c.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	wantStatus(t, "logout from the site", c.do(req), http.StatusSeeOther)

	// Logging a victim in to the attacker's account from another site.
	r := e.loginAttempt(e.a.Users[crs.RoleClerk].Username, storetest.Password, "Origin", "https://evil.example")
	wantStatus(t, "cross-site login", r, http.StatusForbidden)
}

// TestAttackLoginToken submits the login form with the cookie's own value
// as its token: the form's token is bound to the form, so it fails.
func TestAttackLoginToken(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.get("/login")
	u, _ := url.Parse(e.srv.URL + "/login")
	var secret string
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == loginCSRF {
			secret = ck.Value
		}
	}
	if secret == "" || secret == c.csrf {
		t.Fatalf("login cookie %q, form token %q: want a cookie and a different token", secret, c.csrf)
	}
	r := c.post("/login", url.Values{"username": {e.a.Users[crs.RoleClerk].Username}, "password": {storetest.Password}, "csrf_token": {secret}})
	wantStatus(t, "login with the cookie as its token", r, http.StatusForbidden)
}

// TestAttackTransportSecurity checks the cookies and headers over TLS
// (here a proxy's X-Forwarded-Proto the server is told to trust), and that
// the header is not believed from a server not told to.
func TestAttackTransportSecurity(t *testing.T) {
	e := newEnv(t)
	get := func(header ...string) resp {
		req, _ := http.NewRequest("GET", e.srv.URL+"/login", nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		return e.client().do(req)
	}
	r := get("X-Forwarded-Proto", "https")
	if r.header.Get("Strict-Transport-Security") != "" || strings.Contains(strings.Join(r.header.Values("Set-Cookie"), ";"), "Secure") {
		t.Errorf("X-Forwarded-Proto believed from an untrusted client: %v", r.header)
	}
	e.server.TrustProxy = true
	r = get("X-Forwarded-Proto", "https")
	if got := r.header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
		t.Errorf("Strict-Transport-Security = %q over TLS", got)
	}
	cookies := (&http.Response{Header: http.Header{"Set-Cookie": r.header.Values("Set-Cookie")}}).Cookies()
	if len(cookies) != 1 || cookies[0].Name != "__Host-"+loginCSRF || !cookies[0].Secure || cookies[0].Path != "/" || cookies[0].Domain != "" {
		t.Errorf("login cookie over TLS = %+v, want __Host-%s, Secure, Path=/", cookies, loginCSRF)
	}
}

// TestAttackFlashEcho registers a patient whose name is a script and
// checks that no cookie carries what the user typed, even encoded.
func TestAttackFlashEcho(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.a, crs.RoleAdmin)
	admin.get("/staff/new")
	r := admin.post("/staff/new", url.Values{"username": {"kim.ward"}, "name": {"Kim Ward"}, "role": {"nurse"},
		"password": {"kettle orange pylon"}, "password_confirm": {"kettle orange pylon"}})
	wantStatus(t, "add user", r, http.StatusSeeOther)
	for _, v := range r.header.Values("Set-Cookie") {
		value := strings.SplitN(strings.SplitN(v, ";", 2)[0], "=", 2)[1]
		decoded, _ := base64.RawURLEncoding.DecodeString(value)
		if strings.Contains(v, "kim.ward") || strings.Contains(string(decoded), "kim.ward") {
			t.Errorf("cookie echoes the username typed: %s", v)
		}
	}
	if page := admin.get(r.loc); !strings.Contains(page.body, "kim.ward") {
		t.Errorf("the next page does not show the message")
	}
	if page := admin.get(r.loc); strings.Contains(page.body, "added") && strings.Contains(page.body, "flash") {
		t.Logf("message shown once only")
	}
}

// TestAttackFormText registers patients with control characters, a
// direction override, an overlong name and contact details in no known
// format: each is refused beside its field, and no record is made.
func TestAttackFormText(t *testing.T) {
	e := newEnv(t)
	c := e.login(e.a, crs.RoleClerk)
	c.get("/patients/new")
	for _, tc := range []struct{ field, value, says string }{
		{"family_name", "Smith\x1b[31m", "control character"},
		{"given_name", "Ann\u202etxt.exe", "reorders"},
		{"family_name", strings.Repeat("x", 101), "longer than 100"},
		{"phone", "=HYPERLINK(\"http://evil.example\")", "not a phone number"},
		{"email", "ann@example.com\r\nBcc: all@example.com", "not an email address"},
		{"gp_practice_code", "<script>", "ODS code"},
		{"contact_phone", "ring the ward", "not a phone number"},
	} {
		form := url.Values{"given_name": {"John"}, "family_name": {"Smith"}, "birth_date-day": {"12"}, "birth_date-month": {"3"},
			"birth_date-year": {"1980"}, "gender": {"1"}, "address_line1": {"1 High Street"}, "postcode": {"E1 6AN"},
			"contact_name": {"Mary Smith"}, "contact_relationship": {"Wife"}}
		form.Set(tc.field, tc.value)
		r := c.post("/patients/new", form)
		wantStatus(t, tc.field+" "+tc.says, r, http.StatusUnprocessableEntity)
		wantBody(t, tc.field+" "+tc.says, r, `id="`+tc.field+`-error"`, tc.says)
	}
}
