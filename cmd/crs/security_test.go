package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// TestServeHTTPSAndMetricsToken starts `crs serve` over HTTPS with the
// metrics token in CRS_METRICS_TOKEN: the login page comes with HSTS and
// a Secure __Host- cookie, and /metrics is refused without the token, or
// with a wrong one.
func TestServeHTTPSAndMetricsToken(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server")
	}
	dir := t.TempDir()
	cert, key, pair := selfSigned(t, dir, "crs-web", x509.ExtKeyUsageServerAuth)
	dsn := "sqlite:" + filepath.Join(dir, "x.db")
	if code, out, errs := runCLI(t, "trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside Hospitals NHS Trust"); code != 0 {
		t.Fatalf("crs trust add: exit %d\n%s%s", code, out, errs)
	}
	const token = "scrape-token-for-tests-only"
	t.Setenv("CRS_METRICS_TOKEN", token)
	r := start(t, "serve", "--db", dsn, "--http", "127.0.0.1:0", "--mllp", "", "--tls-cert", cert, "--tls-key", key, "--log-level", "warn")
	base := r.waitFor(t, `OpenCRS is running at (https://127\.0\.0\.1:\d+)/\n`, 30*time.Second)[1]
	roots := x509.NewCertPool()
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots.AddCert(leaf)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}

	resp, _ := get(t, c, base+"/login")
	if got := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
		t.Errorf("Strict-Transport-Security = %q over HTTPS", got)
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 || cookies[0].Name != "__Host-crs_login_csrf" || !cookies[0].Secure || cookies[0].Path != "/" {
		t.Errorf("login cookie over HTTPS = %+v; want __Host-crs_login_csrf, Secure, Path=/", cookies)
	}

	for _, tc := range []struct {
		name, auth string
		want       int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"a wrong token", "Bearer guess", http.StatusUnauthorized},
		{"the token not as a bearer", token, http.StatusUnauthorized},
		{"the token", "Bearer " + token, http.StatusOK},
	} {
		req, _ := http.NewRequest("GET", base+"/metrics", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("GET /metrics with %s: %d; want %d", tc.name, res.StatusCode, tc.want)
		}
	}
	r.stop(t)
}

// TestServeRefusesHalfTLS refuses --tls-cert without --tls-key.
func TestServeRefusesHalfTLS(t *testing.T) {
	code, _, errOut := runCLI(t, "serve", "--db", "sqlite:"+filepath.Join(t.TempDir(), "x.db"), "--tls-cert", "x.crt")
	if code != 2 || !strings.Contains(errOut, "--tls-key") {
		t.Errorf("serve --tls-cert alone: exit %d, %q; want 2 naming --tls-key", code, errOut)
	}
}

// TestUserUnlock locks an account with failed logins and unlocks it from
// the command line, as an administrator would when the web UI cannot be
// reached.
func TestUserUnlock(t *testing.T) {
	_, dsn := trustWithUser(t, "RUL", "a.clerk", "clerk", "kettle orange pylon")
	ctx := context.Background()
	clock := crs.NewFixedClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	login := func(password string) error {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.Clock = clock
		_, err = store.NewUserService(db).Authenticate(ctx, "a.clerk", password)
		return err
	}
	for i := 0; i < crs.LoginFailuresLockout; i++ {
		clock.Advance(time.Hour)
		if err := login("wrong password!"); crs.ErrorCode(err) != crs.EUNAUTHORIZED {
			t.Fatalf("failed login %d: %v", i+1, err)
		}
	}
	clock.Advance(time.Hour)
	if err := login("kettle orange pylon"); err != crs.ErrAccountLocked {
		t.Fatalf("login to a locked account: %v, want it locked", err)
	}
	if _, out, _ := runCLI(t, "user", "list", "--db", dsn, "--ods", "RUL"); !strings.Contains(out, "locked") {
		t.Errorf("user list does not show the account locked:\n%s", out)
	}
	if code, out, errOut := runCLI(t, "user", "unlock", "--db", dsn, "--ods", "RUL", "--username", "a.clerk"); code != 0 || !strings.Contains(out, "unlocked") {
		t.Fatalf("user unlock: exit %d\n%s%s", code, out, errOut)
	}
	if err := login("kettle orange pylon"); err != nil {
		t.Errorf("login after unlock: %v", err)
	}
	if code, _, errOut := runCLI(t, "user", "unlock", "--db", dsn, "--ods", "RUL", "--username", "a.clerk"); code != 1 || !strings.Contains(errOut, "not locked") {
		t.Errorf("unlock of an account not locked: exit %d %q; want 1 saying it is not locked", code, errOut)
	}
}
