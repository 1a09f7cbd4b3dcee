package interfaces

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/mllp"
)

// sender delivers one destination's queue: one message in flight, in
// order. AA: done. AE: retried with backoff, then suspended after the
// destination's MaxAttempts. AR: suspended and alerted. No answer within
// the ACK timeout, a dropped connection, an unreadable ACK or one whose
// MSA-2 is not the message's MSH-10: the connection is closed (so a late
// ACK can never be taken for the next message's) and the same message is
// sent again. A suspended head blocks the queue until an analyst resends
// or skips it; order is never changed.
type sender struct {
	e    *Engine
	dest *crs.Destination
	wake chan struct{}

	mu        sync.Mutex
	client    *mllp.Client
	connected bool
	lastErr   string
	lastSent  time.Time
	suspended bool
	alert     string
	fails     int // tries in a row without an answer, for the backoff
}

func (e *Engine) startSender(d *crs.Destination) {
	e.mu.Lock()
	if _, ok := e.senders[d.ID]; ok || e.ctx == nil {
		e.mu.Unlock()
		return
	}
	s := &sender{e: e, dest: d, wake: make(chan struct{}, 1)}
	e.senders[d.ID] = s
	ctx := e.ctx
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		s.run(ctx)
	}()
}

// poke wakes the sender without blocking.
func (s *sender) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *sender) run(ctx context.Context) {
	defer s.closeConn()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		wait := s.step(ctx)
		if ctx.Err() != nil {
			return
		}
		if wait == 0 {
			continue
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-s.wake:
		case <-tick.C:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// step sends the head of the queue once, if it is due, and says how long
// to wait before the next step (0 for at once).
func (s *sender) step(ctx context.Context) time.Duration {
	e, d := s.e, s.dest
	head, err := e.DB.QueueHead(ctx, d.ID)
	if err != nil {
		if crs.ErrorCode(err) != crs.ENOTFOUND && ctx.Err() == nil {
			e.Logger.Error("read outbound queue", "destination", d.ID, "err", err)
		}
		s.set(func() { s.suspended, s.alert = false, "" })
		return time.Minute
	}
	if head.Status == crs.MessageSuspended {
		s.set(func() {
			s.suspended = true
			s.alert = fmt.Sprintf("queue stopped: message %s (%s) is suspended: %s", head.ControlID, head.Type, head.LastError)
		})
		return time.Minute
	}
	s.set(func() { s.suspended, s.alert = false, "" })
	if wait := time.Until(head.NextAttemptAt); wait > 0 {
		return wait
	}
	start := time.Now()
	out := s.send(ctx, head)
	if ctx.Err() != nil {
		return 0 // shutting down: the message stays at the head, to be sent again
	}
	e.Metrics.outbound(e.feedKey(ctx, d), head.Type, out.ACKCode, out.Status, time.Since(start))
	if err := e.DB.RecordSendOutcome(context.WithoutCancel(ctx), head.ID, out); err != nil {
		e.Logger.Error("record send outcome", "destination", d.ID, "message", head.ID, "err", err)
		return time.Second
	}
	if out.Status == crs.MessageSent && head.Type == "ORM^O01" {
		e.orderAccepted(context.WithoutCancel(ctx), d, head)
	}
	if out.Status == crs.MessageSuspended {
		e.Logger.Warn("outbound queue suspended", "destination", d.ID, "message", head.ID, "control_id", head.ControlID, "reason", out.LastError)
	}
	return 0
}

func (s *sender) set(f func()) {
	s.mu.Lock()
	f()
	s.mu.Unlock()
}

func (s *sender) closeConn() {
	s.mu.Lock()
	c := s.client
	s.client, s.connected = nil, false
	s.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// send tries the message once and says what became of it.
func (s *sender) send(ctx context.Context, m *crs.Message) crs.SendOutcome {
	e, d := s.e, s.dest
	s.mu.Lock()
	if s.client == nil {
		s.client = &mllp.Client{Addr: d.Addr, Timeout: d.ACKTimeout, MaxFrame: maxACK}
		if d.TLS {
			s.client.TLSConfig = e.FeedTLSConfig
			if s.client.TLSConfig == nil {
				s.client.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12} // the system's trusted CAs
			}
		}
	}
	c := s.client
	s.mu.Unlock()
	retry := func(reason string) crs.SendOutcome {
		// No usable answer: drop the connection so a late ACK cannot be
		// matched to the next message, and send the same message again.
		s.closeConn()
		var n int
		s.set(func() { s.lastErr = reason; s.fails++; n = s.fails })
		e.Logger.Warn("outbound message not acknowledged", "destination", d.ID, "control_id", m.ControlID, "reason", reason)
		return crs.SendOutcome{Status: crs.MessageQueued, ACKCode: m.ACKCode, ACK: m.ACK, LastError: reason, Errors: m.Errors,
			NextAttemptAt: time.Now().Add(e.backoff(min(n, 8))), Unanswered: true}
	}
	reply, err := c.Send(ctx, []byte(m.Raw))
	if err != nil {
		return retry(err.Error())
	}
	s.set(func() { s.connected, s.fails = true, 0 })
	ack, err := hl7.ParseACK(reply)
	if err != nil {
		return retry("unreadable acknowledgement: " + tidy(err.Error()))
	}
	if ack.ControlID != m.ControlID {
		return retry(fmt.Sprintf("acknowledgement rejected: MSA-2 %q does not match MSH-10 %q", tidy(ack.ControlID), m.ControlID))
	}
	errs := make([]crs.MessageError, 0, len(ack.Errors))
	text := ack.Text
	for _, ae := range ack.Errors {
		errs = append(errs, crs.MessageError{Segment: ae.Segment, Sequence: ae.Sequence, Field: ae.Field, Code: ae.Code, Severity: ae.Severity, Text: ae.Text})
		if text == "" {
			text = ae.Text
		}
	}
	out := crs.SendOutcome{ACKCode: ack.Code, ACK: string(reply), Errors: errs}
	switch ack.Code {
	case hl7.AA, hl7.CA:
		out.Status = crs.MessageSent
		s.set(func() { s.lastSent, s.lastErr = time.Now(), "" })
	case hl7.AE, hl7.CE:
		out.LastError = tidy(ack.Code + ": " + text)
		if m.Attempts+1 >= d.MaxAttempts {
			out.Status = crs.MessageSuspended
			out.LastError = tidy(fmt.Sprintf("%s (suspended after %s)", out.LastError, crs.Count(m.Attempts+1, "try", "tries")))
		} else {
			out.Status = crs.MessageQueued
			out.NextAttemptAt = time.Now().Add(e.backoff(m.Attempts + 1))
		}
		s.set(func() { s.lastErr = out.LastError })
	default: // AR, CR and anything else: the destination refuses it
		out.Status = crs.MessageSuspended
		out.LastError = tidy(ack.Code + ": " + text)
		s.set(func() { s.lastErr = out.LastError })
	}
	return out
}

// status reports the sender's connection state and last error.
func (s *sender) status() (connected bool, lastErr string, lastSent time.Time, suspended bool, alert string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connected && s.client != nil, s.lastErr, s.lastSent, s.suspended, s.alert
}

// maxACK is the largest acknowledgement a sender reads; a larger reply
// is treated as no answer.
const maxACK = 1 << 20
