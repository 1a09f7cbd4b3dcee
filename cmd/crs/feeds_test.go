package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/mllp"
)

// TestHL7Destination configures an outbound feed with `crs hl7
// destination add`, lists it, and checks that `crs serve` then sends it a
// registration made by an inbound message, as HL7 v2.4 to the receiving
// application and facility the command named: over plain TCP, and over
// TLS to a receiver whose certificate --feeds-tls-ca names.
func TestHL7Destination(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server")
	}
	t.Run("plain", func(t *testing.T) { testDestination(t, false) })
	t.Run("tls", func(t *testing.T) { testDestination(t, true) })
}

func testDestination(t *testing.T, useTLS bool) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "x.db")

	// The receiving system: acknowledges every message AA and keeps it.
	got := make(chan *hl7.Message, 8)
	recv := &mllp.Server{Handler: mllp.HandlerFunc(func(ctx context.Context, msg []byte, c mllp.ConnInfo) []byte {
		m, err := hl7.Parse(msg)
		if err != nil {
			t.Errorf("the feed sent an unreadable message: %v", err)
			return nil
		}
		if c.TLS != useTLS {
			t.Errorf("the feed's connection: TLS %v; want %v", c.TLS, useTLS)
		}
		got <- m
		return hl7.NewACK(m, hl7.AA, "ACK"+m.Get("MSH-10"), time.Now()).Bytes()
	})}
	var serveTLS, destTLS []string
	if useTLS {
		cert, _, pair := selfSigned(t, dir, "ris", x509.ExtKeyUsageServerAuth)
		recv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		serveTLS, destTLS = []string{"--feeds-tls-ca", cert}, []string{"--tls"}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go recv.Serve(l)
	defer recv.Close()

	run := func(args ...string) (int, string, string) { return runCLI(t, args...) }
	if code, out, errs := run("trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside Hospitals NHS Trust"); code != 0 {
		t.Fatalf("crs trust add: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := run("hl7", "interface", "add", "--db", dsn, "--ods", "RXX", "--app", "PAS"); code != 0 {
		t.Fatalf("crs hl7 interface add: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := run(append([]string{"hl7", "destination", "add", "--db", dsn, "--ods", "RXX", "--name", "Radiology RIS", "--to", l.Addr().String(),
		"--app", "RIS", "--facility", "RXXRAD", "--triggers", "A28,A31"}, destTLS...)...)
	if code != 0 || !strings.Contains(out, "outbound feed Radiology RIS added") {
		t.Fatalf("crs hl7 destination add: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if _, out, _ := run("hl7", "destination", "list", "--db", dsn, "--ods", "RXX"); !strings.Contains(out, "Radiology RIS") || !strings.Contains(out, "RIS^RXXRAD") || !strings.Contains(out, "A28 A31") {
		t.Errorf("crs hl7 destination list printed %q; want the feed with its receiver and triggers", out)
	}
	for _, bad := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--name", "X", "--to", "nohostport", "--app", "X"}, 1, "--to"},
		{[]string{"--name", "Radiology RIS", "--to", "127.0.0.1:9", "--app", "X"}, 1, "already exists"},
		{[]string{"--name", "Y", "--to", "127.0.0.1:9", "--app", "X", "--suppress-interface", "NOSUCH"}, 1, "no inbound interface called"},
		{[]string{"--name", "Z"}, 2, "--to"},
	} {
		args := append([]string{"hl7", "destination", "add", "--db", dsn, "--ods", "RXX"}, bad.args...)
		if code, out, errs := run(args...); code != bad.code || !strings.Contains(out+errs, bad.want) {
			t.Errorf("crs %s: exit %d, %q; want %d and %q", strings.Join(args, " "), code, out+errs, bad.code, bad.want)
		}
	}

	r := start(t, append([]string{"serve", "--db", dsn, "--http", "127.0.0.1:0", "--mllp", "127.0.0.1:0", "--log-level", "warn"}, serveTLS...)...)
	r.waitFor(t, `OpenCRS is running at (http://127\.0\.0\.1:\d+)/\n`, 30*time.Second)
	addr := r.waitFor(t, `HL7 v2 over MLLP on (127\.0\.0\.1:\d+)\n`, 5*time.Second)[1]
	file := filepath.Join(dir, "a28.hl7")
	a28 := "MSH|^~\\&|PAS|RXX|OPENCRS|RXX|20260302090000||ADT^A28^ADT_A05|F1|P|2.4\rEVN|A28|20260302090000\rPID|1||9990000018^^^NHS^NH||FEED^FRAN||19800101|F\r"
	if err := os.WriteFile(file, []byte(a28), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run("hl7", "send", file, "--to", addr); code != 0 {
		t.Fatalf("crs hl7 send: exit %d\n%s%s", code, out, errs)
	}
	select {
	case m := <-got:
		if m.Get("MSH-9.2") != "A28" || m.Get("MSH-5") != "RIS" || m.Get("MSH-6") != "RXXRAD" || m.Get("PID-5.1") != "FEED" {
			t.Errorf("the feed sent %s^%s to %s^%s for %s; want A28 to RIS^RXXRAD for FEED", m.Get("MSH-9.1"), m.Get("MSH-9.2"), m.Get("MSH-5"), m.Get("MSH-6"), m.Get("PID-5.1"))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the feed sent nothing within 20 s of the registration")
	}
	r.stop(t)
}
