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

// bulkListAt is the number of patients from which a list is a bulk list,
// whose patients are written by the record (audit_bulk_listed) rather
// than by the patient (audit_listed): an export of the PTL or the waiting
// list, not a search or a board. A list of that size, keyed by patient,
// changes a leaf of audit_listed's index for nearly each patient, so its
// audit cost grew with the trail it joined; keyed by the record it is
// written in one run at the table's end.
var bulkListAt = 10000

// maxListedChunk is the most rows one INSERT of listed patients writes
// (1,536 parameters, within both engines' limits).
const maxListedChunk = 512

// listedInserts hold the INSERTs of 1, 2, 4 ... maxListedChunk rows of
// each table a list's patients go to.
type listedInserts struct{ listed, bulkLists, bulkListed map[int]string }

// insertListedAnon and insertListedNumbered hold them with anonymous
// parameters, for SQLite's committer, and numbered ones, for the pool.
var insertListedAnon, insertListedNumbered = newListedInserts(true), newListedInserts(false)

func newListedInserts(anon bool) listedInserts {
	verb := `INSERT INTO `
	if anon {
		verb = `INSERT OR FAIL INTO ` // SQLite: see insertAuditsSQL
	}
	rows := func(head string, cols int) map[int]string {
		out := map[int]string{}
		for n := 1; n <= maxListedChunk; n *= 2 {
			out[n] = verb + head + placeholderRows(n, cols, 1, anon)
		}
		return out
	}
	return listedInserts{
		listed:     rows(`audit_listed (org_id, patient_id, audit_id) VALUES `, 3),
		bulkLists:  rows(`audit_bulk_lists (org_id, audit_id) VALUES `, 2),
		bulkListed: rows(`audit_bulk_listed (audit_id, patient_id) VALUES `, 2),
	}
}

// writeListed writes the listed patients of the list records among rs
// with exec, in multi-row INSERTs of ins: a short list's to audit_listed,
// a bulk list's to audit_bulk_listed with the list in audit_bulk_lists.
func writeListed(exec func(query string, args ...any) error, rs []*crs.AuditRecord, ins listedInserts) error {
	// The patients of every short list among rs, in chunks of up to
	// maxListedChunk rows: a batch of searches is a statement or two,
	// not one for each list.
	var short []any
	for _, r := range rs {
		if len(r.Listed) >= bulkListAt {
			if err := execChunks(exec, ins.bulkLists, []any{r.OrgID, r.ID}, 2); err != nil {
				return fmt.Errorf("write list %s: %w", r.ID, err)
			}
			args := make([]any, 0, 2*len(r.Listed))
			for _, id := range r.Listed {
				args = append(args, r.ID, id)
			}
			if err := execChunks(exec, ins.bulkListed, args, 2); err != nil {
				return fmt.Errorf("write the patients of list %s: %w", r.ID, err)
			}
			continue
		}
		for _, id := range r.Listed {
			short = append(short, r.OrgID, id, r.ID)
		}
	}
	if err := execChunks(exec, ins.listed, short, 3); err != nil {
		return fmt.Errorf("write the patients of a list: %w", err)
	}
	return nil
}

// execChunks writes rows of cols values each, laid end to end in args,
// with the INSERTs of inserts, as few statements as their sizes allow.
func execChunks(exec func(query string, args ...any) error, inserts map[int]string, args []any, cols int) error {
	for len(args) > 0 {
		n := maxListedChunk
		for n*cols > len(args) {
			n /= 2
		}
		if err := exec(inserts[n], args[:n*cols]...); err != nil {
			return err
		}
		args = args[n*cols:]
	}
	return nil
}

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

// listedHashes reads the hash and count of the patients audit_listed
// holds for each list record of a trust, for VerifyAuditChain.
func listedHashes(ctx context.Context, q Querier, orgID string) (map[string]listedSum, error) {
	rows, err := q.QueryContext(ctx, `SELECT audit_id, patient_id FROM audit_listed WHERE org_id = $1
		UNION ALL SELECT l.audit_id, l.patient_id FROM audit_bulk_lists bl JOIN audit_bulk_listed l ON l.audit_id = bl.audit_id WHERE bl.org_id = $1
		ORDER BY 1, 2`, orgID)
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
