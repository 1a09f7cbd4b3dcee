package interfaces

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/mllp"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// peer is a fake receiving system on 127.0.0.1:0 whose answer to the
// n-th frame it receives is chosen by a script.
type peer struct {
	ln     net.Listener
	script map[int]string // frame number (from 0) -> behaviour
	mu     sync.Mutex
	got    []string // MSH-10 of every frame received, in order
	acked  []string // MSH-10 of every message answered AA properly, once: a receiver de-duplicates by MSH-10
	// ackedOnce holds what acked holds: a message sent again because
	// its AA reached the sender after its timeout (a slow machine) is
	// answered again but not counted twice.
	ackedOnce map[string]bool
}

func newPeer(t *testing.T, script map[int]string) *peer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{ln: ln, script: script, ackedOnce: map[string]bool{}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func frame(b []byte) []byte {
	return append(append([]byte{mllp.StartBlock}, b...), mllp.EndBlock, mllp.CarriageRet)
}

func (p *peer) serve(c net.Conn) {
	defer c.Close()
	rd := mllp.NewReader(c, 0)
	for {
		b, err := rd.ReadFrame()
		if err != nil {
			if mllp.IsRecoverable(err) {
				continue
			}
			return
		}
		m, err := hl7.Parse(b)
		if err != nil {
			return
		}
		ctrl := m.ControlID()
		p.mu.Lock()
		n := len(p.got)
		p.got = append(p.got, ctrl)
		p.mu.Unlock()
		ack := func(code, msa2 string) []byte {
			a := hl7.NewACK(m, code, "ACK"+ctrl, time.Now(), hl7.ACKError{Code: "207", Text: "test " + code})
			_ = a.Set("MSA-2", msa2)
			return a.Bytes()
		}
		good := func() {
			p.mu.Lock()
			if !p.ackedOnce[ctrl] {
				p.ackedOnce[ctrl] = true
				p.acked = append(p.acked, ctrl)
			}
			p.mu.Unlock()
		}
		switch p.script[n] {
		case "late": // answers after the sender's timeout
			time.Sleep(400 * time.Millisecond)
			c.Write(frame(ack(hl7.AA, ctrl)))
			return
		case "AE":
			c.Write(frame(ack(hl7.AE, ctrl)))
		case "AR":
			c.Write(frame(ack(hl7.AR, ctrl)))
		case "drop":
			return
		case "midframe":
			f := frame(ack(hl7.AA, ctrl))
			c.Write(f[:len(f)/2])
			return
		case "split":
			f := frame(ack(hl7.AA, ctrl))
			for i := 0; i < len(f); i += 7 {
				c.Write(f[i:min(i+7, len(f))])
				time.Sleep(2 * time.Millisecond)
			}
			good()
		case "garbage":
			c.Write([]byte("NOISE\x00\x01 between frames"))
			c.Write(frame(ack(hl7.AA, ctrl)))
			good()
		case "oversize":
			c.Write(frame([]byte("MSH|^~\\&|" + strings.Repeat("X", maxACK+10))))
			return
		case "mismatch":
			c.Write(frame(ack(hl7.AA, "NOT-"+ctrl)))
			return // a real system would go on; the sender drops the connection anyway
		default:
			c.Write(frame(ack(hl7.AA, ctrl)))
			good()
		}
	}
}

// TestOutboundFaults feeds registrations to a destination that answers
// late, AE, AR, drops the connection mid-frame, splits frames, sends
// garbage, an oversize frame and a mismatched MSA-2, and checks every
// message arrives once after de-duplication by MSH-10, in order.
func TestOutboundFaults(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		script := map[int]string{1: "late", 3: "AE", 5: "drop", 6: "split", 8: "garbage", 9: "midframe", 11: "oversize",
			13: "mismatch", 15: "AR", 17: "AE", 18: "split", 20: "drop", 21: "garbage"}
		p := newPeer(t, script)
		f := newFixture(t, db, "RXX")
		ctx := context.Background()
		d := &crs.Destination{Name: "RIS", Addr: p.ln.Addr().String(), ReceivingApplication: "RIS", ReceivingFacility: "RXX", ACKTimeout: 200 * time.Millisecond, MaxAttempts: 10}
		if err := f.e.AddDestination(ctx, f.trust.System, d); err != nil {
			t.Fatal(err)
		}
		if err := f.e.Start(ctx); err != nil {
			t.Fatal(err)
		}
		ps := store.NewPatientService(db)
		const n = 20
		var want []string
		for i := 0; i < n; i++ {
			pt := &crs.Patient{GivenName: "Ann", FamilyName: fmt.Sprintf("Test%02d", i), BirthDate: crs.NewDate(1980, 1, 1), NHSNumber: testNHS(100 + i)}
			if err := ps.RegisterPatient(ctx, f.trust.Actor(crs.RoleClerk), pt); err != nil {
				t.Fatal(err)
			}
		}
		out, err := db.SearchMessages(ctx, f.trust.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, Limit: 100})
		if err != nil || len(out) != n {
			t.Fatalf("queued: %d, err %v; want %d", len(out), err, n)
		}
		for i := len(out) - 1; i >= 0; i-- {
			want = append(want, out[i].ControlID)
			if out[i].Type != "ADT^A28" {
				t.Errorf("queued %s, want ADT^A28", out[i].Type)
			}
		}
		drainFaultyFeed(t, f, p, want)
		ms, _ := db.SearchMessages(ctx, f.trust.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, Status: crs.MessageSent, Limit: 100})
		if len(ms) != n {
			t.Errorf("sent: %d, want %d", len(ms), n)
		}
	})
}

