package fhir

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Key sets read by address.
//
// A system registered with the address of its key set (SMART Backend
// Services' JWKS URL) has its keys read from there when it asks for a
// token, and kept for keySetMaxAge, so that it can rotate its keys
// without the trust registering it again: an assertion the keys kept do
// not verify has them read again, at most once every keySetMinAge, for
// a key just added.

const (
	keySetMaxAge  = 5 * time.Minute
	keySetMinAge  = 10 * time.Second
	keySetTimeout = 5 * time.Second
	keySetMaxSize = 256 << 10
)

// CheckKeySetURL says whether an address may be registered as a
// system's key set: an absolute https URL, or http on this machine's
// loopback (a system on the same host, and tests).
func CheckKeySetURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("%q is not TLS-protected: a key set is read over https (http only on this machine's loopback)", raw)
	}
	return fmt.Errorf("%q is not an https URL", raw)
}

// keySets keeps the key sets read by address.
type keySets struct {
	mu   sync.Mutex
	sets map[string]keySet
	http *http.Client
}

type keySet struct {
	keys []JWK
	read time.Time
}

// keys returns the key set at the address, as kept if it was read less
// than keySetMaxAge before now (or, asked again, less than keySetMinAge
// before), else read now.
func (k *keySets) keys(ctx context.Context, addr string, now time.Time, again bool) ([]JWK, error) {
	k.mu.Lock()
	if k.sets == nil {
		k.sets = map[string]keySet{}
		k.http = &http.Client{Timeout: keySetTimeout}
	}
	kept, ok := k.sets[addr]
	k.mu.Unlock()
	age := now.Sub(kept.read)
	if ok && (age < keySetMinAge || !again && age < keySetMaxAge) {
		return kept.keys, nil
	}
	keys, err := k.read(ctx, addr)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.sets[addr] = keySet{keys: keys, read: now}
	k.mu.Unlock()
	return keys, nil
}

// read fetches and parses the key set at the address.
func (k *keySets) read(ctx context.Context, addr string) ([]JWK, error) {
	if err := CheckKeySetURL(addr); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr, nil)
	if err != nil {
		return nil, fmt.Errorf("the key set address %s: %v", addr, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the client's key set could not be read: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the client's key set could not be read from %s: it answered %s", addr, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, keySetMaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("the client's key set could not be read from %s: %v", addr, err)
	}
	if len(b) > keySetMaxSize {
		return nil, fmt.Errorf("the client's key set at %s is larger than %d KiB", addr, keySetMaxSize>>10)
	}
	keys, err := ParseJWKS(b)
	if err != nil {
		return nil, fmt.Errorf("the client's key set at %s: %v", addr, err)
	}
	return keys, nil
}
