package store

import (
	"context"
	"sync/atomic"
)

// The store analyses some of its tables itself on PostgreSQL as they
// grow, rather than wait for autovacuum (a minute's nap, then a share of
// the rows changed) while statements planned for a few rows walk many:
// the resource store (resource_analyze.go) and the patients table
// (patient_analyze.go). A table is analysed when the rows added since
// its last analysis are analyzeGrowth times the rows its statistics know
// of (it has grown tenfold since, or was never analysed), looked at each
// so many rows added, in the background, after the command that crossed
// the mark has committed; between tenfold growths autovacuum keeps the
// statistics up.

// analyzeGrowth is how many times the rows its statistics know of must
// be added to a table before it is analysed again.
const analyzeGrowth = 9

// analysis is what the store analyses of a growing table: what, for the
// log, the table whose statistics are read, the statement that analyses
// it, and how many rows added between two looks at its statistics.
type analysis struct {
	name, table, analyze string
	every                int64
}

// growth is what the store counts of a growing table: the rows added
// since its last analysis, and whether an analysis is under way.
type growth struct {
	added atomic.Int64
	busy  atomic.Bool
}

// grew counts n rows a committed command added to the table of a, and
// looks at its statistics each a.every of them.
func (db *DB) grew(g *growth, a analysis, n int) {
	if n == 0 {
		return
	}
	after := g.added.Add(int64(n))
	if after/a.every == (after-int64(n))/a.every {
		return
	}
	if g.busy.CompareAndSwap(false, true) {
		go db.analyseGrown(g, a)
	}
}

// analyseGrown analyses the table of a if the rows added since its last
// analysis are analyzeGrowth times the rows PostgreSQL's statistics hold
// of it (none when never analysed). It holds off the database's close as
// a command does.
func (db *DB) analyseGrown(g *growth, a analysis) {
	defer g.busy.Store(false)
	db.writing.RLock()
	defer db.writing.RUnlock()
	select {
	case <-db.stop:
		return
	default:
	}
	ctx := context.Background()
	added := g.added.Load()
	var rows float64
	if err := db.write.QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, a.table).Scan(&rows); err != nil {
		db.Logger.Error("read the statistics of the "+a.name, "err", err)
		return
	}
	if rows >= 0 && float64(added) <= analyzeGrowth*rows {
		return
	}
	if _, err := db.write.ExecContext(ctx, a.analyze); err != nil {
		db.Logger.Error("analyse the "+a.name, "err", err)
		return
	}
	g.added.Add(-added)
	db.Logger.Info(a.name+" analysed", "added", added, "rows", int64(rows))
}
