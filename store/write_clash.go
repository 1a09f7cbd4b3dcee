package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/opencrs/crs"
)

// A clash is a command's insert of a unique key that another command,
// running at the same time on PostgreSQL, committed first (SQLSTATE
// 23505). writePooled runs the command again for its own checks to
// find the other's row, and answers a clash its runs do not get past as
// a conflict named by the key (clashError).

// A command may be overtaken as well (Tx.overtaken): another command
// wrote what this one had looked up, and committed before this one's
// write. A resource's next version, which this one's write then finds
// at a version it did not read (PutResource); a patient registered with
// the NHS number an inbound message found no patient holding, which its
// registration then finds holding it (insertPatient). The command is
// run again in the same way, on what the other wrote: the message finds
// that patient and updates the record; an update of a resource is
// written after the other's version, or, when the client named the
// version it changes (If-Match), answered that it is no longer the
// current one, as it would have been had the other command come first.
// A run again after either race for a resource waits its turn to read
// it (Tx.contended), so that many writers of one resource at once are
// each written in turn within maxAttempts runs.

// keyClash returns the unique key err says the command found taken, or
// nil when err is no clash. A clash whose error no longer carries the
// server's (one said only in words, as SQLite's are) is returned with
// its key unknown.
func keyClash(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if pe.Code == "23505" {
			return pe
		}
		return nil
	}
	if isUniqueViolation(err) {
		return &pgconn.PgError{Code: "23505"}
	}
	return nil
}

// sameKey reports whether two clashes are of the same key, the same
// values of the same constraint; a clash of a key unknown is the same
// as any other such.
func sameKey(a, b *pgconn.PgError) bool {
	return a != nil && b != nil && a.ConstraintName == b.ConstraintName && a.Detail == b.Detail
}

// clashTables names the rows of the tables whose keys commands may race
// to insert, in words.
var clashTables = map[string]string{
	"patients":      "the patient",
	"patient_xrefs": "the patient identifier",
	"hl7_messages":  "the message",
	"referrals":     "the referral",
	"preadmissions": "the planned admission",
	"appointments":  "the appointment",
}

// clashColumns names key columns in words.
var clashColumns = map[string]string{
	"mrn":          "hospital number",
	"ubrn":         "UBRN",
	"visit_number": "visit number",
	"slot_id":      "slot",
	"idem_key":     "key",
	"control_id":   "control id",
}

// clashError is the conflict a clash is answered with, naming what the
// other command took: a resource by type and id, another row by its
// table and key.
func clashError(pe *pgconn.PgError) error {
	return crs.Errorf(crs.ECONFLICT, "another change wrote %s first", clashWhat(pe))
}

// clashWhat says in words what a clash is of, from the key the server
// reports: "Key (org_id, type, id)=(..., Observation, x) already exists."
func clashWhat(pe *pgconn.PgError) string {
	cols, vals, ok := clashKey(pe.Detail)
	if !ok {
		if pe.TableName == "" {
			return "a record with the same key"
		}
		return "a row of " + pe.TableName + " with the same key (" + pe.ConstraintName + ")"
	}
	key := map[string]string{}
	var pairs []string
	for i, c := range cols {
		key[c] = vals[i]
		if c == "org_id" {
			continue
		}
		name := clashColumns[c]
		if name == "" {
			name = strings.ReplaceAll(c, "_", " ")
		}
		pairs = append(pairs, name+" "+vals[i])
	}
	if key["type"] != "" && key["id"] != "" {
		what := key["type"] + "/" + key["id"]
		if v := key["version"]; v != "" {
			what += " (version " + v + ")"
		}
		return what
	}
	table := clashTables[pe.TableName]
	if table == "" {
		table = "a row of " + pe.TableName
	}
	return table + " with " + strings.Join(pairs, ", ")
}

// clashResource names the resource (Type/id) whose row a clash is of,
// or "" when it is of another table's.
func clashResource(pe *pgconn.PgError) string {
	cols, vals, ok := clashKey(pe.Detail)
	if !ok {
		return ""
	}
	var typ, id string
	for i, c := range cols {
		switch c {
		case "type":
			typ = vals[i]
		case "id":
			id = vals[i]
		}
	}
	if typ == "" || id == "" {
		return ""
	}
	return typ + "/" + id
}

// clashKey splits the key of a unique violation's detail into its
// columns and their values; ok is false when the detail is not of that
// form or a value holds the separator.
func clashKey(detail string) (cols, vals []string, ok bool) {
	rest, found := strings.CutPrefix(detail, "Key (")
	if !found {
		return nil, nil, false
	}
	names, values, found := strings.Cut(rest, ")=(")
	if !found {
		return nil, nil, false
	}
	values, found = strings.CutSuffix(values, ") already exists.")
	if !found {
		return nil, nil, false
	}
	cols, vals = strings.Split(names, ", "), strings.Split(values, ", ")
	return cols, vals, len(cols) == len(vals)
}
