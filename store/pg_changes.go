package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrs/crs"
)

// Changes made by other crs processes on one PostgreSQL database.
//
// A process keeps what it reads most (the settings cache: a trust's
// feeds, code maps, estate and Subscriptions; the FHIR read cache) and
// forgets it when a command changes it, told by its own commits
// (OnCommit). Several processes on one database (behind a load
// balancer) are not told of each other's commits that way, and each kept
// what another had changed: a feed added through one was not fed by the
// other's commands, a patient changed through one was read as it was
// through the other. So each process sends notices of its commands'
// events (and of their changes to the settings) on a channel of the
// database's (NOTIFY) once they commit, every process listens on it, and
// a notice from another process is told to the OnCommit listeners and
// forgets the settings as the change's own process does: what another
// process committed is forgotten here within a few milliseconds.
//
// The notices go after the commit, gathered, on a connection of their
// own: sent in the commands' transactions they were atomic with them,
// but PostgreSQL commits a transaction that notifies one at a time, and
// the Patient+Observation transactions at 16 clients lost a fifth of
// their rate. A process that stops between a commit and its notice
// leaves the others unaware of that change, so each process also
// forgets everything it keeps every forgetEvery (a change missed so is
// seen within that). While the process is not listening (before its
// listening connection is up, or after it is lost) nothing is kept: the
// settings are read afresh by each command and the listeners are told to
// keep nothing (crs.EventCachesStale); once it listens again they are
// told so (crs.EventCachesHeard).

// changesPerNotice is how many events one notice carries at most,
// within PostgreSQL's 8,000 bytes a notice.
const changesPerNotice = 32

// forgetEvery is how often a process on PostgreSQL forgets all it keeps,
// should another process have stopped before it sent a notice.
const forgetEvery = time.Minute

// changeNotice is one notice of committed changes: the process that made
// them, whether they changed the settings, and the events' type, trust,
// patient and subject.
type changeNotice struct {
	Origin   string      `json:"o"`
	Settings bool        `json:"s,omitempty"`
	Events   [][4]string `json:"e,omitempty"`
}

// startChanges starts, on PostgreSQL, the sending of this process's
// change notices and the listening for the others': the channel is the
// schema's.
func (db *DB) startChanges(ctx context.Context, dsn string) error {
	var schema string
	if err := db.write.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("read the schema: %w", err)
	}
	cfg, err := pgConfig(dsn)
	if err != nil {
		return crs.Errorf(crs.EINVALID, "database: %s", err)
	}
	// The notices' own connection, whose commits (of a notice alone)
	// need not wait for the disk, as numbering's do not.
	notices, err := newPGNumberingConnector(dsn)
	if err != nil {
		return crs.Errorf(crs.EINVALID, "database: %s", err)
	}
	db.origin, db.changes = crs.NewID(), "crs_changes_"+schema
	if len(db.changes) > 63 { // PostgreSQL's longest name
		db.changes = db.changes[:63]
	}
	db.listenDone, db.listening = make(chan struct{}), make(chan struct{}, 1)
	db.deaf.Store(true) // until it listens
	db.notices = sql.OpenDB(notices)
	db.notices.SetMaxOpenConns(1)
	db.notices.SetMaxIdleConns(1)
	db.noticeWake, db.noticeDone = make(chan struct{}, 1), make(chan struct{})
	go db.listenChanges(cfg)
	go db.sendNotices()
	go db.forgetInTime()
	return nil
}

// noticeChanges queues, once a command has committed (PostgreSQL), the
// notice of its changes for the other processes.
func (db *DB) noticeChanges(t *Tx) {
	db.noticeMu.Lock()
	db.noticeSettings = db.noticeSettings || t.settingsChanged
	for _, ev := range t.events {
		db.noticeEvents = append(db.noticeEvents, [4]string{ev.Type, ev.OrgID, ev.PatientID, ev.SubjectID})
	}
	db.noticeMu.Unlock()
	select {
	case db.noticeWake <- struct{}{}:
	default:
	}
}

