package bench

import (
	"bytes"
	"context"
	"testing"
)

// TestCDSBench seeds a tiny month and checks every extract sent every
// record once, sent nothing the second time and everything in bulk.
// On PostgreSQL too when CRS_TEST_POSTGRES names a database.
func TestCDSBench(t *testing.T) { onBothEngines(t, testCDSBench) }

func testCDSBench(t *testing.T, dsn string) {
	var out bytes.Buffer
	res, err := CDS(context.Background(), &out, CDSOptions{EDAttendances: 16, Appointments: 40, Episodes: 16, Patients: 400, Beds: 60, DSN: dsn, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("CDS: %v", err)
	}
	t.Logf("\n%s", out.String())
	want := map[string]int{"ecds": 16, "outpatient": 40, "apc": 16}
	if len(res.Runs) != 9 {
		t.Fatalf("runs = %d, want 9", len(res.Runs))
	}
	for _, r := range res.Runs {
		sent := want[r.Type]
		if r.Kind == "again" {
			sent = 0
		}
		if r.Records != want[r.Type] || r.Sent != sent || r.Rejected != 0 || r.Time <= 0 || r.Heap == 0 {
			t.Errorf("%s %s: %+v, want %d records, %d sent, none rejected", r.Type, r.Kind, r, want[r.Type], sent)
		}
	}
}
