package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opencrs/crs"
)

// Tx is one command's view of the database during the write path: the
// transaction, the actor and the time the command is applied at. Package
// funcs that change the record take a *Tx; its methods are the unit of
// work the edges compose (crs.Tx).
type Tx struct {
	*sql.Tx
	db     *DB
	ctx    context.Context
	stmts  stmtCache // the batch's prepared statements
	actor  crs.Actor
	now    time.Time
	events []*crs.Event
	// buf holds the batch's events and audit records until they are
	// written together (write_buffer.go); nil on PostgreSQL.
	buf *appendBuffer
	// settingsChanged says the command changed the interface settings
	// the settings cache keeps (see settingsChanged in feed.go).
	settingsChanged bool
	// claimed is the log entry of the inbound message whose key the
	// command claimed without finding it logged (PostgreSQL; see
	// claimInboundMessage).
	claimed string
	// dry says the command is one of a dry run's, which leaves nothing
	// behind (dryrun.go).
	dry bool
	// again says the command runs again after its last run failed on
	// PostgreSQL (a deadlock, a serialization failure, a unique key met
	// at its commit).
	again bool
	// notified are the notifications of records (of no version) the
	// command has queued, by subscription, type and id: a command of
	// several events that each change a record queues it once.
	notified map[[3]string]bool
	// heads are the audit chain heads the transaction has locked, by
	// trust (PostgreSQL; see audit_chain.go).
	heads map[string]*auditHead
	// cleared holds the patients (by actor and patient) whose clinical
	// record the command may write, related the patients it was let
	// write for, and refusals the audit records of the writes it was
	// refused, kept whatever becomes of the command (clinical_write.go).
	cleared  map[string]bool
	related  []string
	refusals []*crs.AuditRecord
	// absentNHS is an NHS number the command has just looked up and
	// found no patient of the trust holding, now or before, on SQLite's
	// single writer, until the command's next write: registering a
	// patient with it then needs no second look (see insertPatient).
	// lookedUp is, the same way, the patient the command's last look-up
	// by identifier found, as the database holds them until that write:
	// changing their demographics then needs no second read (getPatient).
	absentNHS string
	lookedUp  *crs.Patient
	// wrote says the command has run a statement that may write (any
	// but a SELECT), or written the batch's buffer: on SQLite's committer,
	// a command that fails before it wrote has nothing in the database to
	// undo (see runJob).
	wrote bool
	// created counts the resources the command created in the resource
	// store (see resourcesCreated), and registered the patients it
	// registered (see patientsRegistered).
	created, registered int
	// overtaken says what another command wrote after this one looked
	// it up (PostgreSQL), for the command to be run again on it
	// (writePooled): a resource's version, written over the one this
	// command read (overtakenResource names the resource), or a patient
	// registered with an NHS number this command found no patient
	// holding (unseenNHS). contended, in a run again, is the resource
	// (Type/id) the run before lost a race to write, which this one waits
	// its turn to read (GetResource).
	overtaken, overtakenResource string
	contended                    string
	unseenNHS                    string
}

// OnEvent registers a hook that runs in the transaction of every event.
func (db *DB) OnEvent(h crs.EventHook) {
	db.hooksMu.Lock()
	db.hooks = append(db.hooks, h)
	db.hooksMu.Unlock()
}

// OnCommit registers a function told of every event after it commits:
// live boards and feed senders wake on it. It must not block.
func (db *DB) OnCommit(f func(*crs.Event)) {
	db.hooksMu.Lock()
	db.notify = append(db.notify, f)
	db.hooksMu.Unlock()
}

// job is one command waiting for the committer.
type job struct {
	ctx      context.Context
	actor    crs.Actor
	activity crs.Activity
	// fn is the command. It may be run more than once before its
	// transaction commits: on SQLite, again when another command of its
	// batch fails (see commit), and on PostgreSQL again after a
	// serialization failure, a deadlock or a lost race for a unique key
	// (writePooled). So fn must change nothing but the transaction, and
	// set afresh each run whatever outside it it fills in (an id it
	// gives is given again, or kept if already set): only the run that
	// commits counts. Its events, audit records, refusals, related
	// patients and OnCommit notices are those of that run.
	fn     func(crs.Tx) error
	result chan error
	events []*crs.Event
	// related and refusals are the command's clinical writes let through
	// and refused (see Tx), for afterClinicalWrites.
	related  []string
	refusals []*crs.AuditRecord
	// bulk says the command is a batch of a bulk load (withBulkLoad),
	// applied with SQLite's foreign key checks off.
	bulk  bool
	times jobTimes // see WriteTiming
}

