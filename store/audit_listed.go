package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/opencrs/crs"
)

// A list shown or exported is one audit record (action listed) and one
// audit_listed row for each patient it listed, written beside the record
// in the same transaction. The record's what ends with the SHA-256 of the
// sorted patient ids, so the chain covers the list; VerifyAuditChain
// checks the rows still hash to it. Readers of a patient's accesses see a
// list record once for each patient, with that patient's id.

// listedIDs are the patients of a list, sorted, each once.
func listedIDs(patientIDs []string) []string {
	ids := slices.Clone(patientIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > 0 && ids[0] == "" {
		ids = ids[1:]
	}
	return ids
}

// listedMark starts the hash of the listed patients' ids at the end of a
// list record's what.
const listedMark = "; ids sha256 "

// listedWhat is the what of a list record: the list, how many patients
// and the SHA-256 of their sorted ids, so the hash chain, which covers
// what, commits to the patients listed.
func listedWhat(what string, ids []string) string {
	n := "patients"
	if len(ids) == 1 {
		n = "patient"
	}
	return fmt.Sprintf("%s: %d %s%s%s", what, len(ids), n, listedMark, listedHash(ids))
}

// listedHash is the SHA-256 of sorted patient ids, one a line.
func listedHash(ids []string) string {
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// listedCols are the columns of an audit_listed row; maxListedChunk the
// most rows one INSERT writes (1,536 parameters, within both engines'
// limits).
const (
	listedCols     = 3
	maxListedChunk = 512
)

// insertListedAnon and insertListedNumbered hold the INSERT of 1, 2, 4
// ... maxListedChunk rows: anonymous parameters for SQLite's committer,
// numbered ones for the pool.
var insertListedAnon, insertListedNumbered = listedInserts(true), listedInserts(false)

func listedInserts(anon bool) map[int]string {
	out := map[int]string{}
	for n := 1; n <= maxListedChunk; n *= 2 {
		head := `INSERT INTO audit_listed (org_id, patient_id, audit_id) VALUES `
		if anon {
			head = `INSERT OR FAIL INTO audit_listed (org_id, patient_id, audit_id) VALUES ` // SQLite: see insertAuditsSQL
		}
		out[n] = head + placeholderRows(n, listedCols, 1, anon)
	}
	return out
}

// writeListed writes the audit_listed rows of the list records among rs
// with exec, in multi-row INSERTs of inserts.
func writeListed(exec func(query string, args ...any) error, rs []*crs.AuditRecord, inserts map[int]string) error {
	// The patients of every list among rs, in chunks of up to
	// maxListedChunk rows: a batch of searches is a statement or two,
	// not one for each list.
	var rows []listedRow
	for _, r := range rs {
		for _, id := range r.Listed {
			rows = append(rows, listedRow{r.OrgID, id, r.ID})
		}
	}
	for i := 0; i < len(rows); {
		n := maxListedChunk
		for n > len(rows)-i {
			n /= 2
		}
		args := make([]any, 0, n*listedCols)
		for _, l := range rows[i : i+n] {
			args = append(args, l.org, l.patient, l.audit)
		}
		if err := exec(inserts[n], args...); err != nil {
			return fmt.Errorf("write the patients of list %s: %w", rows[i].audit, err)
		}
		i += n
	}
	return nil
}

// listedRow is one patient a list record names.
type listedRow struct{ org, patient, audit string }

// writeListedNumbered writes the audit_listed rows of the list records
// among rs in q's transaction, with numbered parameters (PostgreSQL).
func writeListedNumbered(ctx context.Context, q interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}, rs []*crs.AuditRecord) error {
	return writeListed(func(query string, args ...any) error {
		_, err := q.ExecContext(ctx, query, args...)
		return err
	}, rs, insertListedNumbered)
}

// patientAuditFrom is a FROM clause of the audit records of the patients
// whose ids are the parameters ids lists ("($2, $3)"; $1 is the trust):
// their own records, the record of the bulk load that registered them (it
// names the batch, not one patient), and the list records that listed
// them, each with the listed patient's id. Each part is read through its
// own index (the patient's records, the patients' primary key, the
// listed patients' primary key): an OR of them made SQLite scan the
// trust's whole trail.
func patientAuditFrom(ids string) string {
	return `(SELECT ` + auditColumnNames + ` FROM audit WHERE org_id = $1 AND patient_id IN ` + ids + `
		UNION SELECT a.id, a.org_id, a.at, a.user_id, a.username, a.role, a.patient_id, a.action, a.what, a.purpose, a.event_id
		FROM patients p JOIN audit a ON a.id = p.load_audit_id
		WHERE p.org_id = $1 AND p.id IN ` + ids + ` AND p.load_audit_id <> ''
		UNION ALL SELECT a.id, a.org_id, a.at, a.user_id, a.username, a.role, l.patient_id, a.action, a.what, a.purpose, a.event_id
		FROM audit_listed l JOIN audit a ON a.id = l.audit_id
		WHERE l.org_id = $1 AND l.patient_id IN ` + ids + `) AS trail`
}

// listedHashes reads the hash and count of the patients audit_listed
// holds for each list record of a trust, for VerifyAuditChain.
func listedHashes(ctx context.Context, q Querier, orgID string) (map[string]listedSum, error) {
	rows, err := q.QueryContext(ctx, `SELECT audit_id, patient_id FROM audit_listed WHERE org_id = $1 ORDER BY audit_id, patient_id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]listedSum{}
	var cur string
	var ids []string
	end := func() {
		if cur != "" {
			out[cur] = listedSum{hash: listedHash(ids), n: len(ids)}
		}
	}
	for rows.Next() {
		var aid, pid string
		if err := rows.Scan(&aid, &pid); err != nil {
			return nil, err
		}
		if aid != cur {
			end()
			cur, ids = aid, ids[:0]
		}
		ids = append(ids, pid)
	}
	end()
	return out, rows.Err()
}

// listedSum is what audit_listed holds of one list.
type listedSum struct {
	hash string
	n    int
}

// listedProblem says how the patients audit_listed holds of a list record
// differ from those its what committed to, or "" if they do not.
func listedProblem(what string, got listedSum, ok bool) string {
	i := strings.LastIndex(what, listedMark)
	if i < 0 {
		if ok {
			return "patients were added to it outside the write path: it named none"
		}
		return ""
	}
	if !ok {
		return "the patients it listed were deleted"
	}
	if what[i+len(listedMark):] != got.hash {
		return fmt.Sprintf("the patients it listed were changed: the %d now held no longer match its hash", got.n)
	}
	return ""
}
