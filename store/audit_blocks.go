package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/internal/jsontext"
)

// The records of accesses (reads, searches, refusals) are written a
// block at a time: a trust's records of a transaction in one row of
// audit_blocks, one link of the trust's chain (migrations 0136, 0137).
// On SQLite the committer writes them, a block a commit; on PostgreSQL
// the audit writer, a block a gathering (writeAudits). Records a change
// or a list wrote stay rows of audit: rows of other tables name them by
// id. Every reader of the trail reads both: audit_trail, a view, shows
// each record of a block as a row, and the readers that must not read
// the whole trail (a patient's, the newest page, a record by id) read
// the blocks through their indexes. What differs between the engines,
// how a block's records are read and how its index by patient and user
// is, is in dialect.go.

// blockable says whether r is written in a block (by the committer on
// SQLite, by the audit writer on PostgreSQL): an access record, with no
// event and no list of patients beside it.
func blockable(r *crs.AuditRecord) bool { return r.EventID == "" && len(r.Listed) == 0 }

// maxBlock is the most records a block holds. A patient's trail reads
// each block that names them whole, so a block's size is what a trail
// pays for the writer's saving: a trail of 300 records among 200,000
// took 39 ms with blocks of 256, 14 ms of 64, 8.4 ms of 32 (4.4 ms a row
// a record), while the writer's cost a record rose from 4.3 us to 4.7-5.1
// (`go test -run X -bench 'BenchmarkPatientAccess$|BenchmarkReadAudit$'
// ./store/`).
const maxBlock = 32

// blockRecordCols are the columns auditColumnNames names, of a record r
// held in a block b (FROM audit_blocks b, dialect.blockRecords).
const blockRecordCols = `r.value ->> 0, b.org_id, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5, r.value ->> 6, r.value ->> 7, r.value ->> 8, ''`

// blockField is the expression of a record's column in a block, by the
// column's name in audit.
var blockField = map[string]string{
	"id": "r.value ->> 0", "at": "r.value ->> 1", "user_id": "r.value ->> 2", "username": "r.value ->> 3",
	"role": "r.value ->> 4", "patient_id": "r.value ->> 5", "action": "r.value ->> 6", "what": "r.value ->> 7", "purpose": "r.value ->> 8",
}