// maxBatch is how many commands share one transaction at most.
const maxBatch = 256

// A batch is run with a savepoint for each command at once, not first
// without (see commit), when the failing commands expected in it, its
// size times the share of the commands of recent batches that failed
// (DB.failRate, a moving average weighing each batch by failWeight), are
// more than savepointsAt: a failure costs the batch's commands a second
// run, about ten times a savepoint's cost to a command.
const (
	savepointsAt = 0.2
	failWeight   = 1.0 / 16
)

// countFailures adds a batch's outcome to the share of commands that
// fail having written (see savepointsAt); clean says which commands failed
// before they wrote, which need no savepoint to be undone.
func (db *DB) countFailures(errs []error, clean []bool) {
	if len(errs) < 2 {
		return
	}
	failed := 0
	for i, err := range errs {
		if err != nil && !clean[i] {
			failed++
		}
	}
	db.failRate += failWeight * (float64(failed)/float64(len(errs)) - db.failRate)
}

// Write is the one write path. It checks that the actor may carry out
// the activity, then runs fn in a database transaction in which fn
// validates and writes the current state and appends at least one event
// (with Tx.Emit, which also appends the audit record and runs the event
// hooks). If fn or the commit fails, nothing of the command remains.
//
// Commands from many callers are group-committed: the committer runs
// them in one transaction, so many commands share one fsync while each
// still succeeds or fails alone (see commit).
func (db *DB) Write(ctx context.Context, a crs.Actor, act crs.Activity, fn func(crs.Tx) error) error {
	if err := a.Authorize(act); err != nil {
		db.refused(a, act)
		return err
	}
	if db.pooled() {
		return db.writePooled(ctx, a, fn) // write_pool.go
	}
	j := &job{ctx: ctx, actor: a, activity: act, fn: fn, result: make(chan error, 1), bulk: isBulkLoad(ctx)}
	j.times.queued = time.Now()
	select {
	case db.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.stop:
		return crs.Errorf(crs.EINTERNAL, "the database is closing")
	}
	select {
	case err := <-j.result:
		db.afterClinicalWrites(ctx, a, j.refusals, j.related, err == nil)
		db.timed(j, err)
		return err
	case <-db.done:
		return crs.Errorf(crs.EINTERNAL, "the database closed before the change was applied")
	}
}

// Commits is how many transactions the committer has committed on
// SQLite, each the commands of one batch (and read-audit records); 0 on
// PostgreSQL, whose commands commit on their own. Commands over commits is
// how many share a commit, and so the disk writes a commit costs.
func (db *DB) Commits() int64 { return db.commits.Load() }

// Waiting is how many commands wait for the committer (SQLite; on
// PostgreSQL commands run at once and none waits): the write load.
func (db *DB) Waiting() int { return len(db.jobs) }

// commitLoop is the committer: it gathers the commands and audit records
// waiting, applies them in one transaction and commits.
func (db *DB) commitLoop() {
	if db.walPath != "" {
		synced := make(chan struct{})
		go db.syncLoop(synced)
		defer func() {
			close(db.toSync)
			<-synced
			close(db.done)
		}()
	} else {
		defer close(db.done)
	}
	for {
		var batch []*job
		var audits []*crs.AuditRecord
		if db.held == nil {
			select {
			case j := <-db.jobs:
				batch = append(batch, j)
			case r := <-db.auditBuf:
				audits = append(audits, r)
			case <-db.stop:
				db.drain()
				return
			}
		}
		batch, audits = db.gather(batch, audits)
		if len(batch) == 0 {
			batch, audits = db.linger(audits)
		}
		db.commit(batch, audits)
	}
}

