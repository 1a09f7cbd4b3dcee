package bench

import (
	"context"
	"io"
	"path/filepath"
	"testing"
)

// TestReportsBenchReuse seeds a tiny trust into a SQLite file, then times
// its returns again with Reuse: the second run seeds nothing and finds
// the same figures, equal to the event-based reference. Reuse without a
// database is refused.
func TestReportsBenchReuse(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "reports.db")
	first, err := Reports(ctx, io.Discard, ReportsOptions{Pathways: 300, Activity: 60, Runs: 1, DSN: dsn, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("seeded run: %v", err)
	}
	again, err := Reports(ctx, io.Discard, ReportsOptions{Pathways: 300, Activity: 60, Runs: 1, DSN: dsn, Reuse: true, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("reused run: %v", err)
	}
	if !first.Equal || !again.Equal {
		t.Fatalf("figures from the courses equal the events: seeded %v, reused %v", first.Equal, again.Equal)
	}
	if first.Incomplete+first.Completed == 0 || again.Incomplete != first.Incomplete || again.Completed != first.Completed {
		t.Fatalf("reused run counted %d incomplete and %d completed; the seeded run %d and %d", again.Incomplete, again.Completed, first.Incomplete, first.Completed)
	}
	if first.SeedTime == 0 || again.SeedTime != 0 {
		t.Fatalf("seeded run took %v to seed, reused run %v (it seeded again)", first.SeedTime, again.SeedTime)
	}
	if _, err := Reports(ctx, io.Discard, ReportsOptions{Pathways: 300, Reuse: true, Logger: quietLogger()}); err == nil {
		t.Fatal("reuse without a database was not refused")
	}
}
