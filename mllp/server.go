package mllp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// ConnInfo describes the connection a message arrived on.
type ConnInfo struct {
	RemoteAddr net.Addr // the sender's address
	LocalAddr  net.Addr // the address the message arrived at
	TLS        bool     // whether the connection is TLS
	// ClientSubject is the distinguished name of the client certificate
	// when the server verified one (mutual TLS), and "" otherwise.
	ClientSubject string
}

// Handler answers a message. ServeMLLP is called with the content of one
// frame and returns the reply to send back in a frame, or nil to send
// none. Messages on one connection are handed over one at a time, in the
// order they arrived; different connections are served concurrently. ctx
// is cancelled when the server is closed.
type Handler interface {
	ServeMLLP(ctx context.Context, msg []byte, c ConnInfo) []byte
}

// HandlerFunc lets an ordinary function be a Handler.
type HandlerFunc func(ctx context.Context, msg []byte, c ConnInfo) []byte

// ServeMLLP calls f.
func (f HandlerFunc) ServeMLLP(ctx context.Context, msg []byte, c ConnInfo) []byte {
	return f(ctx, msg, c)
}

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown
// or Close.
var ErrServerClosed = errors.New("mllp: server closed")

// Server accepts MLLP connections and answers each message with its
// Handler. The zero value is not usable; set Handler. A frame over
// MaxFrame is skipped without an answer and the connection stays open, so
// the sender times out on that message and can go on with the next.
type Server struct {
	Handler      Handler
	MaxFrame     int           // largest frame accepted; DefaultMaxFrame if 0
	ReadTimeout  time.Duration // how long a connection may stay idle or take to send a frame; no limit if 0
	WriteTimeout time.Duration // how long writing a reply may take; no limit if 0
	// TLSConfig, when set, makes the server speak TLS. Set its ClientAuth
	// (tls.RequireAndVerifyClientCert) and ClientCAs for mutual TLS.
	TLSConfig *tls.Config
	Logger    *slog.Logger // nil logs nothing

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closing   bool
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	addr      net.Addr
}

// conn states.
const (
	stateIdle   = iota // waiting for a frame
	stateActive        // handling a message or writing its reply
	stateClosed        // closed by the server
)

type conn struct {
	nc    net.Conn
	mu    sync.Mutex
	state int
}

func (s *Server) init() {
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
		s.conns = map[*conn]struct{}{}
		s.ctx, s.cancel = context.WithCancel(context.Background())
	}
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// ListenAndServe listens on the TCP address addr and calls Serve.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Addr returns the address of the listener Serve was last given, or nil.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Serve accepts connections on l and serves each in its own goroutine
// until Shutdown or Close, when it returns ErrServerClosed. It closes l.
func (s *Server) Serve(l net.Listener) error {
	if s.Handler == nil {
		return errors.New("mllp: Server has no Handler")
	}
	s.mu.Lock()
	s.init()
	if s.closing {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.addr = l.Addr()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()
	ln := l
	if s.TLSConfig != nil {
		ln = tls.NewListener(l, s.TLSConfig)
	}
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logger().Warn("mllp accept failed; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := &conn{nc: nc}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

// serveConn reads frames from one connection and answers them in order.
func (s *Server) serveConn(c *conn) {
	log := s.logger().With("remote", c.nc.RemoteAddr().String())
	defer func() {
		if p := recover(); p != nil {
			log.Error("mllp handler panicked; connection closed", "panic", fmt.Sprint(p))
		}
		c.nc.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.wg.Done()
	}()
	info := ConnInfo{RemoteAddr: c.nc.RemoteAddr(), LocalAddr: c.nc.LocalAddr()}
	if tc, ok := c.nc.(*tls.Conn); ok {
		info.TLS = true
		timeout := s.ReadTimeout
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		ctx, cancel := context.WithTimeout(s.ctx, timeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			log.Warn("mllp TLS handshake failed", "err", err)
			return
		}
		if st := tc.ConnectionState(); len(st.VerifiedChains) > 0 && len(st.VerifiedChains[0]) > 0 {
			info.ClientSubject = st.VerifiedChains[0][0].Subject.String()
		}
	}
	log.Debug("mllp connection opened", "client", info.ClientSubject)
	rd := NewReader(c.nc, s.MaxFrame)
	for {
		if s.ReadTimeout > 0 {
			c.nc.SetReadDeadline(time.Now().Add(s.ReadTimeout))
		}
		msg, err := rd.ReadFrame()
		if err != nil {
			if IsRecoverable(err) {
				log.Warn("mllp input skipped", "err", err)
				continue
			}
			if !c.setState(stateIdle, stateClosed) {
				return // closed by Shutdown or Close
			}
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				log.Info("mllp connection idle too long; closed", "timeout", s.ReadTimeout)
			case errors.Is(err, net.ErrClosed), errors.Is(err, io.EOF):
				log.Debug("mllp connection closed by peer")
			default:
				log.Warn("mllp connection failed", "err", err)
			}
			return
		}
		if !c.setState(stateIdle, stateActive) {
			return // Shutdown closed the connection as the frame came in; not acknowledged, so the sender resends
		}
		reply := s.Handler.ServeMLLP(s.ctx, msg, info)
		if reply != nil {
			if s.WriteTimeout > 0 {
				c.nc.SetWriteDeadline(time.Now().Add(s.WriteTimeout))
			}
			if err := WriteFrame(c.nc, reply); err != nil {
				log.Warn("mllp reply not sent", "err", err)
				return
			}
		}
		s.mu.Lock()
		closing := s.closing
		s.mu.Unlock()
		if closing || !c.setState(stateActive, stateIdle) {
			return
		}
	}
}

// setState moves c from one state to another and reports whether it was
// in the from state.
func (c *conn) setState(from, to int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != from {
		return false
	}
	c.state = to
	return true
}

// Shutdown stops the server gracefully: it stops accepting connections,
// closes connections waiting for a message, waits for messages being
// handled to be answered, and closes their connections. If ctx ends first
// it returns ctx.Err() and leaves the remaining connections to finish (call
// Close to cut them).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.init()
	s.closing = true
	for l := range s.listeners {
		l.Close()
	}
	s.mu.Unlock()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		n := len(s.conns)
		for c := range s.conns {
			if c.setState(stateIdle, stateClosed) {
				c.nc.Close()
			}
		}
		s.mu.Unlock()
		if n == 0 {
			s.cancel()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Close stops the server at once: it closes the listeners and every
// connection, cancels the handlers' context and waits for the connection
// goroutines to end. Messages being handled are not answered.
func (s *Server) Close() error {
	s.mu.Lock()
	s.init()
	s.closing = true
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.mu.Lock()
		c.state = stateClosed
		c.mu.Unlock()
		c.nc.Close()
	}
	s.cancel()
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}