// drainFaultyFeed waits until the feed's queue is empty, releasing the
// head once when an AR suspends it, and checks the peer saw every
// message of want in order and acknowledged each exactly once.
func drainFaultyFeed(t *testing.T, f *fixture, p *peer, want []string) {
	t.Helper()
	ctx := context.Background()
	analyst := f.trust.Actor(crs.RoleInterfaceAnalyst)
	deadline := time.Now().Add(60 * time.Second)
	resent := false
	for {
		st, err := f.e.FeedStatuses(ctx, analyst)
		if err != nil {
			t.Fatal(err)
		}
		if st[0].Suspended {
			if resent {
				t.Fatalf("suspended twice: %+v", st[0])
			}
			if !strings.Contains(st[0].Alert, "suspended") || !strings.Contains(st[0].LastError, "AR") {
				t.Errorf("suspended feed: alert %q, last error %q", st[0].Alert, st[0].LastError)
			}
			// The queue is stuck behind the AR: later messages wait.
			time.Sleep(100 * time.Millisecond)
			if st2, _ := f.e.FeedStatuses(ctx, analyst); st2[0].Depth != st[0].Depth {
				t.Errorf("queue moved past a suspended head: %d -> %d", st[0].Depth, st2[0].Depth)
			}
			if err := f.e.ResendMessages(ctx, analyst, []string{st[0].Oldest.ID}); err != nil {
				t.Fatal(err)
			}
			resent = true
		}
		if st[0].Depth == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %+v; peer got %v", st[0], p.got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !resent {
		t.Error("the AR never suspended the queue")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// Collapsing repeats, the peer saw each message in order.
	var seen []string
	for _, c := range p.got {
		if len(seen) == 0 || seen[len(seen)-1] != c {
			seen = append(seen, c)
		}
	}
	if strings.Join(seen, " ") != strings.Join(want, " ") {
		t.Errorf("order received:\n%v\nwant\n%v", seen, want)
	}
	// De-duplicated by MSH-10, each message acknowledged exactly once, in order.
	if strings.Join(p.acked, " ") != strings.Join(want, " ") {
		t.Errorf("acknowledged:\n%v\nwant\n%v", p.acked, want)
	}
}

// TestOutbox checks a change and its messages commit together, that an
// inbound interface's changes are not echoed back to it when so
// configured, and how events map to triggers.
func TestOutbox(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RXX")
		ctx := context.Background()
		all := &crs.Destination{Name: "ALL", Addr: "127.0.0.1:9", UseA08: true}
		noEcho := &crs.Destination{Name: "PAS-BACK", Addr: "127.0.0.1:9", SuppressInterfaceID: f.iface.ID, Triggers: []string{"A28", "A40"}}
		for _, d := range []*crs.Destination{all, noEcho} {
			if err := f.e.AddDestination(ctx, f.trust.System, d); err != nil {
				t.Fatal(err)
			}
		}
		count := func(dest string) int {
			ms, _ := db.SearchMessages(ctx, f.trust.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, ChannelID: dest, Limit: 1000})
			return len(ms)
		}
		// A change that fails after registering queues nothing.
		err := db.Write(ctx, f.trust.Actor(crs.RoleClerk), crs.ActRegisterPatient, func(tx crs.Tx) error {
			if err := tx.InsertPatient(&crs.Patient{GivenName: "A", FamilyName: "B", BirthDate: crs.NewDate(1990, 1, 1)}); err != nil {
				return err
			}
			return crs.Errorf(crs.ECONFLICT, "changed my mind")
		})
		if err == nil || count(all.ID) != 0 {
			t.Fatalf("rolled-back change queued %d messages (err %v)", count(all.ID), err)
		}
		// An inbound registration goes to ALL but not back to the PAS.
		if ack, _ := f.send(t, adtMsg("A28", "O1", "RXX", pidSeg(testNHS(30), "", "RXX", "SMITH", "ANNE", "19800101"))); ack.Code != hl7.AA {
			t.Fatal(ack)
		}
		if count(all.ID) != 1 || count(noEcho.ID) != 0 {
			t.Errorf("inbound A28: ALL %d (want 1), PAS-BACK %d (want 0)", count(all.ID), count(noEcho.ID))
		}
		// A clerk's registration and update: A28 to both; A08 to ALL only
		// (PAS-BACK subscribes to A28 and A40).
		ps := store.NewPatientService(db)
		pt := &crs.Patient{GivenName: "Bo", FamilyName: "O'Neil & Co", BirthDate: crs.NewDate(1990, 1, 1), NHSNumber: testNHS(31)}
		if err := ps.RegisterPatient(ctx, f.trust.Actor(crs.RoleClerk), pt); err != nil {
			t.Fatal(err)
		}
		pt.Phone = "0207"
		if err := ps.UpdatePatient(ctx, f.trust.Actor(crs.RoleClerk), pt); err != nil {
			t.Fatal(err)
		}
		if count(all.ID) != 3 || count(noEcho.ID) != 1 {
			t.Errorf("clerk's changes: ALL %d (want 3), PAS-BACK %d (want 1)", count(all.ID), count(noEcho.ID))
		}
		ms, _ := db.SearchMessages(ctx, f.trust.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, ChannelID: all.ID, Limit: 1})
		m, err := hl7.Parse([]byte(ms[0].Raw))
		if err != nil {
			t.Fatal(err)
		}
		if m.Type() != "ADT^A08" || m.Get("PID-5.1") != "O'Neil & Co" || m.Get("PID-3[1].1") != testNHS(31) || m.Get("PID-3[1].5") != "NH" ||
			m.Get("PID-32") != "NSTS02" || m.Get("MSH-4") != "RXX" || m.Get("MSH-12") != "2.4" || m.ControlID() != ms[0].ControlID || len(m.ControlID()) > 20 {
			t.Errorf("A08 rendered:\n%s", hl7.Pretty(m))
		}
		// A registration made in error and deleted: A28, then A29 to
		// ALL, naming the record deleted.
		gone := &crs.Patient{GivenName: "Err", FamilyName: "Oneous", BirthDate: crs.NewDate(1991, 2, 3)}
		if err := ps.RegisterPatient(ctx, f.trust.Actor(crs.RoleClerk), gone); err != nil {
			t.Fatal(err)
		}
		if err := db.Write(ctx, f.trust.Actor(crs.RoleInterface), crs.ActMergePatients, func(tx crs.Tx) error { return tx.DeletePatient(gone.ID, "") }); err != nil {
			t.Fatal(err)
		}
		if count(all.ID) != 5 || count(noEcho.ID) != 2 {
			t.Errorf("a registration and its deletion: ALL %d (want 5), PAS-BACK %d (want 2)", count(all.ID), count(noEcho.ID))
		}
		ms, _ = db.SearchMessages(ctx, f.trust.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, ChannelID: all.ID, Limit: 1})
		if m, err = hl7.Parse([]byte(ms[0].Raw)); err != nil {
			t.Fatal(err)
		}
		if m.Type() != "ADT^A29" || m.Get("MSH-9.3") != "ADT_A21" || m.Get("PID-5.1") != "Oneous" || !strings.Contains(m.Get("PID-3"), gone.MRN) {
			t.Errorf("A29 rendered:\n%s", hl7.Pretty(m))
		}
	})
}
