package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestCheckpointerCopiesTheLog checks that on SQLite the write-ahead log
// is copied into the database file soon after commands commit, by the
// checkpointer: the committer's own checkpoint waits for 16,384 pages of
// log, which a few commands are far from, so without the checkpointer
// the database file would not grow. What was written is then read back
// from a fresh open.
func TestCheckpointerCopiesTheLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ckpt.db")
	db, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Opening applied the migrations, every page of them in the log: the
	// first checkpoint is the first command's.
	before := size()
	tr := storetest.NewTrust(t, db, "RCK")
	deadline := time.Now().Add(10 * time.Second)
	for size() <= before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := size(); after <= before {
		t.Fatalf("the database file is still %d bytes after the commands committed: the log was not checkpointed", after)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM organisations WHERE id = $1`, tr.Org.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the trust after reopening: %d rows, %v", n, err)
	}
}