// auditLinger is how long the committer waits for more before it
// commits read-audit records alone. A read does not wait for its record,
// so the wait costs no one anything, and a commit of many records costs
// the writer little more than one of a single record: without it, every
// read at one client was a commit, a write of the log and a sync.
const auditLinger = 10 * time.Millisecond

// linger waits up to auditLinger for more read-audit records to
// gather, and stops early for a command (a command waits for its
// commit), a full batch of records or the close. It does not take the
// records as they are queued: woken for each, the committer cost every
// read a switch of goroutines, and the reads' 99th percentile at 64
// clients a millisecond. The queue says when it holds a batch
// (queueAudit).
func (db *DB) linger(audits []*crs.AuditRecord) ([]*job, []*crs.AuditRecord) {
	if !db.auditsGathered(len(audits)) {
		t := time.NewTimer(auditLinger)
		defer t.Stop()
		select {
		case j := <-db.jobs:
			return db.gather([]*job{j}, audits)
		case <-db.auditFull:
		case <-t.C:
		case <-db.stop:
		}
	}
	return db.gather(nil, audits)
}

// auditsGathered reports whether a full batch of read-audit records is
// waiting, taken (the held ones) and queued, and takes back the queue's
// word that it held one, said of a queue since taken.
func (db *DB) auditsGathered(held int) bool {
	select {
	case <-db.auditFull:
	default:
	}
	return held+len(db.auditBuf) >= 4*maxBatch
}

// gather adds to a batch the commands and audit records already waiting,
// up to the batch limits, without waiting for more. A batch of a bulk
// load is a transaction of its own (see setForeignKeys): alone, it needs
// no savepoint, whose journal would copy every page the batch changes
// (a tenth of a legacy import's CPU). A command that would join the
// wrong kind of batch is held for the next one, which it starts.
func (db *DB) gather(batch []*job, audits []*crs.AuditRecord) ([]*job, []*crs.AuditRecord) {
	if len(batch) == 0 && db.held != nil {
		batch, db.held = append(batch, db.held), nil
	}
	for len(batch) < maxBatch && len(audits) < 4*maxBatch {
		select {
		case j := <-db.jobs:
			if len(batch) > 0 && (j.bulk || batch[0].bulk) {
				db.held = j
				return batch, audits
			}
			batch = append(batch, j)
		case r := <-db.auditBuf:
			audits = append(audits, r)
		default:
			return batch, audits
		}
	}
	return batch, audits
}

// queuedAudits adds to audits every record queued now. A batch with a
// command takes them all, so that a command (Flush is one) commits after
// every record queued before it was sent: each was queued before the
// command reached the committer, so it is in audits already or still in
// the queue.
func (db *DB) queuedAudits(audits []*crs.AuditRecord) []*crs.AuditRecord {
	for {
		select {
		case r := <-db.auditBuf:
			audits = append(audits, r)
		default:
			return audits
		}
	}
}

// drain applies what is still queued when the database closes.
func (db *DB) drain() {
	for {
		batch, audits := db.gather(nil, nil)
		if len(batch) == 0 && len(audits) == 0 {
			return
		}
		db.commit(batch, audits)
	}
}

