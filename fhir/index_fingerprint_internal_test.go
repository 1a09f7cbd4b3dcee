package fhir

import (
	"regexp"
	"strings"
	"testing"
)

// TestIndexFingerprintFixtures checks that the fixtures the fingerprint
// digests decode and give a row of each kind a search parameter indexes
// (a composite is searched by its components' rows), and a contained
// resource's rows named as a chain to them (medication:Medication.code)
// and a canonical url with its version (url:version),
// so that a change to how one kind becomes rows changes the fingerprint,
// and that the fingerprint is a SHA-256 digest, the same each time.
func TestIndexFingerprintFixtures(t *testing.T) {
	kinds := map[string]bool{}
	for _, f := range indexFixtures {
		r, err := Decode([]byte(f))
		if err != nil {
			t.Fatalf("fixture does not decode: %v\n%s", err, f)
		}
		for _, row := range IndexRows(r) {
			name, modifier, _ := strings.Cut(row.Param, ":")
			p := searchParams[r.Type()][name]
			typ, chained, contained := strings.Cut(modifier, ".")
			switch {
			case p != nil && p.Type == "reference" && contained && searchParams[typ] != nil:
				kinds["contained "+chained] = true
			case p != nil && modifier == "text":
				kinds["token display"] = true
			case p != nil && modifier == "version" && versionedURL(r.Type(), p):
				kinds["canonical version"] = true
			case p != nil && modifier == "identifier":
				kinds["reference identifier"] = true
			case p == nil || modifier != "":
				t.Errorf("%s row of %q, a parameter %s does not have", r.Type(), row.Param, r.Type())
			default:
				kinds[p.Type] = true
			}
		}
	}
	for _, k := range []string{"token", "token display", "string", "date", "reference", "quantity", "number", "uri", "reference identifier", "contained code:text", "canonical version"} {
		if !kinds[k] {
			t.Errorf("no fixture gives a %s row (rows of %v)", k, kinds)
		}
	}
	fp := IndexFingerprint()
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(fp) || IndexFingerprint() != fp {
		t.Errorf("fingerprint %q: want the same 64 hex digits each time", fp)
	}
}
