package fhir_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// blackboxInstall installs the black-box suite's npm packages once.
var blackboxInstall struct {
	sync.Once
	skip string
}

// blackboxNode answers the node command once the black-box suite's npm
// packages are installed (once for the run); it skips the test, saying
// why, when node or npm is missing or the registry cannot be reached.
func blackboxNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (Debian package nodejs)")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not installed (Debian package npm)")
	}
	blackboxInstall.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "install", "--no-package-lock", "--no-audit", "--no-fund")
		cmd.Dir = "blackbox"
		if out, err := cmd.CombinedOutput(); err != nil {
			blackboxInstall.skip = "npm install failed (is the registry reachable?): " + err.Error() + "\n" + string(out)
		}
	})
	if blackboxInstall.skip != "" {
		t.Skip(blackboxInstall.skip)
	}
	return node
}

// TestBlackBox runs the Node.js suite in blackbox/ (fhir-kit-client for
// the interactions, @medplum/core validating every response) against
// the real server listening on loopback, with a token minted for a
// registered system, OpenCRS's own definitions among what it reads (each
// extension's StructureDefinition loaded by @medplum/core as a profile,
// and an extension the server serves validated against it). It skips,
// saying why, when node or npm is missing
// or the npm registry cannot be reached.
func TestBlackBox(t *testing.T) {
	if testing.Short() {
		t.Skip("the black-box suite installs npm packages; not with -short")
	}
	node := blackboxNode(t)
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		clock.Set(time.Now().UTC())
		tr := storetest.NewTrust(t, db, "RBX")
		key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		c := register(t, db, tr, "blackbox", "system/*.*", ecJWKS(key))
		smart := &fhir.SMART{Store: db, Clients: store.NewAPIClientService(db)}
		token, _, err := smart.MintToken(t.Context(), c, "system/*.*", "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s := &fhir.Server{Store: db, Resources: store.NewResourceService(db), Auth: smart, Exports: store.NewExportService(db), Audit: store.NewAuditService(db)}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: s.Handler()}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close(); s.Close() })

		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "suite.js")
		cmd.Dir = "blackbox"
		var defs strings.Builder
		for _, d := range fhir.Definitions() {
			u, _ := d["url"].(string)
			if d.Type() == "NamingSystem" {
				u = d["uniqueId"].([]any)[0].(map[string]any)["value"].(string)
			}
			fmt.Fprintf(&defs, "%s/%s %s\n", d.Type(), d.ID(), u)
		}
		cmd.Env = append(os.Environ(), "FHIR_BASE=http://"+ln.Addr().String()+"/fhir", "FHIR_TOKEN="+token, "FHIR_DEFINITIONS="+defs.String())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("black-box suite: %v\n%s", err, out)
		}
		t.Logf("black-box suite: %s", out)
	})
}
