package store

import (
	"context"
	"strconv"
	"sync"

	"github.com/opencrs/crs"
)

// nhsIndex is the index of the patient index by NHS number: every
// registration's duplicate check and every look-up by NHS number reads it.
const (
	nhsIndex        = "patients_nhs"
	nhsIndexColumns = "(org_id, nhs_number)"
)

// heldNHS stands in for the NHS number index while a PMI load into an
// empty patient index runs without it on SQLite. Each patient's NHS
// number falls at a random place in that index, so near the end of a
// load of millions every batch rewrote most of the index's pages in the
// log; built after the load, it is one sorted pass like the search
// indexes.
//
// It holds the NHS numbers of the trust's live records, by
// organisation, so a batch is checked against them in memory: its own
// batches add theirs as they are written, and two triggers on the write
// connection (the only one that writes) note the records any other
// command registers, or whose NHS number or merge it changes, in a
// temporary table read at the start of each batch. It may hold a number
// no live record holds any more (a record merged since, a batch undone),
// so a batch's number found here is looked up in the table, without an
// index, before the batch is refused; it never misses one a live record
// holds. When the triggers' table is gone (the write connection was
// replaced), it reads every live record again.
//
// Other commands registering or changing patients meanwhile keep their
// checks, reading the table without the index: slower, not wrong.
type heldNHS struct {
	mu    sync.Mutex
	orgs  map[string]*orgNHS
	stale bool // read every live record before the next batch
}

// orgNHS is the NHS numbers held in one trust: as numbers when they are
// the ten digits a valid NHS number has, else as written.
type orgNHS struct {
	nums  map[uint64]struct{}
	other map[string]struct{}
}

func (o *orgNHS) add(n string) {
	if v, err := strconv.ParseUint(n, 10, 64); err == nil && len(n) == 10 {
		o.nums[v] = struct{}{}
	} else {
		o.other[n] = struct{}{}
	}
}

func (o *orgNHS) has(n string) bool {
	if v, err := strconv.ParseUint(n, 10, 64); err == nil && len(n) == 10 {
		_, ok := o.nums[v]
		return ok
	}
	_, ok := o.other[n]
	return ok
}

func (h *heldNHS) org(orgID string) *orgNHS {
	o := h.orgs[orgID]
	if o == nil {
		o = &orgNHS{nums: map[uint64]struct{}{}, other: map[string]struct{}{}}
		h.orgs[orgID] = o
	}
	return o
}

// nhsTriggers make the write connection note, in temp.load_nhs_held,
// each live record that comes to hold an NHS number other than by the
// load's own batches (whose rows name their batch's audit record).
var nhsTriggers = []string{
	`CREATE TEMP TABLE IF NOT EXISTS load_nhs_held (org_id TEXT NOT NULL, nhs_number TEXT NOT NULL)`,
	`CREATE TEMP TRIGGER IF NOT EXISTS load_nhs_insert AFTER INSERT ON main.patients
		WHEN NEW.load_audit_id = '' AND NEW.nhs_number <> '' AND NEW.merged_into = ''
		BEGIN INSERT INTO load_nhs_held (org_id, nhs_number) VALUES (NEW.org_id, NEW.nhs_number); END`,
	`CREATE TEMP TRIGGER IF NOT EXISTS load_nhs_update AFTER UPDATE OF nhs_number, merged_into ON main.patients
		WHEN NEW.nhs_number <> '' AND NEW.merged_into = ''
		BEGIN INSERT INTO load_nhs_held (org_id, nhs_number) VALUES (NEW.org_id, NEW.nhs_number); END`,
}

// deferNHSIndex drops the NHS number index for a load into an empty
// patient index on SQLite and sets up its stand-in; buildNHSIndex puts
// it back.
func (db *DB) deferNHSIndex(ctx context.Context) error {
	if db.dialect.name != "sqlite" {
		return nil
	}
	if _, err := db.write.ExecContext(ctx, `DROP INDEX IF EXISTS `+nhsIndex); err != nil {
		return crs.Errorf(crs.EINTERNAL, "drop index %s for the load: %w", nhsIndex, err)
	}
	// The first batch reads the live records (none, or the few registered
	// since the patient index was found empty) and makes the triggers.
	db.loadNHS.Store(&heldNHS{orgs: map[string]*orgNHS{}, stale: true})
	return nil
}

