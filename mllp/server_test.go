package mllp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// echo answers each message with "ACK:" and the message.
var echo = HandlerFunc(func(ctx context.Context, msg []byte, c ConnInfo) []byte {
	return append([]byte("ACK:"), msg...)
})

// start runs s on a loopback port and stops it when the test ends.
func start(t *testing.T, s *Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return l.Addr().String()
}

func send(t *testing.T, c *Client, msg string) string {
	t.Helper()
	reply, err := c.Send(context.Background(), []byte(msg))
	if err != nil {
		t.Fatalf("Send(%q): %v", msg, err)
	}
	return string(reply)
}

func TestRoundTrip(t *testing.T) {
	addr := start(t, &Server{Handler: echo})
	c, err := Dial(context.Background(), addr, WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 20; i++ {
		msg := fmt.Sprintf("MSH|^~\\&|A|B|||||ADT^A01|%d|P|2.4\r", i)
		if got, want := send(t, c, msg), "ACK:"+msg; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	// Close and Send again: the client re-dials.
	c.Close()
	if got := send(t, c, "again"); got != "ACK:again" {
		t.Errorf("after Close: got %q", got)
	}
	if _, err := c.Send(context.Background(), []byte("bad\x1c")); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("Send with framing byte: got %v, want ErrInvalidMessage", err)
	}
}

func TestNoReply(t *testing.T) {
	var got atomic.Int32
	addr := start(t, &Server{Handler: HandlerFunc(func(ctx context.Context, msg []byte, c ConnInfo) []byte {
		got.Add(1)
		if string(msg) == "quiet" {
			return nil
		}
		return msg
	})})
	nc := dialRaw(t, addr)
	nc.Write([]byte("\x0bquiet\x1c\r\x0bloud\x1c\r"))
	if reply := readReply(t, nc); reply != "loud" {
		t.Errorf("got %q, want loud", reply)
	}
	if got.Load() != 2 {
		t.Errorf("handler called %d times, want 2", got.Load())
	}
}

func TestConcurrentConnections(t *testing.T) {
	var inFlight, most atomic.Int32
	addr := start(t, &Server{Handler: HandlerFunc(func(ctx context.Context, msg []byte, c ConnInfo) []byte {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		return msg
	})})
	const conns, msgs = 20, 25
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &Client{Addr: addr, Timeout: 10 * time.Second}
			defer c.Close()
			for j := 0; j < msgs; j++ {
				msg := fmt.Sprintf("conn %d msg %d", i, j)
				reply, err := c.Send(context.Background(), []byte(msg))
				if err != nil || string(reply) != msg {
					errs <- fmt.Errorf("conn %d: got %q, %v; want %q", i, reply, err, msg)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if most.Load() < 2 {
		t.Errorf("at most %d messages in flight at once; connections are not served concurrently", most.Load())
	}
}

func TestInOrderOnOneConnection(t *testing.T) {
	var busy atomic.Bool
	addr := start(t, &Server{Handler: HandlerFunc(func(ctx context.Context, msg []byte, c ConnInfo) []byte {
		if !busy.CompareAndSwap(false, true) {
			return []byte("OVERLAP")
		}
		defer busy.Store(false)
		time.Sleep(2 * time.Millisecond)
		return msg
	})})
	nc := dialRaw(t, addr)
	var all bytes.Buffer
	for i := 0; i < 10; i++ {
		WriteFrame(&all, []byte(fmt.Sprint(i)))
	}
	nc.Write(all.Bytes()) // ten frames in one write
	for i := 0; i < 10; i++ {
		if got, want := readReply(t, nc), fmt.Sprint(i); got != want {
			t.Fatalf("reply %d: got %q, want %q", i, got, want)
		}
	}
}

func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	return nc
}

func readReply(t *testing.T, nc net.Conn) string {
	t.Helper()
	f, err := NewReader(nc, 0).ReadFrame()
	if err != nil {
		t.Fatalf("reading reply: %v", err)
	}
	return string(f)
}

func TestSplitAcrossReads(t *testing.T) {
	addr := start(t, &Server{Handler: echo})
	nc := dialRaw(t, addr)
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	for _, b := range []byte("\x0bMSH|split\x1c\r") {
		if _, err := nc.Write([]byte{b}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	if got, want := readReply(t, nc), "ACK:MSH|split"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestGarbageAndOversize(t *testing.T) {
	addr := start(t, &Server{Handler: echo, MaxFrame: 10})
	nc := dialRaw(t, addr)
	r := NewReader(nc, 0)
	// Garbage, an oversize frame (no answer), then a good frame on the same connection.
	nc.Write([]byte("noise\r\n\x0bTHIS FRAME IS TOO LONG\x1c\rmore noise\x0bok\x1c\r"))
	f, err := r.ReadFrame()
	if err != nil || string(f) != "ACK:ok" {
		t.Fatalf("got %q, %v; want ACK:ok", f, err)
	}
}

func TestDroppedMidFrame(t *testing.T) {
	var calls atomic.Int32
	addr := start(t, &Server{Handler: HandlerFunc(func(ctx context.Context, msg []byte, c ConnInfo) []byte {
		calls.Add(1)
		return msg
	})})
	nc := dialRaw(t, addr)
	nc.Write([]byte("\x0bMSH|half a mess"))
	nc.Close()
	// The server is still fine for others and never saw the half frame.
	c := &Client{Addr: addr, Timeout: 5 * time.Second}
	defer c.Close()
	if got := send(t, c, "whole"); got != "whole" {
		t.Errorf("got %q", got)
	}
	if calls.Load() != 1 {
		t.Errorf("handler called %d times, want 1", calls.Load())
	}
}

func TestReadTimeout(t *testing.T) {
	addr := start(t, &Server{Handler: echo, ReadTimeout: 100 * time.Millisecond})
	nc := dialRaw(t, addr)
	// An idle client is disconnected.
	began := time.Now()
	_, err := nc.Read(make([]byte, 1))
	if err != io.EOF {
		t.Fatalf("read on idle connection: got %v, want EOF (server closed it)", err)
	}
	if d := time.Since(began); d < 90*time.Millisecond {
		t.Errorf("closed after %v, before the read timeout", d)
	}
}

func TestClientTimeoutClosesConnection(t *testing.T) {
	release, release2 := make(chan struct{}), make(chan struct{})
	defer close(release2)
	addr := start(t, &Server{Handler: HandlerFunc(func(ctx context.Context, msg []byte, c ConnInfo) []byte {
		switch string(msg) {
		case "slow":
			<-release // answer only after the client gave up
		case "slow2":
			<-release2
		}
		return append([]byte("reply to "), msg...)
	})})
	c := &Client{Addr: addr, Timeout: 100 * time.Millisecond}
	defer c.Close()
	_, err := c.Send(context.Background(), []byte("slow"))
	var me *Error
	if !errors.As(err, &me) || !me.Timeout() || me.Op != "read" {
		t.Fatalf("Send(slow) = %v, want a read timeout *Error", err)
	}
	close(release) // the late reply goes to the closed connection
	time.Sleep(20 * time.Millisecond)
	if got := send(t, c, "next"); got != "reply to next" {
		t.Fatalf("Send(next) = %q, want the reply to next, not the late reply", got)
	}
	// Context cancellation also ends the wait and closes the connection.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	c.Timeout = 10 * time.Second
	_, err = c.Send(ctx, []byte("slow2"))
	if !errors.As(err, &me) || !me.Timeout() || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send with expiring ctx = %v, want a timeout wrapping DeadlineExceeded", err)
	}
}

func TestClientDialError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = Dial(context.Background(), addr, WithTimeout(time.Second))
	var me *Error
	if !errors.As(err, &me) || me.Op != "dial" {
		t.Fatalf("Dial to closed port = %v, want a dial *Error", err)
	}
}

func TestServerClosesConnectionMidReply(t *testing.T) {
	// The server drops the connection instead of answering; the client reports it
	// and re-dials next time.
	var n atomic.Int32
	addr := start(t, &Server{Handler: HandlerFunc(func(ctx context.Context, msg []byte, c ConnInfo) []byte {
		if n.Add(1) == 1 {
			panic("handler bug")
		}
		return msg
	})})
	c := &Client{Addr: addr, Timeout: 5 * time.Second}
	defer c.Close()
	_, err := c.Send(context.Background(), []byte("first"))
	var me *Error
	if !errors.As(err, &me) || me.Op != "read" {
		t.Fatalf("got %v, want a read *Error", err)
	}
	if got := send(t, c, "second"); got != "second" {
		t.Errorf("got %q", got)
	}
}

func TestShutdownWaitsForInFlight(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	s := &Server{Handler: HandlerFunc(func(ctx context.Context, msg []byte, c ConnInfo) []byte {
		if string(msg) == "slow" {
			close(entered)
			<-release
		}
		return append([]byte("done "), msg...)
	})}
	addr := start(t, s)
	idle := dialRaw(t, addr)
	c := &Client{Addr: addr, Timeout: 10 * time.Second}
	defer c.Close()
	replies := make(chan string, 1)
	go func() {
		r, err := c.Send(context.Background(), []byte("slow"))
		if err != nil {
			replies <- err.Error()
			return
		}
		replies <- string(r)
	}()
	<-entered
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	// The idle connection is closed at once.
	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("idle connection: got %v, want EOF", err)
	}
	// New connections are refused.
	time.Sleep(20 * time.Millisecond)
	if nc, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		nc.Close()
		t.Errorf("dial after Shutdown succeeded")
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v before the in-flight message was answered", err)
	default:
	}
	close(release)
	if got := <-replies; got != "done slow" {
		t.Errorf("in-flight reply: got %q, want %q", got, "done slow")
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

func TestShutdownContextExpires(t *testing.T) {
	entered := make(chan struct{})
	s := &Server{Handler: HandlerFunc(func(ctx context.Context, msg []byte, c ConnInfo) []byte {
		close(entered)
		<-ctx.Done() // until Close
		return nil
	})}
	addr := start(t, s)
	nc := dialRaw(t, addr)
	WriteFrame(nc, []byte("stuck"))
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want DeadlineExceeded", err)
	}
}

// testPKI is a CA with a server and a client certificate, made for one test.
type testPKI struct {
	pool           *x509.CertPool
	server, client tls.Certificate
}

func newPKI(t *testing.T) *testPKI {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := key()
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "OpenCRS Test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage) tls.Certificate {
		k := key()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn, Organization: []string{"Test Trust"}},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
	}
	p := &testPKI{pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.server = issue(2, "mllp.test", x509.ExtKeyUsageServerAuth)
	p.client = issue(3, "pas-interface", x509.ExtKeyUsageClientAuth)
	return p
}

func TestTLS(t *testing.T) {
	p := newPKI(t)
	subjects := make(chan string, 1)
	s := &Server{
		Handler: HandlerFunc(func(ctx context.Context, msg []byte, c ConnInfo) []byte {
			subjects <- fmt.Sprintf("%v %s", c.TLS, c.ClientSubject)
			return msg
		}),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{p.server}, MinVersion: tls.VersionTLS12},
	}
	addr := start(t, s)
	c := &Client{Addr: addr, Timeout: 5 * time.Second, TLSConfig: &tls.Config{RootCAs: p.pool}}
	defer c.Close()
	if got := send(t, c, "over tls"); got != "over tls" {
		t.Errorf("got %q", got)
	}
	if got := <-subjects; got != "true " {
		t.Errorf("ConnInfo: got %q, want TLS with no client subject", got)
	}
	// A client that does not trust the server's CA fails to dial.
	bad := &Client{Addr: addr, Timeout: 5 * time.Second, TLSConfig: &tls.Config{}}
	if _, err := bad.Send(context.Background(), []byte("x")); err == nil {
		t.Errorf("Send with an untrusted server certificate succeeded")
	}
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	subjects := make(chan string, 1)
	s := &Server{
		Handler: HandlerFunc(func(ctx context.Context, msg []byte, c ConnInfo) []byte {
			subjects <- c.ClientSubject
			return msg
		}),
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{p.server},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    p.pool,
		},
	}
	addr := start(t, s)
	c := &Client{Addr: addr, Timeout: 5 * time.Second, TLSConfig: &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{p.client}}}
	defer c.Close()
	if got := send(t, c, "mutual"); got != "mutual" {
		t.Errorf("got %q", got)
	}
	if got, want := <-subjects, "CN=pas-interface,O=Test Trust"; got != want {
		t.Errorf("ClientSubject = %q, want %q", got, want)
	}
	// Without a client certificate the server refuses the connection.
	anon := &Client{Addr: addr, Timeout: 5 * time.Second, TLSConfig: &tls.Config{RootCAs: p.pool}}
	defer anon.Close()
	if _, err := anon.Send(context.Background(), []byte("x")); err == nil {
		t.Errorf("Send without a client certificate succeeded")
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	s := &Server{Handler: echo}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(l)
	defer s.Close()
	c := &Client{Addr: l.Addr().String()}
	defer c.Close()
	msg := bytes.Repeat([]byte("PID|1||9990000018^^^NHS^NH||TESTPATIENT^Alice\r"), 20)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Send(context.Background(), msg); err != nil {
			b.Fatal(err)
		}
	}
}