// writeBlocks chains and writes the access records rs in blocks, in q's
// transaction: each trust's records in the order they were queued, up to
// maxBlock a block. Each record is given its id here, so that ids rise
// through a block and from one block to the next. heads are the trusts'
// chain heads as the transaction has them (readAuditHeads or
// lockAuditHeads, moved on by linkAudits); the heads of trusts without
// one there are locked, in trust order, and started if new.
func writeBlocks(ctx context.Context, q chainExecer, d dialect, rs []*crs.AuditRecord, heads map[string]*auditHead) error {
	orgs, err := lockAuditHeads(ctx, q, heads, rs)
	if err != nil {
		return err
	}
	exec := q.ExecContext
	if tx, ok := q.(*Tx); ok {
		exec = tx.exec // the committer's statement cache, without ExecContext's flush of the buffer it is writing
	}
	byOrg := map[string][]*crs.AuditRecord{}
	for _, r := range rs {
		byOrg[r.OrgID] = append(byOrg[r.OrgID], r)
	}
	var text []byte
	for _, org := range orgs {
		h := heads[org]
		for recs := byOrg[org]; len(recs) > 0; {
			n := min(len(recs), maxBlock)
			var b auditBlock
			text, b = encodeBlock(text[:0], recs[:n])
			b.seq, b.prev = h.seq+1, h.hash
			b.hash = blockHash(b.prev, b.seq, org, text)
			patients, users := blockNames(recs[:n])
			if err := d.insertBlock(ctx, exec, org, b, text, patients, users); err != nil {
				return err
			}
			h.seq, h.hash = b.seq, b.hash
			recs = recs[n:]
		}
		if err := saveAuditHead(ctx, q, org, h); err != nil {
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

// blockNames are the patients the records rs name and their users' ids
// and names, each once and in the order first met: what a block of them
// is indexed by. Neither is nil: PostgreSQL's arrays are never NULL.
func blockNames(rs []*crs.AuditRecord) (patients, users []string) {
	patients, users = make([]string, 0, len(rs)), []string{}
	seenPatient, seenUser := make(map[string]bool, len(rs)), map[string]bool{}
	add := func(list []string, seen map[string]bool, v string) []string {
		if v == "" || seen[v] {
			return list
		}
		seen[v] = true
		return append(list, v)
	}
	for _, r := range rs {
		patients = add(patients, seenPatient, r.PatientID)
		users = add(users, seenUser, r.UserID)
		users = add(users, seenUser, r.Username)
	}
	return patients, users
}

// blockTerms is the text audit_block_terms (SQLite) indexes a block by:
// a term for each of its patients (p and the patient's id in
// hexadecimal) and for each of its users' ids and names (u and the value
// in hexadecimal).
func blockTerms(patients, users []string) string {
	n := 0
	for _, vs := range [][]string{patients, users} {
		for _, v := range vs {
			n += 2 + 2*len(v) // a space, the prefix and the value in hexadecimal
		}
	}
	var sb strings.Builder
	sb.Grow(n)
	var term []byte
	write := func(prefix, v string) {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		term = appendTerm(term[:0], prefix, v)
		sb.Write(term)
	}
	for _, p := range patients {
		write("p", p)
	}
	for _, u := range users {
		write("u", u)
	}
	return sb.String()
}

// appendTerm appends a term of the trail's full-text indexes: prefix
// (p for a patient, u for a user in audit_block_terms; none in
// audit_by_patient, whose terms are all patients) and the value in
// hexadecimal, one token whatever the value holds.
func appendTerm(b []byte, prefix, v string) []byte {
	const digits = "0123456789ABCDEF"
	b = append(b, prefix...)
	for i := 0; i < len(v); i++ {
		b = append(b, digits[v[i]>>4], digits[v[i]&0xF])
	}
	return b
}

// termQuery is the full-text query of the entries that hold any of vs
// as terms with prefix (appendTerm): each term quoted, joined by OR.
func termQuery(prefix string, vs ...string) string {
	terms := make([]string, len(vs))
	for i, v := range vs {
		terms[i] = `"` + string(appendTerm(nil, prefix, v)) + `"`
	}
	return strings.Join(terms, " OR ")
}

// auditSince is a FROM of the trust's audit records made since a time
// ($1 the trust, $2 the time): the rows of audit and the records of the
// blocks whose last record was made at or after it.
func (db *DB) auditSince() string {
	return `(SELECT ` + auditColumnNames + ` FROM audit WHERE org_id = $1 AND at >= $2
		UNION ALL SELECT ` + blockRecordCols + ` FROM audit_blocks b, ` + db.dialect.blockRecords() + ` WHERE b.org_id = $1 AND b.max_at >= $2) AS trail`
}

// chainBlock is a block of a trust's chain as stored. On PostgreSQL
// patients and users are its arrays, the index by patient and user, as
// JSON text; on SQLite they are empty.
type chainBlock struct {
	seq                                 int64
	firstID, lastID, minAt, maxAt, text string
	prev, hash                          string
	patients, users                     string
}

// chainBlocks reads a trust's blocks in the chain's order, in q's
// snapshot, a page at a time.
func (db *DB) chainBlocks(ctx context.Context, q Querier, orgID string) *chainPages[*chainBlock] {
	return &chainPages[*chainBlock]{ctx: ctx, q: q, org: orgID, size: 64, after: math.MinInt64,
		query: `SELECT seq, first_id, last_id, min_at, max_at, records, prev_hash, hash, ` + db.dialect.blockIndexed() + `
			FROM audit_blocks WHERE org_id = $1 AND seq > $2 ORDER BY seq`,
		scan: func(r scanner) (*chainBlock, error) {
			k := &chainBlock{}
			return k, r.Scan(&k.seq, &k.firstID, &k.lastID, &k.minAt, &k.maxAt, &k.text, &k.prev, &k.hash, &k.patients, &k.users)
		},
		seq: func(k *chainBlock) int64 { return k.seq },
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
	if k.patients != "" && !k.indexed(recs) {
		return len(recs), "its block's index by patient and user (its patients and users) no longer names exactly its records' patients and users: their trails may not show them"
	}
	return len(recs), ""
}

// indexed says whether a block's arrays (PostgreSQL) name exactly the
// patients and users of its records recs, each once: a patient or user
// missing would leave records out of their trail, one more would put
// the block in a trail it has no record of (which its reader then
// passes over, but the index was changed all the same).
func (k *chainBlock) indexed(recs [][]string) bool {
	var patients, users []string
	if json.Unmarshal([]byte(k.patients), &patients) != nil || json.Unmarshal([]byte(k.users), &users) != nil {
		return false
	}
	rs := make([]*crs.AuditRecord, len(recs))
	for i, r := range recs {
		rs[i] = &crs.AuditRecord{UserID: r[2], Username: r[3], PatientID: r[5]}
	}
	wantP, wantU := blockNames(rs)
	return sameSet(patients, wantP) && sameSet(users, wantU)
}

// sameSet says whether a and b hold the same strings the same number of
// times.
func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// checkBlockIndex is VerifyAuditChain's check of the blocks' full-text
// index on SQLite: each of the trust's blocks up to seq last has one entry. A block
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
