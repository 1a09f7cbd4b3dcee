package store

import (
	"context"
)

// PostgreSQL plans a search of the resource store from its tables'
// statistics, which autovacuum gathers in its own time (a minute's nap,
// then a share of the rows changed). An ingest into tables it has not
// analysed yet, or analysed nearly empty, is searched by plans made for
// a few rows: a patient's Observations counted in 28 s in a new
// schema's tables after a Synthea load, 79 ms once analysed. So the
// store analyses them itself when the resources created since its last
// analysis are nine times the rows the statistics know of (the store
// has grown tenfold since, or was never analysed), in the background,
// after the command that crossed the mark has committed. Analysing each
// time the store doubled cost a 7,000-resource ingest a fifth of its
// rate on PostgreSQL; between tenfold growths autovacuum keeps the
// statistics up.

// analyzeEvery is how many resources created between two looks at the
// statistics, and analyzeGrowth how many times the rows they know of
// must be created before they are gathered again.
const (
	analyzeEvery  = 1000
	analyzeGrowth = 9
)

// resourcesCreated counts a committed command's new resources and looks
// at the statistics each analyzeEvery of them.
func (db *DB) resourcesCreated(n int) {
	if n == 0 {
		return
	}
	after := db.resourcesNew.Add(int64(n))
	if after/analyzeEvery == (after-int64(n))/analyzeEvery {
		return
	}
	if db.analyzing.CompareAndSwap(false, true) {
		go db.analyzeResources()
	}
}

// analyzeResources analyses the resource store's tables if the
// resources created since the last analysis are analyzeGrowth times the
// rows PostgreSQL's statistics hold of them (none when never analysed).
// It holds off the database's close as a command does.
func (db *DB) analyzeResources() {
	defer db.analyzing.Store(false)
	db.writing.RLock()
	defer db.writing.RUnlock()
	select {
	case <-db.stop:
		return
	default:
	}
	ctx := context.Background()
	created := db.resourcesNew.Load()
	var rows float64
	if err := db.write.QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'fhir_current'::regclass`).Scan(&rows); err != nil {
		db.Logger.Error("read the resource store's statistics", "err", err)
		return
	}
	if rows >= 0 && float64(created) <= analyzeGrowth*rows {
		return
	}
	if _, err := db.write.ExecContext(ctx, `ANALYZE fhir_current, fhir_versions, fhir_index`); err != nil {
		db.Logger.Error("analyse the resource store", "err", err)
		return
	}
	db.resourcesNew.Add(-created)
	db.Logger.Info("resource store analysed", "created", created, "rows", int64(rows))
}
