package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/opencrs/crs"
)

// The audit trail is tamper-evident. Each trust's audit records form a
// chain: record n holds seq n, the hash of record n-1 (prev_hash) and its
// own hash, SHA-256 over prev_hash, seq and every field of the record. The
// trust's head (audit_heads) holds the last seq and hash. Altering a
// record changes its hash; deleting one leaves a gap in seq and a
// prev_hash that matches nothing; slipping one in without chaining it
// leaves it outside the chain, and chaining it breaks the next record's
// prev_hash or the head. VerifyAuditChain finds each.
//
// On SQLite records are chained as they are written, inside the
// transaction that writes them: the single writer chains them in turn.
// On PostgreSQL commands write them unchained and the chainer
// (audit_chainer.go) chains them once committed; the audit writer
// chains the records of accesses as it writes them, in blocks
// (audit_blocks.go). A block is a link of the chain as a record is. Whoever chains reads
// its trust's head with a statement that locks the head row (an upsert
// that changes nothing), and the unique index on (org_id, seq) refuses a
// fork should two chainers ever meet.
//
// Records written before the chain existed are chained by the migration
// that added it (0059), in the order they were written.

// auditHead is a trust's place in its chain: the last seq and hash.
type auditHead struct {
	seq  int64
	hash string
}

// chainedAudit is an audit record with its place in the chain.
type chainedAudit struct {
	r    *crs.AuditRecord
	seq  int64
	prev string
	hash string
	// cols are the record's columns as hashed (auditArgs), kept for its
	// INSERT, so that they are made once a record; nil if not yet made.
	cols []any
}

// chainArgs are the INSERT values of a chained record: the record's
// columns, then seq, prev_hash and hash.
func chainArgs(c chainedAudit) []any {
	cols := c.cols
	if cols == nil {
		cols = auditArgs(c.r)
	}
	return append(cols[:len(cols):len(cols)], c.seq, c.prev, c.hash)
}

// auditChainCols are the columns chainArgs fills.
const auditChainCols = `id, org_id, at, user_id, username, role, patient_id, action, what, purpose, event_id, seq, prev_hash, hash`

// auditHash is the hash of a record at seq after the record with hash
// prev, over the record's columns as stored (auditArgs). Each value is
// written with its length, so no two records hash the same text.
func auditHash(prev string, seq int64, cols []any) string {
	b := appendLinkHead(make([]byte, 0, 512), "crs-audit-v1", prev, seq)
	for _, c := range cols {
		s, _ := c.(string)
		b = appendHashed(b, s)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// appendLinkHead appends what the hashed text of every link of the chain
// starts with: the tag of its kind, the hash of the link before and its
// place.
func appendLinkHead(b []byte, tag, prev string, seq int64) []byte {
	b = append(b, tag...)
	b = append(b, '\n')
	b = append(b, prev...)
	b = append(b, '\n')
	b = strconv.AppendInt(b, seq, 10)
	return append(b, '\n')
}

// appendHashed appends a value to a link's hashed text, with its
// length, so that no two links hash the same text.
func appendHashed(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	b = append(b, s...)
	return append(b, '\n')
}

// chainExecer runs the chain's statements: a *Tx or a *sql.Tx.
type chainExecer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// lockAuditHead reads a trust's head, creating it at the start of the
// chain if there is none, and locks it until the transaction ends.
func lockAuditHead(ctx context.Context, q chainExecer, orgID string) (*auditHead, error) {
	h := &auditHead{}
	err := q.QueryRowContext(ctx, `INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, 0, '')
		ON CONFLICT (org_id) DO UPDATE SET seq = audit_heads.seq RETURNING seq, hash`, orgID).Scan(&h.seq, &h.hash)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "lock the audit chain: %w", err)
	}
	return h, nil
}

// saveAuditHead writes a trust's head after records were chained.
func saveAuditHead(ctx context.Context, q chainExecer, orgID string, h *auditHead) error {
	if _, err := q.ExecContext(ctx, `UPDATE audit_heads SET seq = $1, hash = $2 WHERE org_id = $3`, h.seq, h.hash, orgID); err != nil {
		return crs.Errorf(crs.EINTERNAL, "move the audit chain on: %w", err)
	}
	return nil
}

