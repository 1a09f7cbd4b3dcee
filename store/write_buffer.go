package store

import (
	"context"
	"database/sql"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/opencrs/crs"
)

// On SQLite the committer writes the events and audit records of a batch
// together (on PostgreSQL a command's own are written just before its
// commit, see runPooled): Emit adds them to the batch's appendBuffer, and the buffer is
// written with one multi-row INSERT per table (in chunks) just before the
// batch commits, not with two statements for every event. Each statement
// costs the single writer more than the rows it adds, so this takes two
// statements off every command.
//
// Nothing else changes: the rows are in the same transaction as the
// change they record, a command that fails leaves none of its rows (its
// part of the buffer is dropped, and what its savepoint undid is written
// again), and a statement of a command that reads the events or audit
// tables first writes the buffer, so a command sees its own events.

// appendBuffer holds the events and audit records of a batch not yet
// written, and how far each list has been written.
type appendBuffer struct {
	events []*crs.Event
	audits []*crs.AuditRecord
	// access are the access records the committer took from the queue,
	// written in blocks (writeBlocks) when the batch's commands have run;
	// wroteAccess counts those written.
	access      []*crs.AuditRecord
	wroteAccess int
	// wroteEvents and wroteAudits count the rows of each list already in
	// the database.
	wroteEvents, wroteAudits int
	// The current command's marks: where its rows start, and how many
	// rows were written before its savepoint.
	markEvents, markAudits     int
	beforeEvents, beforeAudits int
	// err is a failed write of the buffer: the batch cannot commit.
	err error
	// yield says the batch is read-audit records alone, written with the
	// committer yielding its processor between chunks (writeRows): a
	// linger's thousand records held it 5-13 ms, and the requests the Go
	// scheduler had queued on that processor waited until it ended, the
	// reads' 99th percentile at 64 clients. A batch of commands does not
	// yield: the committer is what they wait for.
	yield bool
	// counters are the counters the batch's commands moved, and
	// markCounters them as the current command found them (see
	// allocateIn).
	counters, markCounters []batchCounter
}

// batchCounter is a counter a batch moved: the value its commands took
// it to, and the value the database holds.
type batchCounter struct {
	org, name      string
	value, written int64
}

// begin marks the start of a command.
func (b *appendBuffer) begin() {
	b.markEvents, b.markAudits = len(b.events), len(b.audits)
	b.beforeEvents, b.beforeAudits = b.wroteEvents, b.wroteAudits
	b.markCounters = append(b.markCounters[:0], b.counters...)
}

// rollback drops the rows of a command that failed, after its savepoint
// was rolled back: the rows of earlier commands that were written within
// the savepoint are written again with the next flush.
func (b *appendBuffer) rollback() {
	b.events, b.audits = b.events[:b.markEvents], b.audits[:b.markAudits]
	b.wroteEvents, b.wroteAudits = b.beforeEvents, b.beforeAudits
	b.counters = append(b.counters[:0], b.markCounters...)
}

// allocateIn is allocate on SQLite's one writer. The first command of a
// batch to move a counter moves it in the database (and reads it); the
// later ones move it here, and writeCounters writes where they took it
// once, before the batch commits: one statement a batch, not one a
// registration. A command that fails takes its moves with it, as its
// savepoint takes its statements (rollback), so the numbers have no
// gaps, as before.
func (b *appendBuffer) allocateIn(tx *Tx, orgID, name string, n int) (int64, error) {
	for i := range b.counters {
		if c := &b.counters[i]; c.org == orgID && c.name == name {
			c.value += int64(n)
			return c.value, nil
		}
	}
	var last int64
	if err := tx.QueryRow(allocateSQL, orgID, name, n).Scan(&last); err != nil {
		return 0, err
	}
	b.counters = append(b.counters, batchCounter{org: orgID, name: name, value: last, written: last})
	return last, nil
}

// writeCounters writes the counters the batch moved past what the
// database holds.
func (b *appendBuffer) writeCounters(tx *Tx) error {
	for i := range b.counters {
		c := &b.counters[i]
		if c.value == c.written {
			continue
		}
		if _, err := tx.exec(context.Background(), `UPDATE counters SET value = $1 WHERE org_id = $2 AND name = $3`, c.value, c.org, c.name); err != nil {
			return crs.Errorf(crs.EINTERNAL, "move counter %s: %w", c.name, err)
		}
		c.written = c.value
	}
	return nil
}

