package mllp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// DefaultTimeout is how long a Client waits for a reply when none is set.
const DefaultTimeout = 30 * time.Second

// Error is a failed Send: the step that failed ("dial", "write", "read"),
// the address and the cause. After any Error the Client has closed its
// connection, so a late reply can never be taken for the answer to the
// next message; the next Send dials again.
type Error struct {
	Op   string
	Addr string
	Err  error
}

// Error says which step failed, where, and why.
func (e *Error) Error() string { return fmt.Sprintf("mllp %s %s: %v", e.Op, e.Addr, e.Err) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the Send failed because the reply (or the
// connection) took longer than the timeout or the context allowed.
func (e *Error) Timeout() bool {
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout() || errors.Is(e.Err, context.DeadlineExceeded)
}

// Client sends messages to one MLLP server over one connection, one
// message at a time, each waiting for its reply. It is safe for concurrent
// use; concurrent Sends take turns.
type Client struct {
	Addr      string        // host:port of the server
	TLSConfig *tls.Config   // when set, the connection uses TLS (with a client certificate for mutual TLS)
	Timeout   time.Duration // limit for dialling and for each Send; DefaultTimeout if 0
	MaxFrame  int           // largest reply accepted; DefaultMaxFrame if 0

	mu   sync.Mutex
	conn net.Conn
	rd   *Reader
}

// Option sets a Client field for Dial.
type Option func(*Client)

// WithTLS makes the client use TLS with cfg.
func WithTLS(cfg *tls.Config) Option { return func(c *Client) { c.TLSConfig = cfg } }

// WithTimeout sets the Client's Timeout.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.Timeout = d } }

// WithMaxFrame sets the Client's MaxFrame.
func WithMaxFrame(n int) Option { return func(c *Client) { c.MaxFrame = n } }

// Dial returns a Client for addr with its connection already open, so that
// a wrong address or certificate shows at once.
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	c := &Client{Addr: addr}
	for _, o := range opts {
		o(c)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.dial(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// dial opens the connection; c.mu is held.
func (c *Client) dial(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	var nc net.Conn
	var err error
	if c.TLSConfig != nil {
		d := &tls.Dialer{Config: c.TLSConfig}
		nc, err = d.DialContext(ctx, "tcp", c.Addr)
	} else {
		var d net.Dialer
		nc, err = d.DialContext(ctx, "tcp", c.Addr)
	}
	if err != nil {
		return &Error{Op: "dial", Addr: c.Addr, Err: err}
	}
	c.conn, c.rd = nc, NewReader(nc, c.MaxFrame)
	return nil
}

// Send writes msg in one frame and waits for one reply frame, within the
// Timeout and ctx. It dials first if there is no connection. On any
// failure it closes the connection and returns an *Error, except that a
// message holding a framing byte gives ErrInvalidMessage before anything
// is written.
func (c *Client) Send(ctx context.Context, msg []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, &Error{Op: "write", Addr: c.Addr, Err: err}
	}
	if c.conn == nil {
		if err := c.dial(ctx); err != nil {
			return nil, err
		}
	}
	deadline := time.Now().Add(c.timeout())
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	nc := c.conn
	nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	fail := func(op string, err error) ([]byte, error) {
		c.conn.Close()
		c.conn, c.rd = nil, nil
		cerr := ctx.Err()
		if d, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(d) {
			cerr = context.DeadlineExceeded // the socket deadline was ctx's
		}
		if cerr != nil {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		return nil, &Error{Op: op, Addr: c.Addr, Err: err}
	}
	if err := WriteFrame(nc, msg); err != nil {
		if errors.Is(err, ErrInvalidMessage) {
			return nil, err // nothing was written; the connection is fine
		}
		return fail("write", err)
	}
	for {
		reply, err := c.rd.ReadFrame()
		if err == nil {
			return reply, nil
		}
		var g *GarbageError
		if errors.As(err, &g) {
			continue
		}
		return fail("read", err)
	}
}

// Close closes the connection, if open. The Client can still Send, which
// dials again.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn, c.rd = nil, nil
	return err
}
