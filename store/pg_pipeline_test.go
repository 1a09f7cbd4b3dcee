package store_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// turnWatch watches the connections of a write pool for the
// conversation of one command: from the turn whose statements carry
// marker to the answer that says COMMIT, it counts the turns, each a
// round trip (the client writes after reading the server's answer),
// and those the command takes meanwhile on the connections kept for
// numbering (DB.numbers, known by the setting they connect with).
// before is how many turns the connection that carried the marker took
// since the watch was last set (setMarker) and before the marker: the
// command's round trips ahead of it, such as a BEGIN sent alone.
// executed counts the statements the connection that carried the marker
// sent from it to the COMMIT (Execute messages), each one that
// PostgreSQL runs.
type turnWatch struct {
	marker   []byte
	mu       sync.Mutex
	turns    int
	before   int
	executed int
	// parsing, when set, is the beginning of a statement whose Parse
	// messages are counted on every connection: reparsed counts those
	// of a connection that had parsed it before.
	parsing  []byte
	reparsed int
	done     bool
	gen      int  // counts the settings of the marker
	active   bool // the marker was seen and its COMMIT not yet
}

// roundTrips runs a command whose statements carry marker and returns
// the round trips it took on the connection that carried it: those
// before the marker, and those from it to the COMMIT.
func (w *turnWatch) roundTrips(t *testing.T, marker string, run func()) int {
	t.Helper()
	w.mu.Lock()
	w.marker, w.turns, w.before, w.executed, w.done = []byte(marker), 0, 0, 0, false
	w.gen++
	w.mu.Unlock()
	run()
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		t.Fatalf("%s: the command's COMMIT was not seen", marker)
	}
	return w.before + w.turns
}

func (w *turnWatch) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &watchedConn{Conn: c, w: w, read: true, fresh: true}, nil
}

type watchedConn struct {
	net.Conn
	w         *turnWatch
	read      bool // the last thing done was a read: a write starts a turn
	counting  bool // the connection carries the watched command
	gen       int  // the setting of the marker early counts from
	early     int  // turns since then, before the marker
	fresh     bool // nothing written yet: the next write starts the connection
	numbering bool // a connection kept for numbering
	rest      int  // bytes of a message still to come in the next write
	parsed    bool // the watch's parsing was parsed on the connection
}

// countMessages reads the messages in b, written on the connection after
// its startup: each is its type, its length and its body, a message one
// write leaves unfinished ending in the next. It counts the Execute
// messages while the connection carries the watched command, and the
// Parse messages of a statement that begins with the watch's parsing
// after the connection's first.
func (c *watchedConn) countMessages(b []byte) {
	for len(b) > 0 {
		if c.rest > 0 {
			k := min(c.rest, len(b))
			b, c.rest = b[k:], c.rest-k
			continue
		}
		if len(b) < 5 {
			return
		}
		n := 1 + int(binary.BigEndian.Uint32(b[1:5]))
		k := min(n, len(b))
		switch {
		case b[0] == 'E' && c.counting:
			c.w.executed++
		case b[0] == 'P' && len(c.w.parsing) > 0:
			// A Parse message's body is the statement's name and text.
			if name := bytes.IndexByte(b[5:k], 0); name >= 0 && bytes.HasPrefix(b[5+name+1:k], c.w.parsing) {
				if c.parsed {
					c.w.reparsed++
				}
				c.parsed = true
			}
		}
		b, c.rest = b[k:], n-k
	}
}