// reset empties the buffer, for a transaction rolled back whole.
func (b *appendBuffer) reset() { *b = appendBuffer{} }

// pending says whether rows wait to be written.
func (b *appendBuffer) pending() bool {
	return b.wroteEvents < len(b.events) || b.wroteAudits < len(b.audits) || b.wroteAccess < len(b.access)
}

// readsAppended says whether a statement may read the tables the buffer
// writes: whether it names events or audit as a word (rtt_events is
// another table). A false yes only writes the buffer early. The answer
// is kept by statement text (statements are few and met again and
// again), so a command's statements are not read through each time.
func readsAppended(query string) bool {
	if r, ok := readsAppendedOf.Load(query); ok {
		return r.(bool)
	}
	r := namesWord(query, "events") || namesWord(query, "audit")
	if readsAppendedCount.Add(1) <= maxCachedStatements*4 {
		readsAppendedOf.Store(query, r)
	}
	return r
}

// readsAppendedOf holds readsAppended's answers by statement text, at
// most maxCachedStatements*4 of them (readsAppendedCount counts them).
var (
	readsAppendedOf    sync.Map
	readsAppendedCount atomic.Int64
)

// namesWord says whether w occurs in s other than as part of a longer
// name.
func namesWord(s, w string) bool {
	isName := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		if (start == 0 || !isName(s[start-1])) && (end == len(s) || !isName(s[end])) {
			return true
		}
		i = end
	}
}

// flush writes the rows of the buffer not yet written, in the
// transaction of tx.
func (b *appendBuffer) flush(tx *Tx) error {
	if b.err != nil {
		return b.err
	}
	if tx.db.pooled() {
		// PostgreSQL: one command's rows, an audit record for each event,
		// the pairs written together (writeEventsPooled).
		start := b.wroteEvents
		if err := writeEventsPooled(tx, b.events[start:], b.audits[start:len(b.events)]); err != nil {
			b.err = err
			return err
		}
		b.wroteEvents = len(b.events)
		b.wroteAudits = b.wroteEvents
		if err := writeListedNumbered(context.Background(), tx.Tx, b.audits[start:b.wroteAudits]); err != nil {
			b.err = crs.Errorf(crs.EINTERNAL, "append audit records: %w", err)
			return b.err
		}
		return nil
	}
	if err := writeRows(tx, b.events, &b.wroteEvents, eventColumns, insertEventsSQL, eventArgs, b.yield); err != nil {
		b.err = crs.Errorf(crs.EINTERNAL, "append events: %w", err)
		return b.err
	}
	if b.wroteAudits == len(b.audits) && b.wroteAccess == len(b.access) {
		return nil
	}
	// The records are chained as they are written, from the heads as the
	// transaction has them now: records a rolled-back savepoint took away
	// are chained again when they are written again. The rows first,
	// then the blocks of access records.
	start := b.wroteAudits
	heads, err := readAuditHeads(tx, b.audits[start:], b.access[b.wroteAccess:])
	if err == nil && start < len(b.audits) {
		var cs []chainedAudit
		cs, err = linkAudits(context.Background(), tx, b.audits[start:], heads)
		if err == nil {
			wrote := 0
			err = writeRows(tx, cs, &wrote, auditColumns, insertAuditsSQL, chainArgs, b.yield)
			b.wroteAudits += wrote
		}
		if err == nil {
			err = writeListed(func(q string, args ...any) error {
				_, err := tx.exec(context.Background(), q, args...)
				return err
			}, b.audits[start:b.wroteAudits], insertListedAnon)
		}
	}
	if err == nil && b.wroteAccess < len(b.access) {
		if err = writeBlocks(context.Background(), tx, tx.db.dialect, b.access[b.wroteAccess:], heads); err == nil {
			b.wroteAccess = len(b.access)
		}
	}
	if err != nil {
		b.err = crs.Errorf(crs.EINTERNAL, "append audit records: %w", err)
		return b.err
	}
	return nil
}

