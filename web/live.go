package web

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
)

// Topics of the live boards: a board listens to one and refetches itself
// when told that something it shows has changed.
const (
	topicBeds = "beds" // the bed board: admissions, transfers, leave, discharges
	topicED   = "ed"   // the A&E tracking board
	topicPTL  = "ptl"  // the patient tracking list and worklists
)

// topicsOf says which boards an event changes.
func topicsOf(eventType string) []string {
	kind, _, _ := strings.Cut(eventType, ".")
	switch kind {
	case "spell":
		// An admission from A&E also takes the patient off the A&E board,
		// and an elective admission stops an RTT clock.
		return []string{topicBeds, topicED, topicPTL}
	case "ed":
		return []string{topicED}
	case "referral", "pathway", "appointment", "waitlist":
		return []string{topicPTL}
	case "patient":
		// A name changed or two records merged: every board shows names.
		return []string{topicBeds, topicED, topicPTL}
	}
	return nil
}

// broker fans out news of committed changes to the live boards open in
// browsers, per trust: a board hears only of its own trust's changes, and
// only which board to refresh, never what changed or to whom.
type broker struct {
	mu     sync.Mutex
	subs   map[string]map[*subscriber]struct{} // organisation ID → boards open
	closed chan struct{}                       // closed by CloseLive
}

func (b *broker) done() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed == nil {
		b.closed = make(chan struct{})
	}
	return b.closed
}

// CloseLive ends every open live board's event stream, so a graceful
// shutdown need not wait for them (http.Server.RegisterOnShutdown).
// Browsers reconnect to the next server by themselves.
func (s *Server) CloseLive() {
	done := s.live.done()
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	select {
	case <-done:
	default:
		close(s.live.closed)
	}
}

// subscriber is one open board.
type subscriber struct {
	topic string
	ch    chan struct{} // holds at most one pending refresh
}

func (b *broker) subscribe(orgID, topic string) *subscriber {
	sub := &subscriber{topic: topic, ch: make(chan struct{}, 1)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[string]map[*subscriber]struct{}{}
	}
	if b.subs[orgID] == nil {
		b.subs[orgID] = map[*subscriber]struct{}{}
	}
	b.subs[orgID][sub] = struct{}{}
	return sub
}

func (b *broker) unsubscribe(orgID string, sub *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs[orgID], sub)
	if len(b.subs[orgID]) == 0 {
		delete(b.subs, orgID)
	}
}

// publish tells the organisation's boards of the topics to refresh. It
// never blocks: a board with a refresh already pending needs no second.
func (b *broker) publish(orgID string, topics []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for sub := range b.subs[orgID] {
		for _, t := range topics {
			if sub.topic == t {
				select {
				case sub.ch <- struct{}{}:
				default:
				}
			}
		}
	}
}

// Notify tells the live boards of a committed change. The store calls it
// after each commit (db.OnCommit(server.Notify)); it does not block.
func (s *Server) Notify(ev *crs.Event) {
	if ev == nil || ev.OrgID == "" {
		return
	}
	if ev.Type == crs.EventTerminologyLoaded {
		s.procs.forget(ev.OrgID)
	}
	if topics := topicsOf(ev.Type); len(topics) > 0 {
		s.live.publish(ev.OrgID, topics)
	}
}

// liveHeartbeat is how often an idle event stream sends a comment, so
// proxies keep it open and a closed browser is noticed.
var liveHeartbeat = 25 * time.Second

// handleLive is the server-sent event stream of a board
// (GET /live?topic=beds): a "refresh" event each time something the
// board shows changes in the user's trust. The event carries the topic
// only; the board fetches itself again, through the usual access checks.
func (s *Server) handleLive(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	topic := r.URL.Query().Get("topic")
	switch topic {
	case topicBeds, topicED:
		if err := a.Authorize(crs.ActViewDemographics); err != nil {
			return err
		}
	case topicPTL:
		if err := a.Authorize(crs.ActManagePathways); err != nil {
			return err
		}
	default:
		return crs.Errorf(crs.ENOTFOUND, "there is no live board %q", topic)
	}
	rc := http.NewResponseController(w)
	sub := s.live.subscribe(a.OrgID, topic)
	defer s.live.unsubscribe(a.OrgID, sub)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 5000\n: %s board\n\n", topic)
	if err := rc.Flush(); err != nil {
		return nil
	}
	// The stream outlives the server's write timeout, if it has one.
	_ = rc.SetWriteDeadline(time.Time{})
	tick := time.NewTicker(liveHeartbeat)
	defer tick.Stop()
	closed := s.live.done()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-closed:
			return nil
		case <-sub.ch:
			fmt.Fprintf(w, "event: refresh\ndata: %s\n\n", topic)
		case <-tick.C:
			fmt.Fprint(w, ": still here\n\n")
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}