func (c *watchedConn) Write(b []byte) (int, error) {
	c.w.mu.Lock()
	started := !c.fresh
	if c.fresh {
		c.fresh = false
		c.numbering = bytes.Contains(b, []byte("synchronous_commit\x00off\x00"))
	}
	if c.gen != c.w.gen {
		c.gen, c.early = c.w.gen, 0
	}
	if !c.counting && !c.w.done && bytes.Contains(b, c.w.marker) {
		c.counting, c.read, c.w.active = true, true, true
		c.w.before = c.early
	} else if !c.counting && c.read {
		c.early++
	}
	if (c.counting || c.numbering && c.w.active) && c.read {
		c.w.turns++
	}
	if started {
		c.countMessages(b)
	}
	c.read = false
	c.w.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.w.mu.Lock()
	c.read = true
	if c.counting && bytes.Contains(b[:n], []byte("COMMIT\x00")) {
		c.counting, c.w.done, c.w.active = false, true, false
	}
	c.w.mu.Unlock()
	return n, err
}

// TestPooledMessageRoundTrips counts the round trips of the commands of
// inbound messages on PostgreSQL. A registration (ADT^A28) takes two:
// the patient look-up, before the BEGIN, and BEGIN with the patient
// insert, the log row, the event, its audit record and COMMIT; each
// statement on its own, BEGIN and COMMIT included, would be six, and a
// BEGIN sent alone before the look-up made it three. The message's key
// is not looked up (the log row's unique index finds a copy at the
// commit). An update (A31) takes four: the look-up, the BEGIN (sent
// alone, before a query), the patient read again, locked, and its
// UPDATE, which goes with the commit.
func TestPooledMessageRoundTrips(t *testing.T) {
	w := &turnWatch{marker: []byte("no marker yet")}
	restore := store.DialPostgres(w.dial)
	db := storetest.OpenPostgres(t, crs.NewFixedClock(storetest.Epoch))
	restore()
	ctx := context.Background()
	tr := storetest.NewTrust(t, db, "RRT")
	iface := tr.Actor(crs.RoleInterface)
	apply := func(ctrl, mrn string, update bool) error {
		return db.Write(ctx, iface, crs.ActReceiveMessages, func(tx crs.Tx) error {
			id, key := crs.NewID(), crs.MessageKey(tr.Org.ID, "PAS", ctrl)
			if _, found, err := tx.ClaimInboundMessage(id, ctrl, key); err != nil || found {
				t.Fatalf("claim %s: found %v, %v", ctrl, found, err)
			}
			p, err := tx.FindPatientByIdentifier("mrn", mrn)
			switch {
			case update && err != nil:
				t.Fatalf("look up %s: %v", mrn, err)
			case update:
				p.GivenName, p.Version = "Changed "+ctrl, 0
				err = tx.UpdatePatient(p)
			case crs.ErrorCode(err) != crs.ENOTFOUND:
				t.Fatalf("look up %s: %v; want not found", mrn, err)
			default:
				p = newPatient("Roundtrip", "Anne", crs.NewDate(1980, 1, 1), "", "E1 6AN", "2")
				p.MRN = mrn
				err = tx.InsertPatient(p)
			}
			if err != nil {
				return err
			}
			return tx.InsertInboundMessage(&crs.Message{ID: id, ControlID: ctrl, Type: "ADT^A28", Status: crs.MessageApplied,
				ACKCode: "AA", ACK: "ACK of " + ctrl, PatientID: p.ID, MRN: p.MRN}, key)
		})
	}
	// The first command on a connection prepares its statements there:
	// its round trips are not the steady state. Sixteen of each, so that
	// every connection of the pool has met them.
	for i := 0; i < 16; i++ {
		for _, update := range []bool{false, true} {
			if err := apply("RTWARM-"+strconv.FormatBool(update)+strconv.Itoa(i), "RTW"+strconv.Itoa(i), update); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The fewest of six: a command that meets a connection new to the
	// pool prepares its statements there first (a busy machine's pool
	// may open one the warming did not meet).
	measure := func(prefix string, update bool) int {
		fewest := -1
		for i := 0; i < 6; i++ {
			ctrl := prefix + strconv.Itoa(i)
			mrn := "RTW" + strconv.Itoa(i) // registered while warming up
			if !update {
				mrn = "RTN" + strconv.Itoa(i)
			}
			// The command's first statement, its patient's look-up,
			// carries the hospital number.
			turns := w.roundTrips(t, mrn, func() {
				if err := apply(ctrl, mrn, update); err != nil {
					t.Fatal(err)
				}
			})
			if fewest < 0 || turns < fewest {
				fewest = turns
			}
			ack, found, err := db.FindInboundACK(ctx, ctrl, crs.MessageKey(tr.Org.ID, "PAS", ctrl))
			if err != nil || !found || ack != "ACK of "+ctrl {
				t.Errorf("the log row held back: %q, %v, %v; want it committed with the command", ack, found, err)
			}
		}
		return fewest
	}
	if n := measure("RTNEW-", false); n != 2 {
		t.Errorf("a registration took %d round trips; want 2", n)
	}
	if n := measure("RTUPD-", true); n != 4 {
		t.Errorf("an update took %d round trips; want 4", n)
	}
	p, err := store.NewPatientService(db).FindPatientByIdentifier(ctx, tr.Actor(crs.RoleClerk), "mrn", "RTW2")
	if err != nil || p.GivenName != "Changed RTUPD-2" {
		t.Errorf("the update held back: %+v, %v; want it committed", p, err)
	}
}

// TestPooledHeldStatements checks the statements held back on
// PostgreSQL: a statement after one held back sees its row, a held-back
// statement that fails fails its command at the commit and leaves none
// of the command's changes, and the connection serves the next command.
func TestPooledHeldStatements(t *testing.T) {
	db := storetest.OpenPostgres(t, crs.NewFixedClock(storetest.Epoch))
	ctx := context.Background()
	tr := storetest.NewTrust(t, db, "RHS")
	clerk := tr.Actor(crs.RoleClerk)
	held := store.DeferredExec(ctx)
	err := db.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
		stx := tx.(*store.Tx)
		if _, err := stx.ExecContext(held, `INSERT INTO counters (org_id, name, value) VALUES ($1, 'held', 5)`, tr.Org.ID); err != nil {
			return err
		}
		var v int
		if err := stx.QueryRow(`SELECT value FROM counters WHERE org_id = $1 AND name = 'held'`, tr.Org.ID).Scan(&v); err != nil || v != 5 {
			t.Errorf("a read after a statement held back: %d, %v; want 5", v, err)
		}
		return tx.InsertPatient(newPatient("Heldback", "Anne", crs.NewDate(1980, 1, 1), "", "E1 6AN", "2"))
	})
	if err != nil {
		t.Fatal(err)
	}
	before := count(t, db, "patients", tr.Org.ID)
	for i := 0; i < 20; i++ { // more than the pool's connections
		err := db.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
			if err := tx.InsertPatient(newPatient("Failing", "Anne", crs.NewDate(1980, 1, 1), "", "E1 6AN", "2")); err != nil {
				return err
			}
			// The counter exists: this fails, but only at the commit,
			// and again when the command is run again, a clash of keys
			// no run gets past.
			_, err := tx.(*store.Tx).ExecContext(held, `INSERT INTO counters (org_id, name, value) VALUES ($1, 'held', 6)`, tr.Org.ID)
			return err
		})
		if err == nil || crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(err.Error(), "counters with name held") {
			t.Fatalf("a command whose held-back statement fails: %v; want ECONFLICT naming the counter", err)
		}
	}
	if got := count(t, db, "patients", tr.Org.ID); got != before {
		t.Errorf("%d patients after the failed commands; want %d: a failed command left its changes", got, before)
	}
	if err := db.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
		return tx.InsertPatient(newPatient("After", "Anne", crs.NewDate(1980, 1, 1), "", "E1 6AN", "2"))
	}); err != nil {
		t.Fatalf("a command after the failed ones: %v", err)
	}
	if got := count(t, db, "patients", tr.Org.ID); got != before+1 {
		t.Errorf("%d patients; want %d", got, before+1)
	}
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if c, err := db.VerifyAuditChain(ctx, tr.Org.ID); err != nil || !c.Intact() {
		t.Fatalf("chain: %v %+v", err, c)
	}
}
