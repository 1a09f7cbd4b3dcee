package fhir_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestServiceBase: behind a gateway that serves the API at another
// address, every URL the API writes names the base configured
// (Server.BaseURL): a Location, a searchset's links and fullUrls, a
// batch's entries, the statement's implementation, the SMART token
// endpoint, whose aud an assertion must name. With TrustProxy and no
// base configured, the proxy's X-Forwarded-Proto and X-Forwarded-Host
// say it; without TrustProxy they are not believed, nor a host that is
// not one.
func TestServiceBase(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		clock.Set(time.Now().UTC()) // assertions carry real expiry times
		tr := storetest.NewTrust(t, db, "RGW")
		key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		gw := register(t, db, tr, "gateway", "system/*.*", ecJWKS(key))
		const base = "https://api.example.nhs.uk/clinical/R4"
		smart := &fhir.SMART{Store: db, Clients: store.NewAPIClientService(db)}
		s := &fhir.Server{Store: db, Resources: store.NewResourceService(db), Auth: smart, BaseURL: base + "/"}
		srv := httptest.NewServer(s.Handler())
		t.Cleanup(srv.Close)
		t.Cleanup(s.Close)

		var cfg map[string]any
		resp, err := http.Get(srv.URL + "/fhir/.well-known/smart-configuration")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&cfg)
		resp.Body.Close()
		if cfg["token_endpoint"] != base+"/token" {
			t.Errorf("token_endpoint = %v, want %s/token", cfg["token_endpoint"], base)
		}
		exp := time.Now().Add(2 * time.Minute)
		if st, m := requestToken(t, srv.URL+"/fhir/token", assertion(t, key, gw.ID, srv.URL+"/fhir/token", "j1", exp), "system/*.*"); st != 401 {
			t.Errorf("assertion naming crs's own address, not the base: %d %v", st, m)
		}
		st, tok := requestToken(t, srv.URL+"/fhir/token", assertion(t, key, gw.ID, base+"/token", "j2", exp), "system/*.*")
		if st != 200 {
			t.Fatalf("assertion naming the base's token endpoint: %d %v", st, tok)
		}
		c := &client{t, srv.URL, tok["access_token"].(string)}
		r := c.do("POST", "/fhir/Observation", fmt.Sprintf(observation, "p1", "2024-03-01", "70"))
		if r.status != 201 || !strings.HasPrefix(r.header.Get("Location"), base+"/Observation/") {
			t.Fatalf("create: %d, Location %q, want it under %s", r.status, r.header.Get("Location"), base)
		}
		id := r.json(t)["id"].(string)
		page := c.do("GET", "/fhir/Observation?subject=Patient/p1&_count=1", "").json(t)
		if self := page["link"].([]any)[0].(map[string]any)["url"].(string); !strings.HasPrefix(self, base+"/Observation?") {
			t.Errorf("self link %s, want it under %s", self, base)
		}
		if full := page["entry"].([]any)[0].(map[string]any)["fullUrl"]; full != base+"/Observation/"+id {
			t.Errorf("fullUrl %v, want %s/Observation/%s", full, base, id)
		}
		batch := c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Observation/`+id+`"}}]}`).json(t)
		if full := batch["entry"].([]any)[0].(map[string]any)["fullUrl"]; full != base+"/Observation/"+id {
			t.Errorf("batch entry's fullUrl %v, want %s/Observation/%s", full, base, id)
		}
		if impl := c.do("GET", "/fhir/metadata", "").json(t)["implementation"].(map[string]any)["url"]; impl != base {
			t.Errorf("implementation.url %v, want %s", impl, base)
		}

		// A proxy trusted, no base configured.
		all, _ := fhir.ParseScopes("system/*.*")
		auth := bearerAuth{"t": {Actor: tr.Actor(crs.RoleInterface), Scopes: all}}
		for _, trust := range []bool{true, false} {
			ps := &fhir.Server{Store: db, Resources: store.NewResourceService(db), Auth: auth, TrustProxy: trust}
			psrv := httptest.NewServer(ps.Handler())
			t.Cleanup(psrv.Close)
			t.Cleanup(ps.Close)
			pc := &client{t, psrv.URL, "t"}
			for _, tc := range []struct{ proto, host, trusted string }{
				{"https", "fhir.example.nhs.uk:8443", "https://fhir.example.nhs.uk:8443/fhir"},
				{"http, https", "evil.example, fhir.example.nhs.uk", "https://fhir.example.nhs.uk/fhir"}, // the proxy's own, last
				{"gopher", "fhir.example.nhs.uk/x?y", psrv.URL + "/fhir"},                                // neither is one
			} {
				want := psrv.URL + "/fhir"
				if trust {
					want = tc.trusted
				}
				got := pc.do("GET", "/fhir/Observation?subject=Patient/p1", "", "X-Forwarded-Proto", tc.proto, "X-Forwarded-Host", tc.host).json(t)
				if self := got["link"].([]any)[0].(map[string]any)["url"].(string); !strings.HasPrefix(self, want+"/Observation?") {
					t.Errorf("trust proxy %v, X-Forwarded-Proto %q, X-Forwarded-Host %q: self link %s, want it under %s", trust, tc.proto, tc.host, self, want)
				}
			}
		}
	})
}

// TestRequestID: every answer carries X-Request-ID, the client's when it
// is a token, else one the server made; an X-Correlation-ID that is a
// token is answered as sent. An error's answer too, and a request not
// authenticated.
func TestRequestID(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		const corr = "11C46F5F-CDEF-4865-94B2-0EE0EDCC26DA"
		seen := map[string]bool{}
		for _, tc := range []struct {
			client           *client
			path, id, wantID string
			corr, wantCorr   string
			status           int
		}{
			{f.a, "/fhir/Observation?_count=1", "60E0B220-8136-4CA5-AE46-1D97EF59D068", "60E0B220-8136-4CA5-AE46-1D97EF59D068", corr, corr, 200},
			{f.a, "/fhir/Observation/none", "rq.1:a_b", "rq.1:a_b", "", "", 404},
			{f.a, "/fhir/Observation?_count=1", "", "", "", "", 200},
			{f.a, "/fhir/Observation?_count=1", "has space", "", "a;b", "", 200},
			{f.a, "/fhir/Observation?_count=1", strings.Repeat("x", 201), "", strings.Repeat("y", 201), "", 200},
			{&client{t, f.base, "nobody"}, "/fhir/Observation", "r-401", "r-401", corr, corr, 401},
		} {
			var h []string
			if tc.id != "" {
				h = append(h, "X-Request-ID", tc.id)
			}
			if tc.corr != "" {
				h = append(h, "X-Correlation-ID", tc.corr)
			}
			r := tc.client.do("GET", tc.path, "", h...)
			got := r.header.Get("X-Request-ID")
			if r.status != tc.status {
				t.Errorf("%s with X-Request-ID %.20q: %d, want %d", tc.path, tc.id, r.status, tc.status)
			}
			switch {
			case tc.wantID != "" && got != tc.wantID:
				t.Errorf("%s with X-Request-ID %.20q: answered %q, want it as sent", tc.path, tc.id, got)
			case tc.wantID == "" && (got == "" || got == tc.id || seen[got]):
				t.Errorf("%s with X-Request-ID %.20q: answered %q, want one the server made, new", tc.path, tc.id, got)
			}
			seen[got] = true
			if c := r.header.Get("X-Correlation-ID"); c != tc.wantCorr {
				t.Errorf("%s with X-Correlation-ID %.20q: answered %q, want %q", tc.path, tc.corr, c, tc.wantCorr)
			}
		}
	})
}
