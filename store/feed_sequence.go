package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// The order of the outbound feeds.
//
// Each destination must receive a patient's messages in the order their
// changes committed. The message log is also the queue (pending = 1),
// and an id, allocated inside a transaction, is not commit order once
// transactions commit in parallel: T1 takes id 5, T2 takes id 6 and
// commits first; a sender reading in id order sends 6, and then 5
// appears behind it. So a sender reads not by id but by seq, the
// message's place in delivery order, and only messages that have one.
//
// On SQLite the one writer commits commands one after another, so a
// message takes its place in the transaction that queues it: one more
// than the last.
//
// On PostgreSQL a message is queued without a place (seq NULL), and one
// sequencer (SequenceFeeds, run by the process that owns the feeds and
// made single across processes by an advisory lock) repeatedly gives the
// committed messages without a place the next places, in id order. Two
// changes to the same patient conflict: every command reads the patient
// through GetPatient, which locks the row, so the later command queues
// its messages only after the earlier has committed. Its messages then
// either come in a later pass of the sequencer, or in the same pass with
// larger ids (ids are allocated in time order within the process), and
// so take later places: a patient's messages keep their order. The
// messages of unrelated changes may take places in the other order than
// their commits, which no receiver can tell.

// enqueueSQL queues an outbound message, with its place on SQLite and
// without one (for the sequencer to give) on PostgreSQL.
func (d dialect) enqueueSQL() string {
	place := "NULL"
	if d.name == "sqlite" {
		place = "COALESCE((SELECT seq FROM hl7_messages WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1), 0) + 1"
	}
	s := strings.Replace(insertMessageSQL, "updated_at)", "updated_at, seq)", 1)
	return strings.Replace(s, "$23)", "$23, "+place+")", 1)
}

var enqueueSQL = map[string]string{"sqlite": sqlite.enqueueSQL(), "postgres": postgres.enqueueSQL()}

// sequenceBatch is how many messages the sequencer places at most in one
// statement.
const sequenceBatch = 1000

// SequenceFeeds is the sequencer of the outbound feeds on PostgreSQL: it
// gives the queued messages their places in delivery order, whenever
// wake receives and at least every second, and calls placed after a pass
// that placed some, until ctx ends. Only one sequencer works on a
// database at a time; another waits for the advisory lock. On SQLite it
// returns at once: there, messages take their places as they are queued.
func (db *DB) SequenceFeeds(ctx context.Context, wake <-chan struct{}, placed func()) {
	if !db.pooled() {
		return
	}
	for {
		err := db.sequence(ctx, wake, placed)
		if ctx.Err() != nil {
			return
		}
		db.Logger.Error("outbound feed sequencer", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// sequenceLock is the advisory lock the sequencer of a database holds; a
// database is a schema, so several can share a PostgreSQL database.
const sequenceLock = `hashtext('opencrs feed sequencer ' || current_schema())`

// sequence takes the sequencer's lock on a connection of its own and
// places messages on it until ctx ends or the connection fails.
func (db *DB) sequence(ctx context.Context, wake <-chan struct{}, placed func()) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		var got bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+sequenceLock+`)`).Scan(&got); err != nil {
			return err
		}
		if got {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+sequenceLock+`)`)
	var last int64
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE((SELECT seq FROM hl7_messages WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1), 0)`).Scan(&last); err != nil {
		return err
	}
	for {
		n, err := placeMessages(ctx, conn, &last)
		if err != nil {
			return err
		}
		if n > 0 {
			placed()
			if n == sequenceBatch {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-tick.C:
		}
	}
}

// placeMessages gives the committed messages without a place the places
// after *last, in id order, and says how many it placed.
func placeMessages(ctx context.Context, conn *sql.Conn, last *int64) (int, error) {
	var n int
	var top int64
	err := conn.QueryRowContext(ctx, `WITH s AS (
			SELECT id, $1::bigint + ROW_NUMBER() OVER (ORDER BY id) AS place FROM hl7_messages
			WHERE seq IS NULL AND direction = 'out' ORDER BY id LIMIT `+itoa(sequenceBatch)+`),
		u AS (UPDATE hl7_messages m SET seq = s.place FROM s WHERE m.id = s.id RETURNING m.seq)
		SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM u`, *last).Scan(&n, &top)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		*last = top
	}
	return n, nil
}
