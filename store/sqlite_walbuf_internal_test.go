package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestWALBufferWritesATransactionAtOnce writes transactions that change
// hundreds of pages through the committer's file system, with a reader
// on SQLite's own beside it, and checks that the log file took a handful
// of writes a commit, not two a page; that the reader sees each commit
// whole once it is committed; that a transaction larger than the page
// cache (its pages spilled into the log before its commit) and rolled
// back leaves nothing; and that the database, opened afterwards without
// the file system, holds exactly what was committed.
func TestWALBufferWritesATransactionAtOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	w, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.SetMaxOpenConns(1)
	if _, err := w.Exec(`CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL); CREATE INDEX t_v ON t (v)`); err != nil {
		t.Fatal(err)
	}
	r, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	pad := strings.Repeat("x", 300)
	committed := 0
	for round := range 20 {
		before := walWrites.Load()
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 500 {
			// Keys spread over the table and its index, so the
			// transaction changes several hundred pages.
			k := fmt.Sprintf("%08d", (i*7919+round*104729)%1000003)
			if _, err := tx.Exec(`INSERT INTO t (k, v) VALUES ($1, $2)`, fmt.Sprintf("%d-%s", round, k), k+pad); err != nil {
				t.Fatal(err)
			}
		}
		var frames int
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		committed += 500
		writes := walWrites.Load() - before
		if err := w.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(new(int), &frames, new(int)); err != nil {
			t.Fatal(err)
		}
		// 500 rows of 300 bytes and their index entries are well over a
		// hundred pages, each two writes a page without the buffer.
		if writes == 0 || writes > 2+int64(frames)*4120/walWriteMax+1 {
			t.Errorf("round %d: %d writes to the log for a commit of %d frames in the log", round, writes, frames)
		}
		var n int
		if err := r.QueryRow(`SELECT COUNT(*) FROM t`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != committed {
			t.Fatalf("round %d: the reader sees %d rows, %d committed", round, n, committed)
		}
	}

	// A transaction larger than the page cache, spilled into the log
	// before its commit, then rolled back.
	conn, err := w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA cache_size = 20`); err != nil {
		t.Fatal(err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		if _, err := tx.Exec(`INSERT INTO t (k, v) VALUES ($1, $2)`, fmt.Sprintf("gone-%06d", i*7919%1000003), pad); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	// Then one that spills and commits.
	tx, err = conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		if _, err := tx.Exec(`INSERT INTO t (k, v) VALUES ($1, $2)`, fmt.Sprintf("kept-%06d", i*7919%1000003), pad); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	committed += 3000
	conn.Close()
	w.Close()
	r.Close()

	// SQLite's own file system reads what was committed, and only that.
	plain, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	var ok string
	if err := plain.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity check: %q %v", ok, err)
	}
	var n, gone int
	if err := plain.QueryRow(`SELECT COUNT(*), COUNT(*) FILTER (WHERE k LIKE 'gone-%') FROM t`).Scan(&n, &gone); err != nil {
		t.Fatal(err)
	}
	if n != committed || gone != 0 {
		t.Fatalf("%d rows (%d of the rolled back transaction), want %d", n, gone, committed)
	}
}
