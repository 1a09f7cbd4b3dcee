package fhir

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// JWK is one public key of a client's JSON Web Key Set: RSA (n, e) or
// EC on P-384 (x, y).
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// ParseJWKS reads a JSON Web Key Set and checks each key is one this
// server can verify signatures with (RSA of at least 2048 bits, or EC
// P-384).
func ParseJWKS(b []byte) ([]JWK, error) {
	var set struct {
		Keys []JWK `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("the JWKS is not JSON: %w", err)
	}
	if len(set.Keys) == 0 {
		return nil, errors.New(`the JWKS has no keys (want {"keys":[...]})`)
	}
	for i, k := range set.Keys {
		if _, err := k.public(); err != nil {
			return nil, fmt.Errorf("key %d (kid %q): %w", i, k.Kid, err)
		}
	}
	return set.Keys, nil
}

func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// public is the key as a Go public key.
func (k JWK) public() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err1 := b64(k.N)
		e, err2 := b64(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("the RSA key's n or e is not base64url")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 {
			return nil, fmt.Errorf("the RSA key has %d bits; at least 2048 are needed", pub.N.BitLen())
		}
		return pub, nil
	case "EC":
		if k.Crv != "P-384" {
			return nil, fmt.Errorf("the EC key is on %q; ES384 needs P-384", k.Crv)
		}
		x, err1 := b64(k.X)
		y, err2 := b64(k.Y)
		if err1 != nil || err2 != nil {
			return nil, errors.New("the EC key's x or y is not base64url")
		}
		pub := &ecdsa.PublicKey{Curve: elliptic.P384(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
		if !pub.Curve.IsOnCurve(pub.X, pub.Y) {
			return nil, errors.New("the EC key's point is not on P-384")
		}
		return pub, nil
	}
	return nil, fmt.Errorf("key type %q is not RSA or EC", k.Kty)
}

// jwtClaims are the claims of a client's assertion.
type jwtClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp int64           `json:"exp"`
	JTI string          `json:"jti"`
}

// audiences lists the assertion's aud, a string or an array.
func (c jwtClaims) audiences() []string {
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(c.Aud, &many)
	return many
}

// verifyJWT checks a compact JWT's RS384 or ES384 signature against the
// keys and returns its claims; the caller checks what they say. jku is
// the address of the key set the client was registered with ("" for a
// client registered with its keys): an assertion naming a key set by
// address must name that one.
func verifyJWT(token string, keys []JWK, jku string) (*jwtClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("the assertion is not a compact JWT")
	}
	hb, err := b64(parts[0])
	if err != nil {
		return nil, errors.New("the assertion's header is not base64url")
	}
	var hdr struct{ Alg, Kid, Typ, Jku string }
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, errors.New("the assertion's header is not JSON")
	}
	switch {
	case hdr.Jku != "" && jku == "":
		// A client's keys are registered with it, not fetched from a URL
		// the assertion names: one naming a jku names keys this server
		// was never given.
		return nil, fmt.Errorf("the assertion's jku %q is not a key set registered for the client: its keys are registered with it", hdr.Jku)
	case hdr.Jku != "" && hdr.Jku != jku:
		return nil, fmt.Errorf("the assertion's jku %q is not the key set address registered for the client (%s)", hdr.Jku, jku)
	}
	if hdr.Alg != "RS384" && hdr.Alg != "ES384" {
		return nil, fmt.Errorf("the assertion is signed with %q; RS384 or ES384 is needed", hdr.Alg)
	}
	sig, err := b64(parts[2])
	if err != nil {
		return nil, errors.New("the assertion's signature is not base64url")
	}
	sum := sha512.Sum384([]byte(parts[0] + "." + parts[1]))
	verified := false
	for _, k := range keys {
		if hdr.Kid != "" && k.Kid != "" && k.Kid != hdr.Kid {
			continue
		}
		pub, err := k.public()
		if err != nil {
			continue
		}
		switch pk := pub.(type) {
		case *rsa.PublicKey:
			verified = hdr.Alg == "RS384" && rsa.VerifyPKCS1v15(pk, crypto.SHA384, sum[:], sig) == nil
		case *ecdsa.PublicKey:
			if hdr.Alg == "ES384" && len(sig) == 96 {
				r, s := new(big.Int).SetBytes(sig[:48]), new(big.Int).SetBytes(sig[48:])
				verified = ecdsa.Verify(pk, sum[:], r, s)
			}
		}
		if verified {
			break
		}
	}
	if !verified {
		return nil, errors.New("the assertion's signature matches none of the client's registered keys")
	}
	pb, err := b64(parts[1])
	if err != nil {
		return nil, errors.New("the assertion's claims are not base64url")
	}
	var c jwtClaims
	if err := json.Unmarshal(pb, &c); err != nil {
		return nil, errors.New("the assertion's claims are not JSON")
	}
	return &c, nil
}

// ECJWKS writes a JSON Web Key Set holding one P-384 public key: what a
// system registers so its ES384 assertions can be checked.
func ECJWKS(pub *ecdsa.PublicKey, kid string) []byte {
	b, _ := json.Marshal(map[string]any{"keys": []JWK{{Kty: "EC", Kid: kid, Crv: "P-384",
		X: base64.RawURLEncoding.EncodeToString(pub.X.FillBytes(make([]byte, 48))),
		Y: base64.RawURLEncoding.EncodeToString(pub.Y.FillBytes(make([]byte, 48)))}}})
	return b
}