// lockAuditHeads locks, in trust order, the heads of the trusts of the
// records rs that heads does not hold yet, and adds them to it; it
// returns the records' trusts, in that order. Locked in one order, two
// transactions that chain records of several trusts never wait on each
// other in a circle.
func lockAuditHeads(ctx context.Context, q chainExecer, heads map[string]*auditHead, rs []*crs.AuditRecord) ([]string, error) {
	var orgs []string
	seen := map[string]bool{}
	for _, r := range rs {
		if !seen[r.OrgID] {
			seen[r.OrgID] = true
			orgs = append(orgs, r.OrgID)
		}
	}
	sort.Strings(orgs)
	for _, org := range orgs {
		if heads[org] == nil {
			h, err := lockAuditHead(ctx, q, org)
			if err != nil {
				return nil, err
			}
			heads[org] = h
		}
	}
	return orgs, nil
}

// linkAudits gives each record its place in its trust's chain and moves
// the heads on, in q's transaction. The heads are locked in trust order
// (lockAuditHeads). cache, when not nil, keeps the heads locked by
// earlier calls in the same transaction, and is moved on with them.
func linkAudits(ctx context.Context, q chainExecer, rs []*crs.AuditRecord, cache map[string]*auditHead) ([]chainedAudit, error) {
	heads := cache
	if heads == nil {
		heads = map[string]*auditHead{}
	}
	orgs, err := lockAuditHeads(ctx, q, heads, rs)
	if err != nil {
		return nil, err
	}
	out := make([]chainedAudit, len(rs))
	for i, r := range rs {
		h := heads[r.OrgID]
		c := chainedAudit{r: r, seq: h.seq + 1, prev: h.hash, cols: auditArgs(r)}
		c.hash = auditHash(c.prev, c.seq, c.cols)
		h.seq, h.hash = c.seq, c.hash
		out[i] = c
	}
	for _, org := range orgs {
		if err := saveAuditHead(ctx, q, org, heads[org]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// insertAudits chains and writes audit records, in q's transaction: one
// INSERT per chunk of maxChunk records, with numbered parameters. On
// PostgreSQL the audit writer writes the records of changes and lists
// it is handed so, chained as they are written (see writeAudits);
// SQLite writes a command's own this way when it has no write buffer.
// heads, when not nil, are the heads the transaction holds already.
func insertAudits(ctx context.Context, q chainExecer, rs []*crs.AuditRecord, heads map[string]*auditHead) error {
	cs, err := linkAudits(ctx, q, rs, heads)
	if err != nil {
		return err
	}
	for i := 0; i < len(cs); {
		n := chunk(len(cs) - i)
		args := make([]any, 0, n*auditColumns)
		for _, c := range cs[i : i+n] {
			args = append(args, chainArgs(c)...)
		}
		if _, err := q.ExecContext(ctx, insertChainedSQL[n], args...); err != nil {
			return err
		}
		i += n
	}
	return writeListedNumbered(ctx, q, rs)
}

// insertChainedSQL holds the INSERT of 1, 2, 4 ... maxChunk chained
// records with numbered parameters, by row count.
var insertChainedSQL = chunkInserts(`INSERT INTO audit (`+auditChainCols+`) VALUES `, auditColumns, false)

// migrationHooks run in a migration's transaction after its statements:
// the work of a migration SQL cannot do.
var migrationHooks = map[int]func(ctx context.Context, tx *sql.Tx) error{
	59:  chainExistingAudit,
	73:  backfillCourses,
	78:  backfillCourseHeads,
	128: foldFamilyNames,
	129: foldGivenNames,
	145: cutLongIndexValues,
	148: referStaysAsServed,
	155: partFamilyNames,
}

// chainExistingAudit chains the audit records written before the chain
// existed, trust by trust, in the order they were written (time, then
// id). It runs once, in the migration that adds the chain.
func chainExistingAudit(ctx context.Context, tx *sql.Tx) error {
	orgs, err := queryRows(ctx, tx, func(r scanner) (string, error) {
		var s string
		return s, r.Scan(&s)
	}, `SELECT DISTINCT org_id FROM audit WHERE seq IS NULL`)
	if err != nil {
		return err
	}
	for _, org := range orgs {
		rs, err := queryRows(ctx, tx, scanAuditRow, `SELECT `+auditColumnNames+` FROM audit WHERE org_id = $1 AND seq IS NULL ORDER BY at, id`, org)
		if err != nil {
			return err
		}
		cs, err := linkAudits(ctx, tx, rs, nil)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if _, err := tx.ExecContext(ctx, `UPDATE audit SET seq = $1, prev_hash = $2, hash = $3 WHERE id = $4`, c.seq, c.prev, c.hash, c.r.ID); err != nil {
				return fmt.Errorf("chain audit record %s: %w", c.r.ID, err)
			}
		}
	}
	return nil
}

// auditColumnNames are the columns of an audit record scanAuditRow reads.
const auditColumnNames = `id, org_id, at, user_id, username, role, patient_id, action, what, purpose, event_id`

func scanAuditRow(row scanner) (*crs.AuditRecord, error) {
	var r crs.AuditRecord
	var at, role string
	err := row.Scan(&r.ID, &r.OrgID, &at, &r.UserID, &r.Username, &role, &r.PatientID, &r.Action, &r.What, &r.Purpose, &r.EventID)
	r.At, r.Role = parseTime(at), crs.Role(role)
	return &r, err
}

// VerifyAuditChain checks a trust's audit chain from its first record to
// its head, once the records committed before it was called are chained,
// and says where it breaks: a record whose content no longer
// matches its hash (altered), a gap in seq or a prev_hash that does not
// match the record before (a record deleted or slipped in), a record
// outside the chain (inserted without it), or a head past the last
// record (records deleted from the end). It reads; it changes nothing.
func (db *DB) VerifyAuditChain(ctx context.Context, orgID string) (*crs.AuditChainCheck, error) {
	if err := db.chainCommitted(ctx); err != nil {
		return nil, err
	}
	// One snapshot for the head, the records and the listed patients, so
	// records committed while the check reads are neither half seen nor
	// taken for a break.
	opts := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	if db.dialect.name == "sqlite" {
		opts = nil // a read transaction is one snapshot from its first read
	}
	snap, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer snap.Rollback()
	c := &crs.AuditChainCheck{OrgID: orgID}
	add := func(b crs.AuditChainBreak) {
		if len(c.Breaks) >= crs.MaxAuditBreaks {
			c.MoreBreaks = true
			return
		}
		c.Breaks = append(c.Breaks, b)
	}
	err = snap.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE org_id = $1`, orgID).Scan(&c.HeadSeq, &c.HeadHash)
	if err != nil && err != sql.ErrNoRows {
		return nil, err
	}
	listed, err := listedHashes(ctx, snap, orgID)
	if err != nil {
		return nil, err
	}
	rows := &chainPages[*chainRow]{ctx: ctx, q: snap, org: orgID, size: 1000, after: math.MinInt64,
		query: `SELECT ` + auditColumnNames + `, seq, prev_hash, hash FROM audit WHERE org_id = $1 AND seq > $2 ORDER BY seq`,
		scan:  scanChainRow, seq: func(w *chainRow) int64 { return w.seq }}
	blocks := db.chainBlocks(ctx, snap, orgID)
	var want int64 = 1
	var named int64 // chained access records that name a patient, in rows
	prev := ""
	// follows checks that a link of the chain, a record or a block,
	// comes where the chain has got to.
	follows := func(b crs.AuditChainBreak, seq int64, prevHash string) {
		switch {
		case seq > want:
			b.Problem = fmt.Sprintf("records %s missing before it: deleted", seqRange(want, seq-1))
			add(b)
		case seq < want:
			b.Problem = "it repeats a place in the chain already taken"
			add(b)
		case prevHash != prev:
			b.Problem = "it does not follow the record before it (prev_hash differs): a record before it was changed, deleted or inserted"
			add(b)
		}
	}
	row, err := rows.next()
	var block *chainBlock
	if err == nil {
		block, err = blocks.next()
	}
	for err == nil && (row != nil || block != nil) {
		if k := block; k != nil && (row == nil || k.seq < row.seq) {
			b := crs.AuditChainBreak{RecordID: k.firstID, Seq: k.seq, At: parseTime(k.minAt)}
			follows(b, k.seq, k.prev)
			n, problem := k.check(orgID)
			c.Records += n
			c.Links++
			if problem != "" {
				b.Problem = problem
				add(b)
			}
			want, prev = k.seq+1, k.hash
			block, err = blocks.next()
			continue
		}
		r := &row.r
		c.Records++
		c.Links++
		b := crs.AuditChainBreak{RecordID: r.ID, Seq: row.seq, At: r.At}
		follows(b, row.seq, row.prev)
		if auditHash(row.prev, row.seq, []any{r.ID, r.OrgID, row.at, r.UserID, r.Username, row.role, r.PatientID, r.Action, r.What, r.Purpose, r.EventID}) != row.hash {
			b.Problem = "its content was altered: its hash no longer matches what it holds"
			add(b)
		}
		got, ok := listed[r.ID]
		delete(listed, r.ID)
		if p := listedProblem(r.What, got, ok); p != "" {
			b.Problem = p
			add(b)
		}
		if r.PatientID != "" && r.EventID == "" {
			named++
		}
		want, prev = row.seq+1, row.hash
		row, err = rows.next()
	}
	if err != nil {
		return nil, err
	}
	last := want - 1
	switch {
	case c.HeadSeq > last:
		add(crs.AuditChainBreak{Seq: c.HeadSeq, Problem: fmt.Sprintf("records %s are missing from the end of the chain: deleted", seqRange(last+1, c.HeadSeq))})
	case c.HeadSeq < last:
		add(crs.AuditChainBreak{Seq: last, Problem: fmt.Sprintf("the chain runs past its head (%d): records were added outside the write path", c.HeadSeq)})
	case c.HeadHash != prev:
		add(crs.AuditChainBreak{Seq: last, Problem: "the last record does not match the trust's head hash: it was changed or replaced"})
	}
	if err := db.checkPatientIndex(ctx, snap, orgID, named, last, add); err != nil {
		return nil, err
	}
	outside, err := queryRows(ctx, snap, scanAuditRow, `SELECT `+auditColumnNames+` FROM audit WHERE org_id = $1 AND seq IS NULL ORDER BY at, id LIMIT $2`,
		orgID, crs.MaxAuditBreaks+1)
	if err != nil {
		return nil, err
	}
	for _, r := range outside {
		add(crs.AuditChainBreak{RecordID: r.ID, At: r.At, Problem: "it is outside the chain: inserted without being chained"})
		delete(listed, r.ID)
	}
	for _, id := range slices.Sorted(maps.Keys(listed)) {
		add(crs.AuditChainBreak{RecordID: id, Problem: fmt.Sprintf("%d listed patients name a list record the trail does not hold: inserted or the record deleted", listed[id].n)})
	}
	return c, nil
}

// chainRow is a chained record of the table as stored.
type chainRow struct {
	r                    crs.AuditRecord
	at, role, prev, hash string
	seq                  int64
}

func scanChainRow(row scanner) (*chainRow, error) {
	var w chainRow
	r := &w.r
	err := row.Scan(&r.ID, &r.OrgID, &w.at, &r.UserID, &r.Username, &w.role, &r.PatientID, &r.Action, &r.What, &r.Purpose, &r.EventID,
		&w.seq, &w.prev, &w.hash)
	r.At, r.Role = parseTime(w.at), crs.Role(w.role)
	return &w, err
}

// chainPages reads a trust's links of one kind (records of the table,
// or blocks) in the chain's order, a page of size at a time, each
// page's query read to its end before the next is sent: the check reads
// the two kinds side by side in one transaction, and PostgreSQL's
// connection answers one query at a time. query selects the links after
// a place ($1 the trust, $2 the seq), in order; seq gives a link's.
// after starts below every place, so that a link forged at no place
// (seq 0 or less) is read too.
type chainPages[T any] struct {
	ctx   context.Context
	q     Querier
	org   string
	query string
	size  int
	scan  func(scanner) (T, error)
	seq   func(T) int64
	page  []T
	after int64
	ended bool
}

// next returns the next link, the zero T past the last.
func (p *chainPages[T]) next() (T, error) {
	var zero T
	if len(p.page) == 0 && !p.ended {
		page, err := queryRows(p.ctx, p.q, p.scan, p.query+` LIMIT `+itoa(p.size), p.org, p.after)
		if err != nil {
			return zero, err
		}
		p.page, p.ended = page, len(page) < p.size
		if len(page) > 0 {
			p.after = p.seq(page[len(page)-1])
		}
	}
	if len(p.page) == 0 {
		return zero, nil
	}
	v := p.page[0]
	p.page = p.page[1:]
	return v, nil
}

// seqRange writes a run of places in the chain: "7" or "7 to 9".
func seqRange(from, to int64) string {
	if from == to {
		return strconv.FormatInt(from, 10)
	}
	return strconv.FormatInt(from, 10) + " to " + strconv.FormatInt(to, 10)
}
