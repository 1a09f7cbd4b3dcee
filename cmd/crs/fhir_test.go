package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
)

// TestFHIRCommands registers a FHIR client and mints it a token from the
// command line, then uses the token against crs serve's /fhir.
func TestFHIRCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server")
	}
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "x.db")
	if code, out, errs := runCLI(t, "trust", "add", "--db", dsn, "--ods", "RXF", "--name", "Riverside Hospitals NHS Trust"); code != 0 {
		t.Fatalf("crs trust add: exit %d\n%s%s", code, out, errs)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	jwks := filepath.Join(dir, "lab.jwks")
	os.WriteFile(jwks, fhir.ECJWKS(&key.PublicKey, "lab"), 0o600)
	bad := filepath.Join(dir, "bad.jwks")
	os.WriteFile(bad, []byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`), 0o600)

	if code, _, errs := runCLI(t, "fhir", "client", "add", "--db", dsn, "--ods", "RXF", "--name", "lab", "--scopes", "system/Patient.read", "--jwks", bad); code == 0 || !strings.Contains(errs, "P-384") {
		t.Errorf("a P-256 key was accepted: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "fhir", "client", "add", "--db", dsn, "--ods", "RXF", "--name", "lab", "--scopes", "system/Patients.read", "--jwks", jwks); code == 0 || !strings.Contains(errs, "Patients") {
		t.Errorf("an unknown type in a scope was accepted: exit %d %s", code, errs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--jwks", jwks, "--jwks-url", "https://lab.example.nhs.uk/jwks.json"}, "one of the two"},
		{nil, "one of the two"},
		{[]string{"--jwks-url", "http://lab.example.nhs.uk/jwks.json"}, "--jwks-url"},
	} {
		args := append([]string{"fhir", "client", "add", "--db", dsn, "--ods", "RXF", "--name", "lab", "--scopes", "system/Observation.read"}, tc.args...)
		if code, _, errs := runCLI(t, args...); code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("crs fhir client add %v: exit %d %s, want an error naming %s", tc.args, code, errs, tc.want)
		}
	}
	if code, out, errs := runCLI(t, "fhir", "client", "add", "--db", dsn, "--ods", "RXF", "--name", "lab-by-address", "--scopes", "system/Observation.read", "--jwks-url", "https://lab.example.nhs.uk/jwks.json"); code != 0 || !strings.Contains(out, "client_id: ") {
		t.Errorf("crs fhir client add --jwks-url: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "fhir", "client", "add", "--db", dsn, "--ods", "RXF", "--name", "lab", "--scopes", "system/Observation.read", "--jwks", jwks); code != 0 || !strings.Contains(out, "client_id: ") {
		t.Fatalf("crs fhir client add: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := runCLI(t, "fhir", "token", "--db", dsn, "--ods", "RXF", "--client", "lab", "--ttl", "10m")
	if code != 0 {
		t.Fatalf("crs fhir token: exit %d\n%s%s", code, out, errs)
	}
	token := strings.TrimSpace(out)
	if code, _, errs := runCLI(t, "fhir", "token", "--db", dsn, "--ods", "RXF", "--client", "nobody"); code == 0 || !strings.Contains(errs, "nobody") {
		t.Errorf("a token for an unknown client: exit %d %s", code, errs)
	}

	r := start(t, "serve", "--db", dsn, "--http", "127.0.0.1:0", "--mllp", "", "--log-level", "warn")
	base := r.waitFor(t, `OpenCRS is running at (http://127\.0\.0\.1:\d+)/\n`, 30*time.Second)[1]
	get := func(path, tok string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := get("/fhir/Observation?_summary=count", token); st != 200 || !strings.Contains(body, `"total":0`) {
		t.Errorf("search with the minted token: %d %s", st, body)
	}
	if st, _ := get("/fhir/Patient?_summary=count", token); st != 403 {
		t.Errorf("search beyond the token's scopes: %d", st)
	}
	if st, _ := get("/fhir/Observation", "not-a-token"); st != 401 {
		t.Errorf("search with a bad token: %d", st)
	}
	if st, body := get("/fhir/metadata", ""); st != 200 || !strings.Contains(body, `"CapabilityStatement"`) {
		t.Errorf("metadata: %d", st)
	}
	// A batch or transaction is posted to the service base itself, with
	// no slash after it: answered there, not redirected.
	req, _ := http.NewRequest("POST", base+"/fhir", strings.NewReader(`{"resourceType":"Bundle","type":"batch"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", fhir.ContentType)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noRedirect.Do(req); err != nil {
		t.Error(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"batch-response"`) {
			t.Errorf("POST /fhir: %d %s, want 200 and a batch-response", resp.StatusCode, b)
		}
	}
	r.stop(t)

	// The search index written again from the resources' bodies (the
	// fhir package's TestReindex has resources to rewrite).
	if code, out, errs := runCLI(t, "fhir", "reindex", "--db", dsn, "--ods", "RXF"); code != 0 || !strings.Contains(out, "reindexed RXF: 0 resources looked at, 0 had") {
		t.Errorf("crs fhir reindex: exit %d\n%s%s", code, out, errs)
	}
	// Without --ods, every trust of the database in turn.
	if code, out, errs := runCLI(t, "trust", "add", "--db", dsn, "--ods", "RXG", "--name", "Greenway Hospitals NHS Trust"); code != 0 {
		t.Fatalf("crs trust add: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "fhir", "reindex", "--db", dsn); code != 0 || !strings.Contains(out, "reindexed RXF: 0 resources") || !strings.Contains(out, "reindexed RXG: 0 resources") {
		t.Errorf("crs fhir reindex of every trust: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runCLI(t, "fhir", "reindex", "--db", dsn, "--ods", "RXF", "--type", "Observation,Observations"); code == 0 || !strings.Contains(errs, "--type Observations") {
		t.Errorf("crs fhir reindex of an unknown type: exit %d %s", code, errs)
	}
}

// TestFHIRPackage: crs fhir package writes the FHIR package of OpenCRS's
// definitions to the file named, a gzipped tar whose index names every
// file in it, and refuses without --out or into a folder that is not
// there, leaving nothing behind.
func TestFHIRPackage(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "opencrs.fhir.tgz")
	for _, tc := range []struct {
		name string
		args []string
		want string // in what it says; "" when it fails
		code int
	}{
		{"no file", []string{"fhir", "package"}, "", 2},
		{"no folder", []string{"fhir", "package", "--out", filepath.Join(dir, "nope", "p.tgz")}, "", 1},
		{"written", []string{"fhir", "package", "--out", out}, "wrote " + out, 0},
		{"again over it", []string{"fhir", "package", "--out", out}, "FHIR package opencrs.fhir", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.want) {
				t.Errorf("exit %d, said %q %q; want exit %d saying %q", code, stdout, stderr, tc.code, tc.want)
			}
		})
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name], _ = io.ReadAll(tr)
	}
	var index struct {
		Files []struct{ Filename string } `json:"files"`
	}
	if err := json.Unmarshal(files["package/.index.json"], &index); err != nil || files["package/package.json"] == nil {
		t.Fatalf("index %v, manifest %s", err, files["package/package.json"])
	}
	for _, e := range index.Files {
		if _, err := fhir.Decode(files["package/"+e.Filename]); err != nil {
			t.Errorf("%s: %v", e.Filename, err)
		}
	}
	if len(index.Files) != len(fhir.Definitions()) || len(files) != len(index.Files)+2 {
		t.Errorf("%d files indexed, %d in the package, %d definitions", len(index.Files), len(files), len(fhir.Definitions()))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tgz.*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestServeReindexesStaleTrust: a trust crs trust add makes is indexed
// under this version's search index from the start; one whose resources
// were last indexed under another is reindexed as crs serve starts,
// which logs it and records this version's.
func TestServeReindexesStaleTrust(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server")
	}
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	if code, out, errs := runCLI(t, "trust", "add", "--db", dsn, "--ods", "RXR", "--name", "Riverside Hospitals NHS Trust"); code != 0 {
		t.Fatalf("crs trust add: exit %d\n%s%s", code, out, errs)
	}
	// fingerprint is the one the trust records; with set, it records that
	// one first.
	fingerprint := func(set string) string {
		t.Helper()
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if set != "" {
			var org string
			if err := db.Reader().QueryRowContext(ctx, `SELECT id FROM organisations WHERE ods_code = 'RXR'`).Scan(&org); err != nil {
				t.Fatal(err)
			}
			if err := db.Write(ctx, crs.SystemActor(org), crs.ActAdministerSettings, func(tx crs.Tx) error { return tx.SetResourceIndexFingerprint(set) }); err != nil {
				t.Fatal(err)
			}
		}
		var fp string
		if err := db.Reader().QueryRowContext(ctx, `SELECT fhir_index_fingerprint FROM organisations WHERE ods_code = 'RXR'`).Scan(&fp); err != nil {
			t.Fatal(err)
		}
		return fp
	}
	if got := fingerprint(""); got != fhir.IndexFingerprint() {
		t.Errorf("a trust just added records %q, want this version's %s", got, fhir.IndexFingerprint())
	}
	fingerprint("an older index")
	r := start(t, "serve", "--db", dsn, "--http", "127.0.0.1:0", "--mllp", "", "--log-level", "info")
	r.waitFor(t, `OpenCRS is running at`, 30*time.Second)
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(r.stderr.String(), `msg="search index brought up to date" ods=RXR`); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("crs serve did not reindex the trust indexed under an older index\nstderr: %s", r.stderr)
		}
	}
	r.stop(t)
	if got := fingerprint(""); got != fhir.IndexFingerprint() {
		t.Errorf("after crs serve the trust records %q, want %s", got, fhir.IndexFingerprint())
	}
}
