package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestFHIRBenchReads runs a tiny `crs bench fhir` and checks the reads'
// figures: every read answered, the process's CPU per read counted, the
// latency in the client's socket (Linux) never above the client's own,
// and the trace and the mutex and blocking profiles of the reads
// written. On PostgreSQL too when CRS_TEST_POSTGRES names a database.
func TestFHIRBenchReads(t *testing.T) { onBothEngines(t, testFHIRBenchReads) }

// onBothEngines runs test on a new SQLite database (dsn "") and on the
// PostgreSQL database CRS_TEST_POSTGRES names, skipped when it is unset.
func onBothEngines(t *testing.T, test func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, "") })
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("CRS_TEST_POSTGRES")
		if dsn == "" {
			t.Skip("CRS_TEST_POSTGRES is not set")
		}
		test(t, dsn)
	})
}

func testFHIRBenchReads(t *testing.T, dsn string) {
	dir := t.TempDir()
	o := FHIROptions{Patients: 30, Reads: 300, Clients: []int{1, 4}, Searches: 10, DSN: dsn, Dir: dir,
		Trace: filepath.Join(dir, "reads.trace"), MutexProfile: filepath.Join(dir, "reads.mutex"), BlockProfile: filepath.Join(dir, "reads.block")}
	var out bytes.Buffer
	figs, err := FHIR(context.Background(), &out, o)
	if err != nil {
		t.Fatalf("FHIR: %v", err)
	}
	t.Logf("\n%s", out.String())
	reads := 0
	for _, f := range figs {
		if f.Name != "read Patient/[id]" {
			continue
		}
		reads++
		if f.N != 300 || f.PerSec <= 0 || f.P50 <= 0 || f.P99 < f.P50 || f.Max < f.P99 {
			t.Errorf("%d clients: %+v", f.Clients, f)
		}
		if runtime.GOOS == "linux" && f.CPU <= 0 {
			t.Errorf("%d clients: no CPU counted per read", f.Clients)
		}
		if runtime.GOOS != "linux" {
			continue
		}
		// A read's answer is in the socket before the client reads it.
		if f.WireP50 <= 0 || f.WireP50 > f.P50 || f.WireP99 > f.P99 {
			t.Errorf("%d clients: in the socket p50 %v p99 %v, at the client p50 %v p99 %v", f.Clients, f.WireP50, f.WireP99, f.P50, f.P99)
		}
	}
	if reads != 2 {
		t.Errorf("%d read figures, want one at each of 1 and 4 clients", reads)
	}
	if !strings.Contains(out.String(), "in the client's socket") && runtime.GOOS == "linux" {
		t.Errorf("no latency in the socket printed")
	}
	for _, f := range []string{o.Trace, o.MutexProfile, o.BlockProfile} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", filepath.Base(f), err)
		}
	}
	if b, err := os.ReadFile(o.Trace); err == nil && !bytes.HasPrefix(b, []byte("go 1.")) {
		t.Errorf("reads.trace is not an execution trace: %.20q", b)
	}
}
