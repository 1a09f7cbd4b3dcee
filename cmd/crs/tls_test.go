package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/mllp"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key
// as PEM files in dir, and returns their paths and the key pair.
func selfSigned(t *testing.T, dir, name string, usage x509.ExtKeyUsage) (certFile, keyFile string, pair tls.Certificate) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
}

// TestServeMLLPTLS starts `crs serve` with MLLP over mutual TLS: a sender
// with the certificate the client CA names is answered over TLS; one with
// no certificate is refused before any message is read.
func TestServeMLLPTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server")
	}
	dir := t.TempDir()
	srvCert, srvKey, srvPair := selfSigned(t, dir, "mllp-server", x509.ExtKeyUsageServerAuth)
	cliCert, cliKey, cliPair := selfSigned(t, dir, "pas-sender", x509.ExtKeyUsageClientAuth)
	dsn := "sqlite:" + filepath.Join(dir, "x.db")
	if code, out, errs := runCLI(t, "trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside Hospitals NHS Trust"); code != 0 {
		t.Fatalf("crs trust add: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "hl7", "interface", "add", "--db", dsn, "--ods", "RXX", "--app", "PAS"); code != 0 {
		t.Fatalf("crs hl7 interface add: exit %d\n%s%s", code, out, errs)
	}
	r := start(t, "serve", "--db", dsn, "--http", "127.0.0.1:0", "--mllp", "127.0.0.1:0", "--log-level", "warn",
		"--mllp-tls-cert", srvCert, "--mllp-tls-key", srvKey, "--mllp-client-ca", cliCert)
	r.waitFor(t, `OpenCRS is running at (http://127\.0\.0\.1:\d+)/\n`, 30*time.Second)
	addr := r.waitFor(t, `HL7 v2 over MLLP on (127\.0\.0\.1:\d+)\n`, 5*time.Second)[1]
	leaf, err := x509.ParseCertificate(srvPair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	msg := []byte("MSH|^~\\&|LAB|ZZZ|OPENCRS|RXX|20260302090000||ADT^A28^ADT_A05|T1|P|2.4\rEVN|A28\rPID|1||X1^^^RXX^MR||DOE^JO\r")

	c := &mllp.Client{Addr: addr, Timeout: 10 * time.Second, TLSConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cliPair}}}
	reply, err := c.Send(context.Background(), msg)
	c.Close()
	if err != nil {
		t.Fatalf("send over mutual TLS: %v", err)
	}
	if ack, err := hl7.ParseACK(reply); err != nil || ack.ControlID != "T1" || ack.Code != hl7.AR {
		t.Errorf("ACK %q (%v); want AR for T1 (no interface is set up for LAB)", reply, err)
	}

	// crs hl7 send speaks TLS too: with the client certificate the
	// registration is accepted; without it the listener refuses.
	file := filepath.Join(dir, "a28.hl7")
	a28 := "MSH|^~\\&|PAS|RXX|OPENCRS|RXX|20260302090000||ADT^A28^ADT_A05|T2|P|2.4\rEVN|A28|20260302090000\rPID|1||9990000018^^^NHS^NH||TLS^TESS||19800101|F\r"
	if err := os.WriteFile(file, []byte(a28), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "hl7", "send", file, "--to", addr, "--tls-ca", srvCert, "--tls-cert", cliCert, "--tls-key", cliKey); code != 0 {
		t.Errorf("crs hl7 send over mutual TLS: exit %d; want 0 (accepted)\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if code, _, _ := runCLI(t, "hl7", "send", file, "--to", addr, "--tls-ca", srvCert); code == 0 {
		t.Errorf("crs hl7 send without a client certificate: exit 0; want the listener to refuse it")
	}

	anon := &mllp.Client{Addr: addr, Timeout: 10 * time.Second, TLSConfig: &tls.Config{RootCAs: roots}}
	if reply, err := anon.Send(context.Background(), msg); err == nil {
		t.Errorf("a sender without a client certificate was answered %q; want the connection refused", reply)
	}
	anon.Close()
	r.stop(t)
}
