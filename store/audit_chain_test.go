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

// writeAudited registers n patients, each read back once, from several
// callers at once, so that changes and reads are chained together.
func writeAudited(t *testing.T, db *store.DB, tr *storetest.Trust, n int) {
	t.Helper()
	ctx := context.Background()
	clerk := tr.Actor(crs.RoleClerk)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := db.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
				return tx.InsertPatient(newPatient(fmt.Sprintf("Chain%03d", i), "Test", crs.NewDate(1980, 1, 1), "", "", "1"))
			})
			if err != nil {
				t.Errorf("register %d: %v", i, err)
			}
			db.Audit(clerk, "", crs.AuditSearch, "search")
		}(i)
	}
	wg.Wait()
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAuditChainHoldsUnderConcurrentWriters writes changes and reads of
// two trusts at once and finds each trust's chain whole.
func TestAuditChainHoldsUnderConcurrentWriters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		a, b := storetest.NewTrust(t, db, "RCA"), storetest.NewTrust(t, db, "RCB")
		var wg sync.WaitGroup
		for _, tr := range []*storetest.Trust{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); writeAudited(t, db, tr, 40) }()
		}
		wg.Wait()
		for _, tr := range []*storetest.Trust{a, b} {
			c, err := db.VerifyAuditChain(ctx, tr.Org.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Intact() {
				t.Errorf("%s: chain broken: %+v", tr.Org.ODSCode, c.Breaks)
			}
			if c.Records < 80 || int64(c.Links) != c.HeadSeq || c.HeadHash == "" {
				t.Errorf("%s: records = %d in %d links, head = %d %q; want at least 80 records, the links ending at the head", tr.Org.ODSCode, c.Records, c.Links, c.HeadSeq, c.HeadHash)
			}
		}
	})
}

// TestAuditAndEventsAreAppendOnly tries to change and delete audit records
// and events directly in the database and is refused.
func TestAuditAndEventsAreAppendOnly(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RAO")
		writeAudited(t, db, tr, 2)
		for _, stmt := range []string{
			`UPDATE audit SET what = 'nothing to see' WHERE org_id = '` + tr.Org.ID + `'`,
			`DELETE FROM audit WHERE org_id = '` + tr.Org.ID + `'`,
			`UPDATE events SET summary = 'rewritten' WHERE org_id = '` + tr.Org.ID + `'`,
			`DELETE FROM events WHERE org_id = '` + tr.Org.ID + `'`,
		} {
			err := db.ExecSchema(ctx, stmt)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want refused as append-only", stmt, err)
			}
		}
		if c, err := db.VerifyAuditChain(ctx, tr.Org.ID); err != nil || !c.Intact() {
			t.Errorf("chain after refused changes: %v %+v", err, c)
		}
	})
}

