package bench

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestReportsBenchReuse seeds a tiny trust in bulk, then times its
// returns again with Reuse: the second run seeds nothing and finds the
// same figures, equal to the event-based reference, so the seeded clock
// courses agree with the seeded events. On SQLite, and on PostgreSQL
// (in a schema of its own) when CRS_TEST_POSTGRES names a database.
// Reuse without a database is refused.
func TestReportsBenchReuse(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testReportsBenchReuse(t, "sqlite:"+filepath.Join(t.TempDir(), "reports.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("CRS_TEST_POSTGRES")
		if dsn == "" {
			t.Skip("CRS_TEST_POSTGRES is not set")
		}
		schemaDSN, drop, err := benchSchema(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(drop)
		testReportsBenchReuse(t, schemaDSN)
	})
	if _, err := Reports(context.Background(), io.Discard, ReportsOptions{Pathways: 300, Reuse: true, Logger: quietLogger()}); err == nil {
		t.Fatal("reuse without a database was not refused")
	}
}

func testReportsBenchReuse(t *testing.T, dsn string) {
	ctx := context.Background()
	first, err := Reports(ctx, io.Discard, ReportsOptions{Pathways: 600, Activity: 150, Runs: 1, DSN: dsn, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("seeded run: %v", err)
	}
	again, err := Reports(ctx, io.Discard, ReportsOptions{Pathways: 600, Activity: 150, Runs: 1, DSN: dsn, Reuse: true, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("reused run: %v", err)
	}
	if !first.Equal || !again.Equal {
		t.Fatalf("figures from the courses equal the events: seeded %v, reused %v", first.Equal, again.Equal)
	}
	// Most pathways are open; some stopped in the month of the return.
	if first.Incomplete < 400 || first.Incomplete > 600 || first.Completed == 0 || again.Incomplete != first.Incomplete || again.Completed != first.Completed {
		t.Fatalf("reused run counted %d incomplete and %d completed; the seeded run %d and %d", again.Incomplete, again.Completed, first.Incomplete, first.Completed)
	}
	if first.SeedTime == 0 || again.SeedTime != 0 {
		t.Fatalf("seeded run took %v to seed, reused run %v (it seeded again)", first.SeedTime, again.SeedTime)
	}
}
