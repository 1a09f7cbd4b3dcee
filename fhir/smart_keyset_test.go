package fhir_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// keyServer publishes a system's key set at an address, as a system
// registered by its JWKS URL does, and counts how often it is read.
type keyServer struct {
	mu     sync.Mutex
	jwks   string
	status int
	reads  int
}

func (k *keyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.reads++
	if k.status != 0 {
		w.WriteHeader(k.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, k.jwks)
}

func (k *keyServer) set(jwks string, status int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.jwks, k.status = jwks, status
}

func (k *keyServer) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.reads
}

// TestSMARTKeySetURL: a system registered by the address of its key set
// gets tokens signed with the keys published there, read once and kept;
// after rotating its keys its assertions with the new key are taken (the
// set read again, at most every ten seconds), the old key's no longer;
// an assertion naming another key set address (jku) is refused, the one
// registered taken; an address that does not answer with a key set is
// refused naming the address. Only https addresses (http on the
// loopback) may be registered.
func TestSMARTKeySetURL(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		start := time.Now().UTC()
		clock.Set(start)
		ta := storetest.NewTrust(t, db, "RKS")
		rk, _ := rsa.GenerateKey(rand.Reader, 2048)
		ek, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		keys := &keyServer{jwks: rsaJWKS(rk)}
		ks := httptest.NewServer(keys)
		defer ks.Close()
		addr := ks.URL + "/jwks.json"
		c := &crs.APIClient{Name: "lab", Scopes: "system/Observation.read", JWKSURL: addr}
		if err := db.Write(context.Background(), ta.System, crs.ActAdministerSettings, func(tx crs.Tx) error { return tx.InsertAPIClient(c) }); err != nil {
			t.Fatal(err)
		}
		s := &fhir.Server{Store: db, Resources: store.NewResourceService(db), Auth: &fhir.SMART{Store: db, Clients: store.NewAPIClientService(db)}}
		srv := httptest.NewServer(s.Handler())
		defer srv.Close()
		tokenURL := srv.URL + "/fhir/token"
		n := 0
		ask := func(key crypto.Signer, header map[string]string) (int, map[string]any) {
			t.Helper()
			n++
			return requestToken(t, tokenURL, assertionWith(t, key, header, c.ID, tokenURL, fmt.Sprint("jti-", n), time.Now().Add(2*time.Minute)), "system/Observation.read")
		}
		step := func(name string, key crypto.Signer, header map[string]string, status, reads int, want string) {
			t.Helper()
			got, m := ask(key, header)
			if got != status || keys.count() != reads || status != 200 && !strings.Contains(fmt.Sprint(m["error_description"]), want) {
				t.Errorf("%s: %d %v after %d reads of the key set; want %d (%s) after %d", name, got, m, keys.count(), status, want, reads)
			}
		}
		step("the published key", rk, nil, 200, 1, "")
		step("again, the key set kept", rk, nil, 200, 1, "")
		step("jku the address registered", rk, map[string]string{"jku": addr}, 200, 1, "")
		step("jku another address", rk, map[string]string{"jku": "https://elsewhere.example/jwks.json"}, 401, 1, "not the key set address registered")

		keys.set(ecJWKS(ek), 0) // the system rotates its keys
		clock.Set(start.Add(5 * time.Second))
		step("the new key, the set read lately", ek, nil, 401, 1, "")
		clock.Set(start.Add(15 * time.Second))
		step("the new key, the set read again", ek, nil, 200, 2, "")
		step("the old key", rk, nil, 401, 2, "")

		keys.set("", http.StatusNotFound)
		clock.Set(start.Add(10 * time.Minute))
		step("the key set gone", ek, nil, 401, 3, addr)

		for _, u := range []struct {
			addr string
			ok   bool
		}{
			{"https://lab.example.nhs.uk/.well-known/jwks.json", true},
			{"http://127.0.0.1:8080/jwks.json", true},
			{"http://localhost/jwks.json", true},
			{"http://lab.example.nhs.uk/jwks.json", false},
			{"ftp://lab.example.nhs.uk/jwks.json", false},
			{"jwks.json", false},
		} {
			if err := fhir.CheckKeySetURL(u.addr); (err == nil) != u.ok {
				t.Errorf("CheckKeySetURL(%q) = %v, want ok %v", u.addr, err, u.ok)
			}
		}
	})
}