func (db *DB) commit(batch []*job, audits []*crs.AuditRecord) {
	if len(batch) > 0 {
		audits = db.queuedAudits(audits)
	}
	fail := func(err error) {
		for _, j := range batch {
			j.result <- err
		}
	}
	defer db.afterBatch()
	if err := db.setForeignKeys(len(batch) == 0 || !batch[0].bulk); err != nil {
		db.Logger.Error("set foreign key checks", "err", err)
		fail(err)
		return
	}
	tx, err := db.write.BeginTx(context.Background(), nil)
	if err != nil {
		db.Logger.Error("begin transaction", "err", err)
		fail(crs.Errorf(crs.EINTERNAL, "begin transaction: %w", err))
		return
	}
	stmts := stmtCache{}
	buf := &appendBuffer{}
	errs := make([]error, len(batch), max(len(batch), maxBatch))
	clean := make([]bool, len(batch), max(len(batch), maxBatch))
	// The batch is first run optimistically, without savepoints: most
	// batches fail in no command, and a savepoint costs SQLite a
	// statement journal holding a copy of every page the command changes.
	// A command that fails before it wrote anything (an inbound message
	// for a patient not yet known, a form that fails its checks) has
	// nothing to undo: its events and audit records are dropped from the
	// buffer and the batch goes on. If a command fails having written,
	// the whole transaction is rolled back; a command alone in its batch
	// is then done with, and a larger batch is run again with a savepoint
	// for each command, so that the failing one is undone alone and the
	// others commit. A command is thus run twice when another of its batch
	// fails having written (see job.fn). While commands fail so often (a
	// feed sending many messages in error), a batch likely to hold a
	// failing one is run with savepoints at once rather than twice.
	savepoints := len(batch) > 1 && float64(len(batch))*db.failRate > savepointsAt
	run := func(from int) (failed bool) {
		for i := from; i < len(batch); i++ {
			j := batch[i]
			if savepoints {
				clean[i], errs[i] = db.runJob(tx, stmts, buf, j, true)
				continue
			}
			if errs[i] = j.ctx.Err(); errs[i] != nil {
				clean[i] = true
				continue // not run: nothing of it to undo
			}
			if clean[i], errs[i] = db.runJob(tx, stmts, buf, j, false); errs[i] != nil && !clean[i] {
				return true
			}
		}
		return false
	}
	failed := run(0)
	// While the log is being synced for the batches before, a commit now
	// would wait for the next sync all the same: the batch stays open and
	// takes in the commands that come meanwhile, applying each as it
	// comes, and commits when the syncer is free (or the batch full). The
	// pages a commit writes to the log whatever its size (the last page
	// of every table and index the commands touch, two dozen for an
	// inbound message) are then written once for all of them, not once
	// for every two or three.
	for !failed && len(batch) > 0 && len(batch) < maxBatch && !batch[0].bulk {
		j := db.nextWhileSyncing()
		if j == nil {
			break
		}
		batch, errs, clean = append(batch, j), append(errs, nil), append(clean, false)
		failed = run(len(batch) - 1)
	}
	if failed {
		if err := tx.Rollback(); err != nil {
			db.Logger.Error("roll back failed batch", "err", err)
		}
		if tx, err = db.write.BeginTx(context.Background(), nil); err != nil {
			db.Logger.Error("begin transaction", "err", err)
			fail(crs.Errorf(crs.EINTERNAL, "begin transaction: %w", err))
			return
		}
		stmts = stmtCache{}
		buf.reset()
		if len(batch) > 1 {
			for i, j := range batch {
				clean[i], errs[i] = db.runJob(tx, stmts, buf, j, true)
			}
		}
	}
	db.countFailures(errs, clean)
	if len(batch) > 0 {
		audits = db.queuedAudits(audits) // those queued while the batch stayed open
	}
	commitFrom := time.Now()
	atx := &Tx{Tx: tx, db: db, ctx: context.Background(), stmts: stmts}
	for _, r := range audits {
		if blockable(r) {
			buf.access = append(buf.access, r)
		} else {
			buf.audits = append(buf.audits, r)
		}
	}
	buf.yield = len(batch) == 0
	err = buf.writeCounters(atx)
	if err == nil {
		err = buf.flush(atx)
	}
	if err != nil {
		db.Logger.Error("write events and audit records", "err", err)
		if rbErr := tx.Rollback(); rbErr != nil {
			db.Logger.Error("roll back batch", "err", rbErr)
		}
		fail(err)
		return
	}
	if err := tx.Commit(); err != nil {
		db.Logger.Error("commit", "err", err)
		fail(crs.Errorf(crs.EINTERNAL, "commit: %w", err))
		return
	}
	db.commits.Add(1)
	committedAt := time.Now()
	for _, j := range batch {
		j.times.commitFrom, j.times.committed, j.times.batch = commitFrom, committedAt, len(batch)
		if db.walPath == "" {
			j.times.syncFrom, j.times.synced = committedAt, committedAt
		}
	}
	if db.walPath != "" {
		db.unsynced.Add(1)
		db.toSync <- committed{batch, errs}
		return
	}
	db.reply(batch, errs)
}

