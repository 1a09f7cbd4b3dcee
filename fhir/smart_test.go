package fhir_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

var enc = base64.RawURLEncoding

func rsaJWKS(k *rsa.PrivateKey) string {
	return fmt.Sprintf(`{"keys":[{"kty":"RSA","kid":"r1","alg":"RS384","n":%q,"e":%q}]}`,
		enc.EncodeToString(k.N.Bytes()), enc.EncodeToString(big.NewInt(int64(k.E)).Bytes()))
}

func ecJWKS(k *ecdsa.PrivateKey) string { return string(fhir.ECJWKS(&k.PublicKey, "e1")) }

// assertion signs a client's JWT assertion for the token endpoint aud.
func assertion(t *testing.T, key crypto.Signer, clientID, aud, jti string, exp time.Time) string {
	return assertionWith(t, key, nil, clientID, aud, jti, exp)
}

// requestToken asks the token endpoint for a token of the scope with
// the assertion: the status and the JSON answered.
func requestToken(t *testing.T, tokenURL, assertion, scope string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion": {assertion}, "scope": {scope}}
	resp, err := http.PostForm(tokenURL, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// assertionWith is assertion with more fields of its header.
func assertionWith(t *testing.T, key crypto.Signer, header map[string]string, clientID, aud, jti string, exp time.Time) string {
	alg := "RS384"
	if _, ok := key.(*ecdsa.PrivateKey); ok {
		alg = "ES384"
	}
	hdr := map[string]string{"alg": alg, "typ": "JWT"}
	for k, v := range header {
		hdr[k] = v
	}
	h, _ := json.Marshal(hdr)
	c, _ := json.Marshal(map[string]any{"iss": clientID, "sub": clientID, "aud": aud, "exp": exp.Unix(), "jti": jti})
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	sum := sha512.Sum384([]byte(input))
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		s, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA384, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = s
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = append(r.FillBytes(make([]byte, 48)), s.FillBytes(make([]byte, 48))...)
	}
	return input + "." + enc.EncodeToString(sig)
}

func register(t *testing.T, db *store.DB, tr *storetest.Trust, name, scopes, jwks string) *crs.APIClient {
	t.Helper()
	c := &crs.APIClient{Name: name, Scopes: scopes, JWKS: []byte(jwks)}
	if err := db.Write(context.Background(), tr.System, crs.ActAdministerSettings, func(tx crs.Tx) error { return tx.InsertAPIClient(c) }); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSMARTBackendServices(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		clock.Set(time.Now().UTC()) // assertions carry real expiry times
		ta := storetest.NewTrust(t, db, "RSA")
		tb := storetest.NewTrust(t, db, "RSB")
		rk, _ := rsa.GenerateKey(rand.Reader, 2048)
		ek, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		lab := register(t, db, ta, "lab", "system/Observation.* system/Patient.read", rsaJWKS(rk))
		other := register(t, db, tb, "other", "system/*.*", ecJWKS(ek))
		smart := &fhir.SMART{Store: db, Clients: store.NewAPIClientService(db)}
		s := &fhir.Server{Store: db, Resources: store.NewResourceService(db), Auth: smart}
		srv := httptest.NewServer(s.Handler())
		defer srv.Close()
		tokenURL := srv.URL + "/fhir/token"

		var cfg map[string]any
		resp, err := http.Get(srv.URL + "/fhir/.well-known/smart-configuration")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&cfg)
		resp.Body.Close()
		if cfg["token_endpoint"] != tokenURL {
			t.Errorf("token_endpoint = %v, want %s", cfg["token_endpoint"], tokenURL)
		}
		getToken := func(key crypto.Signer, clientID, jti, scope string) (int, map[string]any) {
			return requestToken(t, tokenURL, assertion(t, key, clientID, tokenURL, jti, time.Now().Add(2*time.Minute)), scope)
		}
		st, tok := getToken(rk, lab.ID, "j1", "system/Observation.write system/Observation.read system/Condition.read")
		if st != 200 || tok["scope"] != "system/Observation.*" {
			t.Fatalf("RS384 token: %d %v", st, tok)
		}
		if st, m := getToken(rk, lab.ID, "j1", "system/Observation.read"); st != 401 {
			t.Errorf("replayed assertion: %d %v", st, m)
		}
		if st, m := getToken(ek, lab.ID, "j2", "system/Observation.read"); st != 401 {
			t.Errorf("assertion signed by another client's key: %d %v", st, m)
		}
		st, otok := getToken(ek, other.ID, "j3", "system/*.*")
		if st != 200 {
			t.Fatalf("ES384 token: %d %v", st, otok)
		}
		a := &client{t, srv.URL, tok["access_token"].(string)}
		b := &client{t, srv.URL, otok["access_token"].(string)}
		r := a.do("POST", "/fhir/Observation", fmt.Sprintf(observation, "p1", "2024-03-01", "70"))
		if r.status != 201 {
			t.Fatalf("create with token: %d %s", r.status, r.body)
		}
		oid := r.json(t)["id"].(string)
		if r := a.do("POST", "/fhir/Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/p1"}}`); r.status != 403 || !isOutcome(r) {
			t.Errorf("write beyond the token's scopes: %d %s", r.status, r.body)
		}
		// A token of one trust reaches nothing of another.
		for _, path := range []string{"/fhir/Observation/" + oid, "/fhir/Observation/" + oid + "/_history/1", "/fhir/Observation/" + oid + "/_history"} {
			if r := b.do("GET", path, ""); r.status != 404 {
				t.Errorf("trust B GET %s: %d %s", path, r.status, r.body)
			}
		}
		if r := b.do("GET", "/fhir/Observation?_summary=count", "").json(t); fmt.Sprint(r["total"]) != "0" {
			t.Errorf("trust B counts %v observations", r["total"])
		}
		if r := b.do("GET", "/fhir/_history", "").json(t); r["entry"] != nil {
			t.Errorf("trust B's history shows trust A's changes: %v", r["entry"])
		}
		if r := b.do("PUT", "/fhir/Observation/"+oid, fmt.Sprintf(`{"resourceType":"Observation","id":"%s","status":"final","code":{"text":"x"}}`, oid), "If-Match", `W/"1"`); r.status != 412 {
			t.Errorf("trust B updating trust A's observation: %d %s", r.status, r.body)
		}
		if r := a.do("GET", "/fhir/Observation/"+oid, ""); r.status != 200 || !strings.Contains(string(r.body), `"final"`) {
			t.Errorf("trust A's observation after trust B's try: %d %s", r.status, r.body)
		}
		// Tokens expire.
		clock.Advance(fhir.TokenTTL + time.Second)
		if r := a.do("GET", "/fhir/Observation/"+oid, ""); r.status != 401 {
			t.Errorf("expired token: %d", r.status)
		}
	})
}

// TestSMARTTokenRequests: what the token endpoint answers a request
// asking for no scope, for v2 scopes (granted as v2, never more than
// the client may have) and with an assertion naming a key set by URL.
func TestSMARTTokenRequests(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		clock.Set(time.Now().UTC())
		ta := storetest.NewTrust(t, db, "RSA")
		rk, _ := rsa.GenerateKey(rand.Reader, 2048)
		bulk := register(t, db, ta, "bulk", "system/*.read", rsaJWKS(rk))
		s := &fhir.Server{Store: db, Resources: store.NewResourceService(db), Auth: &fhir.SMART{Store: db, Clients: store.NewAPIClientService(db)}}
		srv := httptest.NewServer(s.Handler())
		defer srv.Close()
		tokenURL := srv.URL + "/fhir/token"
		for i, tc := range []struct {
			name, scope string
			header      map[string]string
			status      int
			want        string // the scope granted, or the OAuth error
		}{
			{"no scope", "", nil, 400, "invalid_scope"},
			{"v2 scopes", "system/Patient.rs system/Observation.r", nil, 200, "system/Patient.rs system/Observation.r"},
			{"v1 and v2 scopes", "system/Patient.read system/Observation.rs", nil, 200, "system/Patient.read system/Observation.rs"},
			{"v2 scope beyond the client's", "system/*.cruds", nil, 200, "system/*.rs"},
			{"v2 write scope only", "system/Patient.cud", nil, 400, "invalid_scope"},
			{"v2 unknown permission", "system/Patient.xyz", nil, 400, "invalid_scope"},
			{"a jku header", "system/Patient.read", map[string]string{"jku": "https://example.org/jwks"}, 401, "invalid_client"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, m := requestToken(t, tokenURL, assertionWith(t, rk, tc.header, bulk.ID, tokenURL, fmt.Sprint("jti-", i), time.Now().Add(2*time.Minute)), tc.scope)
				got := m["scope"]
				if status != 200 {
					got = m["error"]
				}
				if status != tc.status || got != tc.want {
					t.Errorf("scope %q: %d %v, want %d %s", tc.scope, status, m, tc.status, tc.want)
				}
			})
		}
	})
}