// buildNHSIndex builds the NHS number index again after a load without
// it, and removes the stand-in.
func (db *DB) buildNHSIndex(ctx context.Context) error {
	if db.loadNHS.Load() == nil {
		return nil
	}
	if _, err := db.write.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS `+nhsIndex+` ON patients `+nhsIndexColumns); err != nil {
		return crs.Errorf(crs.EINTERNAL, "build index %s: %w", nhsIndex, err)
	}
	db.loadNHS.Store(nil)
	for _, q := range []string{`DROP TRIGGER IF EXISTS temp.load_nhs_insert`, `DROP TRIGGER IF EXISTS temp.load_nhs_update`, `DROP TABLE IF EXISTS temp.load_nhs_held`} {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			db.Logger.Error("remove the load's NHS number triggers", "err", err)
		}
	}
	return nil
}

// heldIn returns, of the NHS numbers of a batch of the load, those a
// live record of the trust may hold: the ones to look up in the table.
// It first takes in what other commands changed since the last batch.
func (h *heldNHS) heldIn(tx *Tx, orgID string, numbers []any) ([]any, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.stale {
		if err := h.drain(tx); err != nil {
			h.stale = true
		}
	}
	if h.stale {
		if err := h.reread(tx); err != nil {
			return nil, err
		}
	}
	o := h.org(orgID)
	var maybe []any
	for _, n := range numbers {
		if o.has(n.(string)) {
			maybe = append(maybe, n)
		}
	}
	return maybe, nil
}

// drain takes in the records the triggers noted. The command's own
// statements go around the statement cache: the triggers' table comes
// and goes with the load.
func (h *heldNHS) drain(tx *Tx) error {
	tx.wrote = true
	rows, err := tx.Tx.QueryContext(tx.Context(), `SELECT org_id, nhs_number FROM temp.load_nhs_held`)
	if err != nil {
		return err
	}
	n, err := h.addRows(rows)
	if err != nil || n == 0 {
		return err
	}
	_, err = tx.Tx.ExecContext(tx.Context(), `DELETE FROM temp.load_nhs_held`)
	return err
}

// reread makes the triggers and reads every live record's NHS number.
func (h *heldNHS) reread(tx *Tx) error {
	for _, q := range nhsTriggers {
		if _, err := tx.Tx.ExecContext(tx.Context(), q); err != nil {
			return crs.Errorf(crs.EINTERNAL, "note NHS numbers during the load: %w", err)
		}
	}
	if _, err := tx.Tx.ExecContext(tx.Context(), `DELETE FROM temp.load_nhs_held`); err != nil {
		return crs.Errorf(crs.EINTERNAL, "note NHS numbers during the load: %w", err)
	}
	h.orgs = map[string]*orgNHS{}
	rows, err := tx.Tx.QueryContext(tx.Context(), `SELECT org_id, nhs_number FROM patients WHERE nhs_number <> '' AND merged_into = ''`)
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "read the NHS numbers held: %w", err)
	}
	if _, err := h.addRows(rows); err != nil {
		return crs.Errorf(crs.EINTERNAL, "read the NHS numbers held: %w", err)
	}
	h.stale = false
	return nil
}

// addRows adds rows of (org_id, nhs_number) and closes them.
func (h *heldNHS) addRows(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}) (n int, err error) {
	defer rows.Close()
	var org, num string
	for rows.Next() {
		if err := rows.Scan(&org, &num); err != nil {
			return n, err
		}
		h.org(org).add(num)
		n++
	}
	return n, rows.Err()
}

// wrote adds the NHS numbers a batch of the load registered.
func (h *heldNHS) wrote(orgID string, numbers []any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.org(orgID)
	for _, n := range numbers {
		o.add(n.(string))
	}
}