// TestAuditChainFindsTampering alters, deletes and inserts audit records
// and blocks of them behind the write path (as the database's owner
// could, having dropped the append-only triggers) and checks that the
// chain check finds each and names the record.
func TestAuditChainFindsTampering(t *testing.T) {
	const outside, head = -2, -1 // where a break is found besides an offset from the link tampered with
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		dropTriggers(t, db, []string{`DROP TRIGGER audit_no_update`, `DROP TRIGGER audit_no_delete`, `DROP TRIGGER audit_blocks_no_update`, `DROP TRIGGER audit_blocks_no_delete`},
			[]string{`DROP TRIGGER audit_append_only ON audit`, `DROP TRIGGER audit_blocks_append_only ON audit_blocks`})
		tests := []struct {
			name    string
			block   bool     // the link tampered with is a block: the trust's first; else its fifth record of the table
			tamper  []string // %[1]s is the trust's id, %[2]d the seq tampered with
			at      int64    // where the break must be found: an offset from that seq, outside or head
			problem string
		}{
			{"alter what was viewed", false, []string{`UPDATE audit SET what = 'nothing' WHERE org_id = '%[1]s' AND seq = %[2]d`}, 0, "altered"},
			{"alter who viewed", false, []string{`UPDATE audit SET username = 'someone.else' WHERE org_id = '%[1]s' AND seq = %[2]d`}, 0, "altered"},
			{"alter and rehash alone", false, []string{`UPDATE audit SET what = 'nothing', hash = 'f00d' WHERE org_id = '%[1]s' AND seq = %[2]d`}, 0, "altered"},
			{"delete one", false, []string{`DELETE FROM audit WHERE org_id = '%[1]s' AND seq = %[2]d`}, 1, "deleted"},
			{"delete the last", false, []string{`DELETE FROM audit WHERE org_id = '%[1]s' AND seq = (SELECT seq FROM audit_heads WHERE org_id = '%[1]s')`}, head, "missing from the end"},
			{"insert outside the chain", false, []string{`INSERT INTO audit (id, org_id, at, user_id, username, role, action) VALUES ('forged', '%[1]s', '2026-01-01T00:00:00.000000Z', 'u', 'u', 'clerk', 'view')`}, outside, "outside the chain"},
			{"insert into the chain", false, []string{`INSERT INTO audit (id, org_id, at, user_id, username, role, action, seq, prev_hash, hash) SELECT 'forged2', '%[1]s', at, user_id, username, role, action, seq + 1000, hash, 'beef' FROM audit WHERE org_id = '%[1]s' AND seq = %[2]d`}, 1000, "deleted"},
			{"alter a record of a block", true, []string{`UPDATE audit_blocks SET records = replace(records, '"search"', '"nothing"') WHERE org_id = '%[1]s' AND seq = %[2]d`}, 0, "altered"},
			{"alter a block and rehash alone", true, []string{`UPDATE audit_blocks SET records = replace(records, '"search"', '"nothing"'), hash = 'f00d' WHERE org_id = '%[1]s' AND seq = %[2]d`}, 0, "altered"},
			{"move a block's bounds", true, []string{`UPDATE audit_blocks SET last_id = '0' WHERE org_id = '%[1]s' AND seq = %[2]d`}, 0, "bounds of its block"},
			{"delete a block", true, []string{`DELETE FROM audit_blocks WHERE org_id = '%[1]s' AND seq = %[2]d`}, 1, "deleted"},
			{"delete the last block", true, []string{`DELETE FROM audit WHERE org_id = '%[1]s' AND seq = (SELECT seq FROM audit_heads WHERE org_id = '%[1]s')`,
				`DELETE FROM audit_blocks WHERE org_id = '%[1]s' AND seq = (SELECT seq FROM audit_heads WHERE org_id = '%[1]s')`}, head, "missing from the end"},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				tr := storetest.NewTrust(t, db, fmt.Sprintf("RT%d", i))
				writeAudited(t, db, tr, 6)
				writeAudited(t, db, tr, 6) // links after the first round's
				if tc.name == "delete the last" {
					// A change with no read after it: the last link is
					// its record, a row.
					err := db.Write(ctx, tr.Actor(crs.RoleClerk), crs.ActRegisterPatient, func(tx crs.Tx) error {
						return tx.InsertPatient(newPatient("Chainlast", "Test", crs.NewDate(1980, 1, 1), "", "", "1"))
					})
					if err == nil {
						err = db.Flush(ctx)
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				target := `SELECT seq FROM audit WHERE org_id = '%s' AND seq IS NOT NULL ORDER BY seq LIMIT 1 OFFSET 4`
				if tc.block {
					target = `SELECT MIN(seq) FROM audit_blocks WHERE org_id = '%s'`
				}
				seq, err := db.QueryCount(ctx, fmt.Sprintf(target, tr.Org.ID))
				if err != nil || seq == 0 {
					t.Fatalf("the link to tamper with: %d, %v", seq, err)
				}
				for _, q := range tc.tamper {
					if err := db.ExecSchema(ctx, fmt.Sprintf(q, tr.Org.ID, seq)); err != nil {
						t.Fatal(err)
					}
				}
				c, err := db.VerifyAuditChain(ctx, tr.Org.ID)
				if err != nil {
					t.Fatal(err)
				}
				if c.Intact() {
					t.Fatalf("tampering not found (records %d)", c.Records)
				}
				want := seq + tc.at
				switch tc.at {
				case head:
					want = c.HeadSeq
				case outside:
					want = 0
				}
				found := false
				for _, b := range c.Breaks {
					if b.Seq == want && strings.Contains(b.Problem, tc.problem) && (want == 0 || b.Problem != "" && (b.RecordID != "" || tc.at == head)) {
						found = true
					}
				}
				if !found {
					t.Errorf("breaks = %+v, want one at seq %d saying %q", c.Breaks, want, tc.problem)
				}
			})
		}
	})
}

// BenchmarkAuditChainVerify checks a chain of b.N read-audit records,
// written through the write path; ns/op is per record checked.
func BenchmarkAuditChainVerify(b *testing.B) {
	ctx := context.Background()
	db := storetest.OpenSQLite(b, nil)
	tr := storetest.NewTrust(b, db, "RBV")
	clerk := tr.Actor(crs.RoleClerk)
	for i := 0; i < b.N; i++ {
		db.Audit(clerk, "", crs.AuditSearch, "search")
	}
	if err := db.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	c, err := db.VerifyAuditChain(ctx, tr.Org.ID)
	if err != nil || !c.Intact() {
		b.Fatalf("%v %+v", err, c)
	}
}
