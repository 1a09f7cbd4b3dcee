package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/internal/jsontext"
)

// On SQLite the committer writes the records of accesses (reads,
// searches, refusals) a block a commit: a trust's records of the commit
// in one row of audit_blocks, one link of the trust's chain (migration
// 0136). Records a change or a list wrote stay rows of audit: rows of
// other tables name them by id. Every reader of the trail reads both:
// audit_trail, a view, shows each record of a block as a row, and the
// readers that must not read the whole trail (a patient's, the newest
// page, a record by id) read the blocks through their indexes.

// blockable says whether the committer writes r in a block: an access
// record, with no event and no list of patients beside it.
func blockable(r *crs.AuditRecord) bool { return r.EventID == "" && len(r.Listed) == 0 }

// maxBlock is the most records a block holds: a patient's trail reads
// each block that names them whole.
const maxBlock = 256

// blockRecordCols are the columns auditColumnNames names, of a record r
// held in a block b (FROM audit_blocks b, json_each(b.records) r).
const blockRecordCols = `r.value ->> 0, b.org_id, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5, r.value ->> 6, r.value ->> 7, r.value ->> 8, ''`

// blockField is the expression of a record's column in a block, by the
// column's name in audit.
var blockField = map[string]string{
	"id": "r.value ->> 0", "at": "r.value ->> 1", "user_id": "r.value ->> 2", "username": "r.value ->> 3",
	"role": "r.value ->> 4", "patient_id": "r.value ->> 5", "action": "r.value ->> 6", "what": "r.value ->> 7", "purpose": "r.value ->> 8",
}

