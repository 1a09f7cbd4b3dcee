package store

import (
	"context"

	"github.com/opencrs/crs"
)

// patientSearchIndexes are the indexes of the patient index that serve
// the clerks' searches by name and date of birth, and the history's
// list of the loaded patients (patients_loaded), as the migrations made
// them. Nothing a command checks relies on them (duplicate NHS and
// hospital numbers are found by patients_nhs and the unique hospital
// number, which stay), so a bulk load into an empty patient index drops
// them and builds each in one sorted pass when the load ends, instead of
// inserting every patient into each at a random place.
var patientSearchIndexes = []struct{ name, columns string }{
	{"patients_family_norm", "(org_id, family_norm, given_norm)"},
	{"patients_birth_date", "(org_id, birth_date, id)"},
	{"patients_family_fold", "(org_id, family_fold, id)"},
	{"patients_given_fold_first", "(org_id, given_fold_first, id)"},
	{"patients_given_fold_last", "(org_id, given_fold_last, id)"},
	{"patients_family_key_norm", "(org_id, family_key, family_norm)"},
	{"patients_given_norm", "(org_id, given_norm)"},
	{"patients_family_part", "(org_id, family_part_norm, given_norm) WHERE family_part_norm <> ''"},
	{"patients_other_names", "(org_id, lower(other_names)) WHERE other_names <> ''"},
	{"patients_title", "(org_id, lower(title)) WHERE title <> ''"},
	{"patients_gp_practice", "(org_id, gp_practice_code, gp_practice_name) WHERE gp_practice_code <> ''"},
	{"patients_loaded", "(org_id, id) WHERE load_audit_id <> ''"},
}

// deferSearchIndexes drops the patient search indexes if no trust holds
// a patient yet, and returns the function that builds them again. With
// nhs (the PMI load, LoadPatients) it drops the NHS number index too on
// SQLite, checking the load's NHS numbers against its stand-in
// (heldNHS) meanwhile. A load that dies before building them (a crash,
// a kill) leaves them to the next Open, which builds any that are
// missing (ensureSearchIndexes).
func (db *DB) deferSearchIndexes(ctx context.Context, nhs bool) (build func() error, err error) {
	build = func() error { return nil }
	if db.searchDeferred.Load() {
		return build, nil // a load in parts: its end builds them
	}
	var any int
	if err := db.write.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM patients LIMIT 1) p`).Scan(&any); err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "look for patients: %w", err)
	}
	if any > 0 {
		return build, nil
	}
	for _, ix := range patientSearchIndexes {
		if _, err := db.write.ExecContext(ctx, `DROP INDEX IF EXISTS `+ix.name); err != nil {
			return nil, crs.Errorf(crs.EINTERNAL, "drop index %s for the load: %w", ix.name, err)
		}
	}
	if nhs {
		if err := db.deferNHSIndex(ctx); err != nil {
			return nil, err
		}
	}
	db.Logger.Info("patient search indexes dropped for a load into an empty patient index")
	db.searchDeferred.Store(true)
	return func() error {
		defer db.searchDeferred.Store(false)
		ctx := context.WithoutCancel(ctx)
		if err := db.buildNHSIndex(ctx); err != nil {
			return err
		}
		if err := db.ensureSearchIndexes(ctx); err != nil {
			return err
		}
		// PostgreSQL plans the searches from the table's statistics,
		// which a load into an empty table has left empty.
		if db.dialect.name == "postgres" {
			if _, err := db.write.ExecContext(ctx, `ANALYZE patients`); err != nil {
				return crs.Errorf(crs.EINTERNAL, "analyze patients after the load: %w", err)
			}
		}
		return nil
	}, nil
}

// DeferPatientSearchIndexes is for a load of the patient index in parts
// (several calls of LoadPatients, each given a part of the patients so
// not all are held in memory at once): into an empty patient index, it
// drops the search indexes until the returned build is called once the
// last part is loaded, as one LoadPatients does for its own patients.
// Into a patient index that holds patients it changes nothing.
func (db *DB) DeferPatientSearchIndexes(ctx context.Context) (build func() error, err error) {
	return db.deferSearchIndexes(ctx, true)
}

// sorterCacheSize is SQLite's page cache while it builds the search
// indexes, in KiB as PRAGMA cache_size takes it when negative. SQLite
// sorts an index's keys in memory up to the page cache's size: with the
// 512 MiB of a bulk load it sorts one list of millions of keys, whose
// merging misses the processor's cache at every step; with 16 MiB it
// sorts runs that fit and merges them, about a fifth faster (one index
// of 500,000 patients: 12.0 and 16.0 s against 16.0 and 19.1 s, in turn
// on the shared machine).
const sorterCacheSize = "-16384"

// ensureSearchIndexes builds the patient search indexes that are missing,
// and the NHS number index unless a load runs without it.
func (db *DB) ensureSearchIndexes(ctx context.Context) error {
	if db.dialect.name == "sqlite" {
		var old string
		if err := db.write.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&old); err != nil {
			return crs.Errorf(crs.EINTERNAL, "read pragma cache_size: %w", err)
		}
		if _, err := db.write.ExecContext(ctx, `PRAGMA cache_size = `+sorterCacheSize); err != nil {
			return crs.Errorf(crs.EINTERNAL, "set pragma cache_size: %w", err)
		}
		defer func() {
			if _, err := db.write.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = `+old); err != nil {
				db.Logger.Error("restore pragma", "pragma", "cache_size", "err", err)
			}
		}()
	}
	if db.loadNHS.Load() == nil {
		// A PMI load killed before it built the NHS number index again.
		if _, err := db.write.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS `+nhsIndex+` ON patients `+nhsIndexColumns); err != nil {
			return crs.Errorf(crs.EINTERNAL, "build index %s: %w", nhsIndex, err)
		}
	}
	for _, ix := range patientSearchIndexes {
		if _, err := db.write.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS `+ix.name+` ON patients `+ix.columns); err != nil {
			return crs.Errorf(crs.EINTERNAL, "build index %s: %w", ix.name, err)
		}
	}
	return nil
}
