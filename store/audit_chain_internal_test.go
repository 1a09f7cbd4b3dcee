package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestChainExistingAudit makes a trust's audit records as they were
// before the chain (no seq, no hashes, no head) and runs what migration
// 0059 runs: afterwards the chain holds every record, in the order they
// were written.
func TestChainExistingAudit(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "legacy.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	org := &crs.Organisation{ODSCode: "RLG", Name: "Legacy Trust"}
	if err := NewOrganisationService(db).CreateOrganisation(ctx, crs.SystemActor(""), org); err != nil {
		t.Fatal(err)
	}
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP TRIGGER audit_no_update`,
		`UPDATE audit SET seq = NULL, prev_hash = '', hash = ''`,
		`DELETE FROM audit_heads`,
	} {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	for i := 0; i < 5; i++ { // views recorded a row each, as they were then
		if _, err := db.write.ExecContext(ctx, `INSERT INTO audit (id, org_id, at, user_id, username, role, action, what) VALUES ($1, $2, $3, 'system', 'system', 'system', 'view', 'a page')`,
			crs.NewID(), org.ID, formatTime(time.Date(2026, 3, 2, 9, i, 0, 0, time.UTC))); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := db.VerifyAuditChain(ctx, org.ID); err != nil || c.Intact() {
		t.Fatalf("before chaining: %v, intact %v; want records outside the chain", err, c != nil && c.Intact())
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := chainExistingAudit(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	c, err := db.VerifyAuditChain(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Intact() || c.Records < 6 || c.HeadSeq != int64(c.Records) {
		t.Errorf("after chaining: %d records, head %d, breaks %+v; want all chained", c.Records, c.HeadSeq, c.Breaks)
	}
}

// BenchmarkAuditHash is the cost of chaining one audit record, paid by
// the writer in the transaction that writes it.
func BenchmarkAuditHash(b *testing.B) {
	r := &crs.AuditRecord{ID: crs.NewID(), OrgID: crs.NewID(), UserID: crs.NewID(), Username: "a.clerk", Role: crs.RoleClerk,
		PatientID: crs.NewID(), Action: crs.AuditView, What: "demographics", Purpose: "direct care"}
	prev := auditHash("", 1, auditArgs(r))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		prev = auditHash(prev, int64(i), auditArgs(r))
	}
}

// TestBlockTerms: a block's index terms are its patients' then its
// users', each its prefix and its value in hexadecimal, one space
// between them and none before or after, whatever list is empty.
func TestBlockTerms(t *testing.T) {
	for _, tc := range []struct {
		patients, users []string
		want            string
	}{
		{[]string{"a", "b"}, []string{"u1"}, "p61 p62 u7531"},
		{nil, []string{"ann", "u1"}, "u616E6E u7531"},
		{[]string{"p-9"}, nil, "p702D39"},
		{nil, nil, ""},
	} {
		if got := blockTerms(tc.patients, tc.users); got != tc.want {
			t.Errorf("blockTerms(%q, %q) = %q, want %q", tc.patients, tc.users, got, tc.want)
		}
	}
}
