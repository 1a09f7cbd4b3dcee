package fhir

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
)

// assertionType is the client_assertion_type of SMART Backend Services.
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// TokenTTL is how long a token from the token endpoint lasts.
const TokenTTL = 5 * time.Minute

// SMART authenticates FHIR requests by the bearer tokens it gives
// systems at its token endpoint (SMART Backend Services: the client
// credentials grant with a JWT assertion signed by a registered key).
type SMART struct {
	Store   crs.Store
	Clients crs.APIClientStore

	mu      sync.Mutex
	recent  map[string]recentToken // tokens found in the last tokenRecall, by the bearer string sent
	keySets keySets                // the key sets of clients registered by their address
}

// tokenRecall is how long a token found is trusted without looking it
// up again: a disabled client's token stops working within it.
const tokenRecall = 5 * time.Second

// recentToken is a token found lately: who it acts for, until when.
type recentToken struct {
	p     *Principal
	until time.Time
}

// Authenticate finds the request's bearer token: the client it was
// given to acts, with the token's scopes.
func (s *SMART) Authenticate(r *http.Request) (*Principal, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return nil, crs.Errorf(crs.EUNAUTHORIZED, "send an access token from the token endpoint as Authorization: Bearer")
	}
	now := s.Store.Now()
	s.mu.Lock()
	rt, ok := s.recent[tok]
	s.mu.Unlock()
	if ok && now.Before(rt.until) {
		return rt.p, nil
	}
	t, c, err := s.Clients.FindAPIToken(r.Context(), hashToken(tok))
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return nil, crs.Errorf(crs.EUNAUTHORIZED, "the access token is not known")
	}
	if err != nil {
		return nil, err
	}
	if c.Disabled || !s.Store.Now().Before(t.ExpiresAt) {
		return nil, crs.Errorf(crs.EUNAUTHORIZED, "the access token has expired")
	}
	scopes, err := ParseScopes(t.Scopes)
	if err != nil {
		return nil, crs.Errorf(crs.EUNAUTHORIZED, "the access token's scopes are not valid")
	}
	p := &Principal{Actor: c.Actor(), Scopes: scopes}
	s.mu.Lock()
	if s.recent == nil || len(s.recent) > 10000 {
		s.recent = map[string]recentToken{}
	}
	until := now.Add(tokenRecall)
	if t.ExpiresAt.Before(until) {
		until = t.ExpiresAt
	}
	s.recent[tok] = recentToken{p: p, until: until}
	s.mu.Unlock()
	return p, nil
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// MintToken gives a client a token of its registered scopes, or those of
// them asked for, lasting ttl: the token endpoint, and operators with
// `crs fhir token`. jti is the assertion it answers ("" for none).
func (s *SMART) MintToken(ctx context.Context, c *crs.APIClient, scope, jti string, ttl time.Duration) (token string, granted Scopes, err error) {
	limit, err := ParseScopes(c.Scopes)
	if err != nil {
		return "", nil, err
	}
	granted = limit
	if scope != "" {
		asked, err := ParseScopes(scope)
		if err != nil {
			return "", nil, err
		}
		granted = asked.Within(limit)
	}
	if len(granted) == 0 {
		return "", nil, crs.Errorf(crs.EFORBIDDEN, "the client may have none of the scopes %q", scope)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, crs.Errorf(crs.EINTERNAL, "make token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	t := &crs.APIToken{Hash: hashToken(token), ClientID: c.ID, Scopes: granted.String(), JTI: jti, ExpiresAt: s.Store.Now().Add(ttl)}
	err = s.Store.Write(ctx, c.Actor(), crs.ActReceiveMessages, func(tx crs.Tx) error { return tx.InsertAPIToken(t) })
	if err != nil {
		return "", nil, err
	}
	return token, granted, nil
}

// verifyAssertion checks a client's signed assertion against its keys:
// those registered with it, or those at the address it was registered
// with, read again once if the keys kept do not verify it (a key the
// client has just added).
func (s *SMART) verifyAssertion(ctx context.Context, c *crs.APIClient, assertion string) (*jwtClaims, error) {
	if c.JWKSURL == "" {
		keys, err := ParseJWKS(c.JWKS)
		if err != nil {
			return nil, fmt.Errorf("the client's registered keys are unusable: %v", err)
		}
		return verifyJWT(assertion, keys, "")
	}
	keys, err := s.keySets.keys(ctx, c.JWKSURL, s.Store.Now(), false)
	if err != nil {
		return nil, err
	}
	if claims, err := verifyJWT(assertion, keys, c.JWKSURL); err == nil {
		return claims, nil
	}
	if keys, err = s.keySets.keys(ctx, c.JWKSURL, s.Store.Now(), true); err != nil {
		return nil, err
	}
	return verifyJWT(assertion, keys, c.JWKSURL)
}

// ServeHTTP is the token endpoint (POST /fhir/token).
func (s *SMART) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if err := r.ParseForm(); err != nil {
		fail(400, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	if g := r.PostForm.Get("grant_type"); g != "client_credentials" {
		fail(400, "unsupported_grant_type", "grant_type must be client_credentials, not "+g)
		return
	}
	if r.PostForm.Get("client_assertion_type") != assertionType {
		fail(400, "invalid_request", "client_assertion_type must be "+assertionType)
		return
	}
	assertion := r.PostForm.Get("client_assertion")
	// Which client it claims to be, from the unverified claims; then the
	// signature is checked with that client's keys.
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		fail(400, "invalid_request", "client_assertion is not a compact JWT")
		return
	}
	pb, _ := b64(parts[1])
	var claimed jwtClaims
	if json.Unmarshal(pb, &claimed) != nil || claimed.Iss == "" {
		fail(400, "invalid_request", "client_assertion's claims name no issuer")
		return
	}
	c, err := s.Clients.FindAPIClient(r.Context(), claimed.Iss)
	if err != nil || c.Disabled {
		fail(401, "invalid_client", "no enabled client has the client_id "+claimed.Iss)
		return
	}
	claims, err := s.verifyAssertion(r.Context(), c, assertion)
	if err != nil {
		fail(401, "invalid_client", err.Error())
		return
	}
	now := s.Store.Now()
	switch {
	case claims.Sub != claims.Iss:
		fail(401, "invalid_client", "the assertion's sub must be its iss, the client_id")
	case !slices.Contains(claims.audiences(), baseURL(r)+"/token"):
		fail(401, "invalid_client", "the assertion's aud must be the token endpoint "+baseURL(r)+"/token")
	case claims.Exp == 0 || !now.Before(time.Unix(claims.Exp, 0)):
		fail(401, "invalid_client", "the assertion has expired")
	case time.Unix(claims.Exp, 0).After(now.Add(5 * time.Minute)):
		fail(401, "invalid_client", "the assertion's exp is more than five minutes away")
	case claims.JTI == "":
		fail(401, "invalid_client", "the assertion has no jti")
	case strings.TrimSpace(r.PostForm.Get("scope")) == "":
		// SMART Backend Services: a client names the scopes it asks for;
		// only an operator (crs fhir token) is given all it may have.
		fail(400, "invalid_scope", "scope is required: name the system scopes asked for, e.g. system/Patient.read")
	default:
		token, granted, err := s.MintToken(r.Context(), c, r.PostForm.Get("scope"), claims.JTI, TokenTTL)
		if err != nil {
			switch crs.ErrorCode(err) {
			case crs.EINVALID, crs.EFORBIDDEN:
				fail(400, "invalid_scope", err.Error())
			case crs.ECONFLICT:
				fail(401, "invalid_client", err.Error())
			default:
				fail(500, "server_error", "the token could not be issued")
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(map[string]any{"access_token": token, "token_type": "bearer", "expires_in": int(TokenTTL.Seconds()), "scope": granted.String()})
	}
}
