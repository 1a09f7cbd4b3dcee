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
			if c.Records < 80 || int64(c.Records) != c.HeadSeq || c.HeadHash == "" {
				t.Errorf("%s: records = %d, head = %d %q; want at least 80 records ending at the head", tr.Org.ODSCode, c.Records, c.HeadSeq, c.HeadHash)
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
// behind the write path (as the database's owner could, having dropped
// the append-only triggers) and checks that the chain check finds each
// and names the record.
func TestAuditChainFindsTampering(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		dropTriggers(t, db, []string{`DROP TRIGGER audit_no_update`, `DROP TRIGGER audit_no_delete`}, []string{`DROP TRIGGER audit_append_only ON audit`})
		tests := []struct {
			name    string
			tamper  string // %[1]s is the trust's id, %[2]d the seq tampered with
			atSeq   int64  // where the break must be found; 0 for outside the chain
			problem string
		}{
			{"alter what was viewed", `UPDATE audit SET what = 'nothing' WHERE org_id = '%[1]s' AND seq = %[2]d`, 5, "altered"},
			{"alter who viewed", `UPDATE audit SET username = 'someone.else' WHERE org_id = '%[1]s' AND seq = %[2]d`, 5, "altered"},
			{"alter and rehash alone", `UPDATE audit SET what = 'nothing', hash = 'f00d' WHERE org_id = '%[1]s' AND seq = %[2]d`, 5, "altered"},
			{"delete one", `DELETE FROM audit WHERE org_id = '%[1]s' AND seq = %[2]d`, 6, "deleted"},
			{"delete the last", `DELETE FROM audit WHERE org_id = '%[1]s' AND seq = (SELECT MAX(seq) FROM audit WHERE org_id = '%[1]s')`, -1, "missing from the end"},
			{"insert outside the chain", `INSERT INTO audit (id, org_id, at, user_id, username, role, action) VALUES ('forged', '%[1]s', '2026-01-01T00:00:00.000000Z', 'u', 'u', 'clerk', 'view')`, 0, "outside the chain"},
			{"insert into the chain", `INSERT INTO audit (id, org_id, at, user_id, username, role, action, seq, prev_hash, hash) SELECT 'forged2', '%[1]s', at, user_id, username, role, action, seq + 1000, hash, 'beef' FROM audit WHERE org_id = '%[1]s' AND seq = %[2]d`, 1005, "deleted"},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				tr := storetest.NewTrust(t, db, fmt.Sprintf("RT%d", i))
				writeAudited(t, db, tr, 6)
				if err := db.ExecSchema(ctx, fmt.Sprintf(tc.tamper, tr.Org.ID, 5)); err != nil {
					t.Fatal(err)
				}
				c, err := db.VerifyAuditChain(ctx, tr.Org.ID)
				if err != nil {
					t.Fatal(err)
				}
				if c.Intact() {
					t.Fatalf("tampering not found (records %d)", c.Records)
				}
				want := tc.atSeq
				if want == -1 {
					want = c.HeadSeq
				}
				found := false
				for _, b := range c.Breaks {
					if b.Seq == want && strings.Contains(b.Problem, tc.problem) && (want == 0 || b.Problem != "" && (b.RecordID != "" || tc.atSeq == -1)) {
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
