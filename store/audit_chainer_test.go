package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestAuditChainTakesEveryRecordOnce runs 16 writers of 50 commands each
// (and a read for each) on one trust at once and finds one unbroken chain
// holding every audit record of the trust exactly once.
func TestAuditChainTakesEveryRecordOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RCO")
		clerk := tr.Actor(crs.RoleClerk)
		var wg sync.WaitGroup
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					err := db.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
						return tx.InsertPatient(newPatient(fmt.Sprintf("Order%02d%02d", w, i), "Test", crs.NewDate(1980, 1, 1), "", "", "1"))
					})
					if err != nil {
						t.Errorf("writer %d command %d: %v", w, i, err)
						return
					}
					db.Audit(clerk, "", crs.AuditSearch, "search")
				}
			}(w)
		}
		wg.Wait()
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		c, err := db.VerifyAuditChain(ctx, tr.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Intact() {
			t.Fatalf("chain broken: %+v", c.Breaks)
		}
		org := `'` + tr.Org.ID + `'`
		records, err := db.QueryCount(ctx, `SELECT COUNT(*) FROM audit_trail WHERE org_id = `+org)
		if err != nil {
			t.Fatal(err)
		}
		// The chain's links: the records of the table and the blocks of
		// access records, which the writer of the blocks and the chainer
		// (PostgreSQL) or the committer (SQLite) placed between one
		// another.
		links := `SELECT seq FROM audit WHERE org_id = ` + org + ` UNION ALL SELECT seq FROM audit_blocks WHERE org_id = ` + org
		if blocks, err := db.QueryCount(ctx, `SELECT COUNT(*) FROM audit_blocks WHERE org_id = `+org); err != nil || blocks == 0 {
			t.Errorf("blocks of the searches = %d, %v; want some", blocks, err)
		}
		n, err := db.QueryCount(ctx, `SELECT COUNT(*) FROM (`+links+`) AS l`)
		if err != nil {
			t.Fatal(err)
		}
		places, err := db.QueryCount(ctx, `SELECT COUNT(DISTINCT seq) FROM (`+links+`) AS l`)
		if err != nil {
			t.Fatal(err)
		}
		if records < 16*50*2 || int64(c.Records) != records || int64(c.Links) != n || places != n || c.HeadSeq != n {
			t.Errorf("audit records = %d (chained %d), links = %d (chained %d), distinct places = %d, head = %d; want at least %d records, all else equal",
				records, c.Records, n, c.Links, places, c.HeadSeq, 16*50*2)
		}
	})
}

// TestUnchainedAuditCannotBeAltered checks on PostgreSQL that a record a
// command wrote, awaiting its place in the chain, can be chained but not
// changed or deleted, and that a record slipped in outside the write path
// is not chained but found outside the chain.
func TestUnchainedAuditCannotBeAltered(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		if db.Dialect() != "postgres" {
			t.Skip("SQLite chains records as they are written")
		}
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RCU")
		writeAudited(t, db, tr, 3)
		org := tr.Org.ID
		insert := `INSERT INTO audit (id, org_id, at, user_id, username, role, action, what, xid)
			SELECT '%s', org_id, at, user_id, username, role, action, what, %s FROM audit WHERE org_id = '` + org + `' AND seq = 1`
		// Held unchained in a transaction of its own, so the chainer
		// cannot take it while the test tries to change it.
		for _, stmt := range []string{
			`BEGIN; ` + fmt.Sprintf(insert, "pending1", "pg_current_xact_id()") + `; UPDATE audit SET seq = 999, what = 'nothing' WHERE id = 'pending1'; COMMIT`,
			`BEGIN; ` + fmt.Sprintf(insert, "pending2", "pg_current_xact_id()") + `; UPDATE audit SET what = 'nothing' WHERE id = 'pending2'; COMMIT`,
			`BEGIN; ` + fmt.Sprintf(insert, "pending3", "pg_current_xact_id()") + `; DELETE FROM audit WHERE id = 'pending3'; COMMIT`,
		} {
			if err := db.ExecSchema(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want refused as append-only", stmt, err)
			}
			_ = db.ExecSchema(ctx, `ROLLBACK`)
		}
		if err := db.ExecSchema(ctx, fmt.Sprintf(insert, "pending4", "pg_current_xact_id()")); err != nil {
			t.Fatal(err)
		}
		if err := db.ExecSchema(ctx, fmt.Sprintf(insert, "forged", "NULL")); err != nil {
			t.Fatal(err)
		}
		c, err := db.VerifyAuditChain(ctx, org)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Breaks) != 1 || c.Breaks[0].RecordID != "forged" || !strings.Contains(c.Breaks[0].Problem, "outside the chain") {
			t.Errorf("breaks = %+v, want only the forged record, outside the chain", c.Breaks)
		}
		if n, err := db.QueryCount(ctx, `SELECT COUNT(*) FROM audit WHERE id = 'pending4' AND seq = `+fmt.Sprint(c.HeadSeq)); err != nil || n != 1 {
			t.Errorf("committed unchained record at the head: %d, %v; want chained last", n, err)
		}
	})
}

// TestChainerStatementPreparedOnce chains, on PostgreSQL, the audit
// records of commands that append from one to twelve events each, and
// checks that no connection parses the chainer's statement twice: the
// records go as arrays, not as a list of values in its text, which made
// another statement, parsed and planned again, for each number of
// records. The chain holds every record once.
func TestChainerStatementPreparedOnce(t *testing.T) {
	w := &turnWatch{marker: []byte("no marker"), parsing: []byte("UPDATE audit a SET")}
	restore := store.DialPostgres(w.dial)
	db := storetest.OpenPostgres(t, nil)
	restore()
	ctx := context.Background()
	tr := storetest.NewTrust(t, db, "RPO")
	clerk := tr.Actor(crs.RoleClerk)
	for n := 1; n <= 12; n++ {
		emitEvents(t, db, clerk, n)
	}
	w.mu.Lock()
	reparsed := w.reparsed
	w.mu.Unlock()
	if reparsed != 0 {
		t.Errorf("the chainer's statement was parsed again %d times on a connection that had it; want none", reparsed)
	}
	if c, err := db.VerifyAuditChain(ctx, tr.Org.ID); err != nil || !c.Intact() {
		t.Errorf("audit chain: %+v, %v; want intact", c, err)
	}
}