// sendNotices sends the queued notices, all that have gathered in one
// statement, until the database closes, and then what is left.
func (db *DB) sendNotices() {
	defer close(db.noticeDone)
	for {
		select {
		case <-db.noticeWake:
		case <-db.stop:
			db.sendQueuedNotices()
			return
		}
		db.sendQueuedNotices()
	}
}

// sendQueuedNotices sends what is queued.
func (db *DB) sendQueuedNotices() {
	db.noticeMu.Lock()
	events, settings := db.noticeEvents, db.noticeSettings
	db.noticeEvents, db.noticeSettings = nil, false
	db.noticeMu.Unlock()
	var payloads []string
	n := changeNotice{Origin: db.origin, Settings: settings}
	for len(events) > 0 || n.Settings {
		k := min(len(events), changesPerNotice)
		n.Events, events = events[:k], events[k:]
		b, err := json.Marshal(n)
		if err != nil {
			db.Logger.Error("change notice", "err", err)
			return
		}
		payloads = append(payloads, string(b))
		n = changeNotice{Origin: db.origin}
	}
	if len(payloads) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := db.notices.ExecContext(ctx, `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, db.changes, payloads); err != nil {
		db.Logger.Error("change notices to other processes not sent: they forget what they keep within a minute", "notices", len(payloads), "err", err)
	}
}

// forgetInTime forgets everything kept every forgetEvery until the
// database closes.
func (db *DB) forgetInTime() {
	t := time.NewTicker(forgetEvery)
	defer t.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-t.C:
			db.settings.forget()
			db.tell([]*crs.Event{{Type: crs.EventCachesStale}, {Type: crs.EventCachesHeard}})
		}
	}
}

// WaitListening waits until the database listens for other processes'
// change notices: at once on SQLite, which one process holds.
func (db *DB) WaitListening(ctx context.Context) error {
	if !db.pooled() {
		return nil
	}
	select {
	case <-db.listening:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// listenChanges listens on the database's channel of change notices
// until the database closes, connecting again a second after it loses
// the connection.
func (db *DB) listenChanges(cfg *pgx.ConnConfig) {
	defer close(db.listenDone)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-db.stop
		cancel()
	}()
	for {
		err := db.listen(ctx, cfg)
		db.deaf.Store(true)
		db.settings.forget()
		db.tell([]*crs.Event{{Type: crs.EventCachesStale}})
		if err != nil && ctx.Err() == nil {
			db.Logger.Warn("change notices from other processes: listening again in a second; nothing is kept meanwhile", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// listen connects, listens and tells what it hears until the connection
// fails or ctx ends.
func (db *DB) listen(ctx context.Context, cfg *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{db.changes}.Sanitize()); err != nil {
		return err
	}
	// What was kept before is forgotten: it may have changed unheard.
	db.settings.forget()
	db.deaf.Store(false)
	db.tell([]*crs.Event{{Type: crs.EventCachesHeard}})
	select {
	case db.listening <- struct{}{}:
	default:
	}
	for {
		note, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		db.changedElsewhere(note.Payload)
	}
}

// changedElsewhere forgets and tells what a notice of another process's
// changes says.
func (db *DB) changedElsewhere(payload string) {
	var n changeNotice
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		db.Logger.Error("change notice from another process", "err", err)
		db.settings.forget()
		db.tell([]*crs.Event{{Type: crs.EventCachesStale}, {Type: crs.EventCachesHeard}})
		return
	}
	if n.Origin == db.origin {
		return
	}
	if n.Settings {
		db.settings.forget()
	}
	events := make([]*crs.Event, len(n.Events))
	for i, e := range n.Events {
		events[i] = &crs.Event{Type: e[0], OrgID: e[1], PatientID: e[2], SubjectID: e[3]}
	}
	db.tell(events)
}
