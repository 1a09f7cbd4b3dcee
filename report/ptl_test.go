package report_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with the file under testdata, or rewrites the file
// with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to write it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what was written; run go test -update and review the diff\ngot:\n%s", path, got)
	}
}

// journeyTrust makes a trust with patients and a seeded patient journey:
// pathways at every stage, from one seed, so the PTL reads the same each
// time.
func journeyTrust(t *testing.T, db *store.DB) *storetest.Trust {
	t.Helper()
	ctx := context.Background()
	tr := storetest.NewTrust(t, db, "RPT")
	gen := demo.NewGenerator(7)
	ps := make([]*crs.Patient, 120)
	for i := range ps {
		ps[i] = gen.Patient()
	}
	sys := crs.SystemActor(tr.Org.ID)
	if _, err := db.LoadPatients(ctx, sys, ps, crs.LoadOptions{}); err != nil {
		t.Fatalf("register patients: %v", err)
	}
	if err := demo.SeedJourney(ctx, storetest.Journey(db), sys, demo.JourneyOptions{Referrals: 60, Workers: 1, Seed: 3}); err != nil {
		t.Fatalf("seed journey: %v", err)
	}
	return tr
}

// TestPTLCSV checks the PTL extract column by column against its golden
// file: the columns and their order are what trusts load into their
// tracking tools.
func TestPTLCSV(t *testing.T) {
	clock := crs.NewFixedClock(storetest.Epoch)
	db := storetest.OpenSQLite(t, clock)
	tr := journeyTrust(t, db)
	var buf bytes.Buffer
	if err := report.New(store.NewReportSource(db)).ExportPTL(context.Background(), tr.Actor(crs.RoleClerk), &buf, crs.PTLFilter{}); err != nil {
		t.Fatalf("export: %v", err)
	}
	golden(t, "ptl.csv", buf.Bytes())
}