// readAuditHeads reads the chain heads of the trusts of the records of the lists, on
// SQLite, for linkAudits. The one writer holds every head already, so a
// head is read, not locked with a write as lockAuditHead does; a trust
// with no head yet is left to linkAudits to start.
func readAuditHeads(tx *Tx, lists ...[]*crs.AuditRecord) (map[string]*auditHead, error) {
	heads := map[string]*auditHead{}
	for _, rs := range lists {
		for _, r := range rs {
			if _, ok := heads[r.OrgID]; ok {
				continue
			}
			h := &auditHead{}
			err := tx.QueryRow(`SELECT seq, hash FROM audit_heads WHERE org_id = $1`, r.OrgID).Scan(&h.seq, &h.hash)
			switch {
			case err == sql.ErrNoRows:
				h = nil
			case err != nil:
				return nil, crs.Errorf(crs.EINTERNAL, "read the audit chain: %w", err)
			}
			heads[r.OrgID] = h
		}
	}
	return heads, nil
}

// writeRows writes rows[*wrote:] in chunks with the INSERTs of inserts,
// counting in wrote the rows written.
func writeRows[T any](tx *Tx, rows []T, wrote *int, cols int, inserts map[int]string, rowArgs func(T) []any, yield bool) error {
	for *wrote < len(rows) {
		n := chunk(len(rows) - *wrote)
		args := make([]any, 0, n*cols)
		for _, r := range rows[*wrote : *wrote+n] {
			args = append(args, rowArgs(r)...)
		}
		if _, err := tx.exec(context.Background(), inserts[n], args...); err != nil {
			return err
		}
		*wrote += n
		if yield && *wrote < len(rows) {
			runtime.Gosched() // see appendBuffer.yield
		}
	}
	return nil
}

// maxChunk is the most rows one INSERT of the buffer writes. Chunks are
// powers of two, so a handful of statement texts, each prepared once,
// write any number of rows.
const maxChunk = 64

// chunk is the size of the next chunk to write of n rows.
func chunk(n int) int {
	c := maxChunk
	for c > n {
		c /= 2
	}
	return c
}

const (
	eventColumns = 12
	auditColumns = 14 // with the chain's seq, prev_hash and hash
)

// insertEventsSQL and insertAuditsSQL hold the INSERT of each chunk size.
// They are SQLite's INSERT OR FAIL (see bulkInsert): a multi-row INSERT
// that could abort half way keeps a statement journal, a copy of every
// page it changes, which for the read-audit records of a batch (the
// patient index a random page a record) was a twentieth of a FHIR read's
// CPU. A row refused fails the batch's flush, and the batch or the
// command is undone whole.
var insertEventsSQL, insertAuditsSQL = multiRowInserts(
	`INSERT OR FAIL INTO events (`+eventColumnNames+`) VALUES `, eventColumns),
	multiRowInserts(`INSERT OR FAIL INTO audit (`+auditChainCols+`) VALUES `, auditColumns)

// multiRowInserts makes the INSERT of 1, 2, 4 ... maxChunk rows of cols
// columns, by row count. The buffer is SQLite's alone, so its parameters
// are anonymous, which SQLite binds in linear time (see placeholders in
// import.go).
func multiRowInserts(head string, cols int) map[int]string {
	return chunkInserts(head, cols, true)
}

// chunkInserts makes the INSERT of 1, 2, 4 ... maxChunk rows of cols
// columns, with anonymous parameters or numbered ones ($1...).
func chunkInserts(head string, cols int, anon bool) map[int]string {
	out := map[int]string{}
	for n := 1; n <= maxChunk; n *= 2 {
		out[n] = head + placeholderRows(n, cols, 1, anon)
	}
	return out
}

func eventArgs(ev *crs.Event) []any {
	return []any{ev.ID, ev.OrgID, ev.Type, ev.PatientID, ev.SubjectID, ev.UserID, ev.Username, string(ev.Role),
		formatTime(ev.RecordedAt), formatTime(ev.EffectiveAt), ev.Summary, string(ev.Data)}
}

func auditArgs(r *crs.AuditRecord) []any {
	return []any{r.ID, r.OrgID, formatTime(r.At), r.UserID, r.Username, string(r.Role), r.PatientID, r.Action, r.What, r.Purpose, r.EventID}
}
