package fhir_test

import (
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
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
	"github.com/opencrs/crs/web"
)

// TestPatientRegisteredInWebSearch registers a patient through the API
// and finds them as a clerk would, in the PAS's patient search page.
func TestPatientRegisteredInWebSearch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		r := f.a.do("POST", "/fhir/Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000042"}],
 "name":[{"family":"Quennell","given":["Iris"]}],"gender":"female","birthDate":"1981-07-14"}`)
		if r.status != 201 {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		id := r.json(t)["id"].(string)
		ws := &web.Server{Patients: store.NewPatientService(db), Users: store.NewUserService(db), Audit: store.NewAuditService(db),
			Orgs: store.NewOrganisationService(db), Clock: clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		srv := httptest.NewServer(ws.Handler())
		defer srv.Close()
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		get := func(path string) string {
			resp, err := hc.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return string(b)
		}
		csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(get("/login"))
		if csrf == nil {
			t.Fatal("the login page has no CSRF token")
		}
		resp, err := hc.PostForm(srv.URL+"/login", url.Values{"username": {f.trustA.Users[crs.RoleClerk].Username}, "password": {storetest.Password}, "csrf_token": {csrf[1]}})
		if err != nil || resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %v %v", err, resp)
		}
		resp.Body.Close()
		for _, q := range []string{"999 000 0042", "quennell iris"} {
			page := get("/patients?q=" + url.QueryEscape(q))
			if !strings.Contains(page, "/patients/"+id) || !strings.Contains(page, "QUENNELL") {
				t.Errorf("the web search for %q does not show the patient registered through FHIR", q)
			}
		}
	})
}