// reply tells the commands of a durably committed batch their outcome,
// and the OnCommit listeners the events of those that succeeded.
func (db *DB) reply(batch []*job, errs []error) {
	db.hooksMu.RLock()
	notify := db.notify
	db.hooksMu.RUnlock()
	for i, j := range batch {
		if errs[i] == nil {
			for _, ev := range j.events {
				for _, f := range notify {
					f(ev)
				}
			}
		}
		j.result <- errs[i]
	}
}

// afterBatch runs when a batch has committed or failed and the write
// connection is free: it prepares the statements the batch met first, and
// forgets the cached settings if a command of the batch changed them (its
// change may have been rolled back).
func (db *DB) afterBatch() {
	db.prepareNew()
	if db.settingsDirty {
		db.settings.forget()
		db.settingsDirty = false
	}
}

// runJob applies one command in the batch's transaction, in a savepoint
// of its own when others share the transaction. clean says the command
// failed before it wrote anything (Tx.wrote), for a reason of its own
// (not a panic, nor an error of the database, which may have ended the
// transaction): its rows are dropped from the buffer, and without a
// savepoint the batch goes on without it (see commit).
func (db *DB) runJob(tx *sql.Tx, stmts stmtCache, buf *appendBuffer, j *job, savepoint bool) (clean bool, err error) {
	j.events, j.related, j.refusals = nil, nil, nil
	j.times.ranFrom = time.Now()
	if j.times.started.IsZero() {
		j.times.started = j.times.ranFrom
	}
	defer func() { j.times.ran = time.Now() }()
	if err := j.ctx.Err(); err != nil {
		return true, err
	}
	t := &Tx{Tx: tx, db: db, ctx: j.ctx, stmts: stmts, buf: buf, actor: j.actor, now: db.Clock.Now().UTC()}
	buf.begin()
	// On SQLite the savepoint statements are prepared once like any other;
	// PostgreSQL runs them as they come.
	var sp execer = tx
	if db.dialect.name == "sqlite" {
		sp = t
	}
	if savepoint {
		if _, err := sp.Exec(`SAVEPOINT cmd`); err != nil {
			return false, crs.Errorf(crs.EINTERNAL, "savepoint: %w", err)
		}
		t.wrote = false
	}
	defer func() {
		if p := recover(); p != nil {
			db.Logger.Error("command panicked", "panic", fmt.Sprint(p))
			err = crs.Errorf(crs.EINTERNAL, "the change could not be applied")
			t.wrote = true // whatever it left half done is undone
		}
		j.related, j.refusals = t.related, t.refusals
		clean = err != nil && !t.wrote && !isDatabaseError(err)
		if !savepoint {
			if clean {
				buf.rollback()
			}
			return
		}
		if err != nil {
			if _, rbErr := sp.Exec(`ROLLBACK TO SAVEPOINT cmd`); rbErr != nil {
				db.Logger.Error("rollback to savepoint", "err", rbErr)
			}
			buf.rollback()
		}
		// The savepoint is not released: the commit releases the batch's
		// savepoints together, one statement fewer per command. A later
		// command's ROLLBACK TO finds its own savepoint, the newest of the
		// name, and undoes only what came after it.
	}()
	if err = j.fn(t); err != nil {
		return false, err
	}
	if len(t.events) == 0 {
		return false, crs.Errorf(crs.EINTERNAL, "a command changed the record without appending an event")
	}
	j.events = t.events
	return false, nil
}

// Context is the context of the command being applied.
func (tx *Tx) Context() context.Context { return tx.ctx }

// Emit appends the event and its audit record, and runs the event hooks.
// It fills in the event's ID, organisation, actor and times (EffectiveAt
// defaults to now). what says what was changed, for the audit trail.
func (tx *Tx) Emit(ev *crs.Event, what string) error { return tx.emit(ev, what, nil) }