// writeBlocks chains and writes the access records rs in blocks, in tx:
// each trust's records in the order they were queued, up to maxBlock a
// block. Each record is given its id here, so that ids rise through a
// block and from one block to the next. heads are the trusts' chain
// heads as the transaction has them (readAuditHeads, moved on by
// linkAudits): a trust without one has it started.
func writeBlocks(tx *Tx, rs []*crs.AuditRecord, heads map[string]*auditHead) error {
	ctx := context.Background()
	var orgs []string
	byOrg := map[string][]*crs.AuditRecord{}
	for _, r := range rs {
		if _, ok := byOrg[r.OrgID]; !ok {
			orgs = append(orgs, r.OrgID)
		}
		byOrg[r.OrgID] = append(byOrg[r.OrgID], r)
	}
	var text []byte
	for _, org := range orgs {
		h := heads[org]
		if h == nil {
			var err error
			if h, err = lockAuditHead(ctx, tx, org); err != nil {
				return err
			}
			heads[org] = h
		}
		for recs := byOrg[org]; len(recs) > 0; {
			n := min(len(recs), maxBlock)
			var b auditBlock
			text, b = encodeBlock(text[:0], recs[:n])
			b.seq, b.prev = h.seq+1, h.hash
			b.hash = blockHash(b.prev, b.seq, org, text)
			if _, err := tx.exec(ctx, `INSERT INTO audit_blocks (org_id, seq, first_id, last_id, min_at, max_at, records, prev_hash, hash)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, org, b.seq, b.firstID, b.lastID, b.minAt, b.maxAt, string(text), b.prev, b.hash); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `INSERT INTO audit_block_terms (rowid, t, n) VALUES (last_insert_rowid(), $1, last_insert_rowid())`, blockTerms(recs[:n])); err != nil {
				return err
			}
			h.seq, h.hash = b.seq, b.hash
			recs = recs[n:]
		}
		if err := saveAuditHead(ctx, tx, org, h); err != nil {
			return err
		}
	}
	return nil
}

// auditBlock is a block's place in its chain and the bounds of its
// records.
type auditBlock struct {
	seq             int64
	prev, hash      string
	firstID, lastID string
	minAt, maxAt    string
}

// encodeBlock gives each record its id and appends the records to text
// as a block holds them: a JSON array of arrays of id, at, user_id,
// username, role, patient_id, action, what and purpose.
func encodeBlock(text []byte, rs []*crs.AuditRecord) ([]byte, auditBlock) {
	var b auditBlock
	text = append(text, '[')
	for i, r := range rs {
		r.ID = crs.NewID()
		at := formatTime(r.At)
		if i == 0 {
			b.firstID, b.minAt, b.maxAt = r.ID, at, at
		} else {
			text = append(text, ',')
		}
		b.lastID = r.ID
		b.minAt, b.maxAt = min(b.minAt, at), max(b.maxAt, at)
		text = append(text, '[')
		for j, s := range [...]string{r.ID, at, r.UserID, r.Username, string(r.Role), r.PatientID, r.Action, r.What, r.Purpose} {
			if j > 0 {
				text = append(text, ',')
			}
			text = jsontext.AppendString(text, s)
		}
		text = append(text, ']')
	}
	return append(text, ']'), b
}

// blockHash is the hash of a block at seq after the link with hash prev,
// over its trust and its records' text as stored.
func blockHash(prev string, seq int64, org string, records []byte) string {
	h := sha256.New()
	h.Write(appendHashed(appendLinkHead(make([]byte, 0, 128), "crs-audit-block-v1", prev, seq), org))
	h.Write(records)
	return hex.EncodeToString(h.Sum(nil))
}

// blockTerms is the text audit_block_terms indexes a block by: a term
// for each patient its records name (p and the patient's id in
// hexadecimal) and for each of their users' ids and names (u and the
// value in hexadecimal), each once.
func blockTerms(rs []*crs.AuditRecord) string {
	patients, users := map[string]bool{}, map[string]bool{}
	var b []byte
	add := func(seen map[string]bool, kind byte, v string) {
		if v == "" || seen[v] {
			return
		}
		seen[v] = true
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = appendBlockTerm(b, kind, v)
	}
	for _, r := range rs {
		add(patients, 'p', r.PatientID)
		add(users, 'u', r.UserID)
		add(users, 'u', r.Username)
	}
	return string(b)
}

// appendBlockTerm appends the term of a patient (kind p) or a user (kind
// u) in audit_block_terms: the kind and the value in hexadecimal.
func appendBlockTerm(b []byte, kind byte, v string) []byte {
	const digits = "0123456789ABCDEF"
	b = append(b, kind)
	for i := 0; i < len(v); i++ {
		b = append(b, digits[v[i]>>4], digits[v[i]&0xF])
	}
	return b
}

// blockTermQuery is the full-text query of the blocks that name any of
// vs as kind: each term quoted, joined by OR.
func blockTermQuery(kind byte, vs ...string) string {
	terms := make([]string, len(vs))
	for i, v := range vs {
		terms[i] = `"` + string(appendBlockTerm(nil, kind, v)) + `"`
	}
	return strings.Join(terms, " OR ")
}

// auditSince is a FROM of the trust's audit records made since a time
// ($1 the trust, $2 the time): the rows of audit and, on SQLite, the
// records of the blocks whose last record was made at or after it.
func (db *DB) auditSince() string {
	if db.dialect.name != "sqlite" {
		return "audit"
	}
	return `(SELECT ` + auditColumnNames + ` FROM audit WHERE org_id = $1 AND at >= $2
		UNION ALL SELECT ` + blockRecordCols + ` FROM audit_blocks b, json_each(b.records) r WHERE b.org_id = $1 AND b.max_at >= $2) AS trail`
}

// chainBlock is a block of a trust's chain as stored.
type chainBlock struct {
	seq                                 int64
	firstID, lastID, minAt, maxAt, text string
	prev, hash                          string
}

// blockCursor reads a trust's blocks in the chain's order, for its
// verification: cur is the block read, nil past the last (and at once
// on PostgreSQL, which writes none).
type blockCursor struct {
	rows *sql.Rows
	cur  *chainBlock
}

// chainBlocks starts reading a trust's blocks, in q's snapshot.
func (db *DB) chainBlocks(ctx context.Context, q *sql.Tx, orgID string) (*blockCursor, error) {
	c := &blockCursor{}
	if db.dialect.name != "sqlite" {
		return c, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT seq, first_id, last_id, min_at, max_at, records, prev_hash, hash
		FROM audit_blocks WHERE org_id = $1 ORDER BY seq`, orgID)
	if err != nil {
		return nil, err
	}
	c.rows = rows
	return c, c.next()
}

// next reads the next block.
func (c *blockCursor) next() error {
	c.cur = nil
	if c.rows == nil {
		return nil
	}
	if !c.rows.Next() {
		return c.rows.Err()
	}
	k := &chainBlock{}
	if err := c.rows.Scan(&k.seq, &k.firstID, &k.lastID, &k.minAt, &k.maxAt, &k.text, &k.prev, &k.hash); err != nil {
		return err
	}
	c.cur = k
	return nil
}

func (c *blockCursor) close() {
	if c.rows != nil {
		c.rows.Close()
	}
}

// check checks a block of trust org against what it holds: its hash
// over its records' text, the records' form and order, and the bounds
// the block's columns give them (which the readers of the trail trust
// to pass over it). It returns how many records it holds and what is
// wrong, "" if nothing.
func (k *chainBlock) check(org string) (int, string) {
	var recs [][]string
	err := json.Unmarshal([]byte(k.text), &recs)
	if blockHash(k.prev, k.seq, org, []byte(k.text)) != k.hash {
		return len(recs), "its content was altered: its hash no longer matches the block of records it holds"
	}
	if err != nil || len(recs) == 0 {
		return 0, "its block holds no list of records"
	}
	first, last, minAt, maxAt := recs[0], recs[len(recs)-1], "", ""
	for i, r := range recs {
		if len(r) != 9 {
			return len(recs), fmt.Sprintf("record %d of its block has %d fields, not 9", i+1, len(r))
		}
		if i > 0 && r[0] <= recs[i-1][0] {
			return len(recs), fmt.Sprintf("the ids of its block's records do not rise at record %d", i+1)
		}
		if i == 0 || r[1] < minAt {
			minAt = r[1]
		}
		maxAt = max(maxAt, r[1])
	}
	if k.firstID != first[0] || k.lastID != last[0] || k.minAt != minAt || k.maxAt != maxAt {
		return len(recs), "the bounds of its block (first and last id, earliest and latest time) were changed: they no longer match its records, and readers of the trail may pass over them"
	}
	return len(recs), ""
}

// checkBlockIndex is VerifyAuditChain's check of the blocks' full-text
// index: each of the trust's blocks up to seq last has one entry. A block
// without its entry would be missing from its patients' and users'
// trails.
func checkBlockIndex(ctx context.Context, q Querier, orgID string, last int64, add func(crs.AuditChainBreak)) error {
	var blocks, entries int64
	err := q.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM audit_blocks WHERE org_id = $1 AND seq <= $2),
		(SELECT COUNT(*) FROM audit_block_terms f JOIN audit_blocks b ON b.n = f.n WHERE b.org_id = $1 AND b.seq <= $2)`,
		orgID, last).Scan(&blocks, &entries)
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "read the audit trail's index of blocks: %w", err)
	}
	countIndexed(add, last, blocks, entries,
		"%d of the %d blocks of access records are missing from the trail's index by patient and user: their patients' trails do not show them",
		"the trail's index of blocks holds %d entries more than its %d blocks")
	return nil
}

// countIndexed adds a break at seq last if an index of the trail holds
// fewer entries (got) than what it indexes (want), or more: missing and
// more say so, given the difference and want.
func countIndexed(add func(crs.AuditChainBreak), last, want, got int64, missing, more string) {
	switch {
	case got < want:
		add(crs.AuditChainBreak{Seq: last, Problem: fmt.Sprintf(missing, want-got, want)})
	case got > want:
		add(crs.AuditChainBreak{Seq: last, Problem: fmt.Sprintf(more, got-want, want)})
	}
}
