package store_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestQueuedReadAuditsAllWritten queues the audit records of many reads
// and of a search's list at once, as a busy API does, and finds every
// record written once, the list's patients in each patient's trail and
// the chain intact: the writer's multi-row INSERTs (in chunks of 64, 32
// ... 1) lose and repeat none.
func TestQueuedReadAuditsAllWritten(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RAQ", 0)
		s.patients = registerListwells(t, db, s.clerk)
		const reads = 151 // 64 + 64 + 16 + 4 + 2 + 1 when queued together
		for i := 0; i < reads; i++ {
			db.Audit(s.clerk, s.patients[i%3].ID, crs.AuditView, fmt.Sprintf("queued read %d", i))
		}
		if _, err := store.NewPatientService(db).SearchPatients(ctx, s.clerk, crs.PatientQuery{FamilyName: "Listwell"}); err != nil {
			t.Fatal(err)
		}
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		var n, distinct int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT what) FROM audit_trail WHERE org_id = $1 AND action = $2 AND what LIKE 'queued read %'`,
			s.tr.Org.ID, crs.AuditView).Scan(&n, &distinct); err != nil {
			t.Fatal(err)
		}
		if n != reads || distinct != reads {
			t.Errorf("%d read records written (%d distinct); want %d", n, distinct, reads)
		}
		if got := listRecords(t, db, s.tr.Org.ID, "search result"); got != 1 {
			t.Errorf("%d list records of the search; want 1", got)
		}
		officer := s.tr.Actor(crs.RolePrivacyOfficer)
		for _, p := range s.patients {
			if !trailShows(t, db, officer, p.ID, s.clerk.UserID, "search result") {
				t.Errorf("patient %s's trail does not show the search that listed them", p.ID)
			}
		}
		// The trails read are audited too: their records are written
		// before the chain is checked.
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if c, err := db.VerifyAuditChain(ctx, s.tr.Org.ID); err != nil || !c.Intact() {
			t.Fatalf("chain: %v %+v", err, c)
		}
	})
}

// TestFlushWritesEveryQueuedAudit queues far more read-audit records
// than one batch takes and checks that Flush returns only once every one
// of them is written: a trail read right after it shows them all.
func TestFlushWritesEveryQueuedAudit(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RAF", 0)
		s.patients = registerListwells(t, db, s.clerk)
		const reads = 20000
		for i := 0; i < reads; i++ {
			db.Audit(s.clerk, s.patients[0].ID, crs.AuditView, "queued read")
		}
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_trail WHERE org_id = $1 AND action = $2 AND what = 'queued read'`,
			s.tr.Org.ID, crs.AuditView).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != reads {
			t.Errorf("%d of the %d queued records written when Flush returned", n, reads)
		}
	})
}

// BenchmarkReadAudit measures the writer's cost of the audit record of a
// read: records of reads of 2,000 patients queued as fast as they come
// and written by the committer (SQLite) or the audit writer (PostgreSQL,
// with CRS_BENCH_POSTGRES=1 and CRS_TEST_POSTGRES), timed to the last one
// written.
func BenchmarkReadAudit(b *testing.B) {
	db := storetest.OpenBench(b)
	tr := storetest.NewTrust(b, db, "RAB")
	a := tr.Actor(crs.RoleClerk)
	patients := make([]string, 2000)
	for i := range patients {
		patients[i] = crs.NewID()
	}
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		db.Audit(a, patients[(i*7919)%len(patients)], crs.AuditView, "demographics")
	}
	if err := db.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	// The process's CPU time says what the records cost on a machine
	// others share, where the wall time says mostly how busy it was.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU is the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