// emit is Emit with the patients the audit record names when the change
// is about more than one (see audit_listed.go); what then ends with the
// hash of their ids (listedWhat).
func (tx *Tx) emit(ev *crs.Event, what string, listed []string) error {
	ev.ID = crs.NewID()
	ev.OrgID = tx.actor.OrgID
	ev.UserID, ev.Username, ev.Role = tx.actor.UserID, tx.actor.Username, tx.actor.Role
	ev.RecordedAt = tx.now
	if ev.EffectiveAt.IsZero() {
		ev.EffectiveAt = tx.now
	}
	if len(ev.Data) == 0 {
		ev.Data = json.RawMessage("{}")
	}
	rec := &crs.AuditRecord{
		ID: crs.NewID(), OrgID: ev.OrgID, At: tx.now, UserID: ev.UserID, Username: ev.Username, Role: ev.Role,
		PatientID: ev.PatientID, Action: crs.AuditChange, What: what, Purpose: tx.actor.Purpose, EventID: ev.ID, Listed: listed,
	}
	if err := appendEvent(tx, ev, rec); err != nil {
		return err
	}
	tx.db.hooksMu.RLock()
	hooks := tx.db.hooks
	tx.db.hooksMu.RUnlock()
	for _, h := range hooks {
		if err := h(tx, ev); err != nil {
			return err
		}
	}
	tx.events = append(tx.events, ev)
	return nil
}

// EmitData is Emit with the event's data marshalled from v.
func (tx *Tx) EmitData(ev *crs.Event, what string, v any) error {
	return tx.emitListed(ev, what, v, nil)
}

// emitListed is EmitData with the patients the audit record names (see
// emit).
func (tx *Tx) emitListed(ev *crs.Event, what string, v any, listed []string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "encode event data: %w", err)
	}
	ev.Data = b
	return tx.emit(ev, what, listed)
}

// execer runs a statement: a *Tx (through the statement cache) or a
// *sql.Tx.
type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
}

// Audit records a read or other access that changed nothing. The record
// is group-committed with the next batch of writes, within milliseconds,
// so reads never wait on a disk sync; Close writes any still pending.
// It is written in a block, which gives it its id (writeBlocks).
func (db *DB) Audit(a crs.Actor, patientID, action, what string) {
	r := &crs.AuditRecord{
		OrgID: a.OrgID, At: db.Clock.Now().UTC(), UserID: a.UserID, Username: a.Username,
		Role: a.Role, PatientID: patientID, Action: action, What: what, Purpose: a.Purpose,
	}
	db.queueAudit(r)
}

// queueAudit hands a record to the writer that group-commits it.
func (db *DB) queueAudit(r *crs.AuditRecord) {
	select {
	case db.auditBuf <- r:
	case <-db.stop:
		db.Logger.Error("audit record after close", "user", r.UserID, "patient", r.PatientID, "action", r.Action)
		return
	}
	if len(db.auditBuf) >= 4*maxBatch {
		select {
		case db.auditFull <- struct{}{}: // a batch to commit without waiting out the linger
		default:
		}
	}
}

// refused audits an access refused for want of the activity.
func (db *DB) refused(a crs.Actor, act crs.Activity) {
	if a.OrgID == "" {
		return
	}
	db.Audit(a, "", crs.AuditRefused, string(act))
}

// View checks that the actor may carry out act, runs fn to read and audits
// the read of the patient's record as what.
// A read of the clinical record (ActViewClinical) passes the one
// clinical access check first (legitimate relationship, seals).
func (db *DB) View(ctx context.Context, a crs.Actor, act crs.Activity, patientID, what string, fn func(q Querier) error) error {
	if act == crs.ActViewClinical {
		if err := db.checkClinical(ctx, a, patientID); err != nil {
			return err
		}
	} else if err := a.Authorize(act); err != nil {
		db.refused(a, act)
		return err
	}
	if err := fn(db.read); err != nil {
		return err
	}
	db.Audit(a, patientID, crs.AuditView, what)
	return nil
}

// Querier is what reads need: a *sql.DB or a *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Reader returns the connection pool for reads that need no audit, such
// as aggregate reports.
func (db *DB) Reader() Querier { return db.read }
