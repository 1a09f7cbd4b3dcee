package report_test

import (
	"bytes"
	"context"
	"flag"
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
	storetest.Golden(t, name, got, *update)
}

// journeyTrust makes a trust with patients and a seeded patient journey:
// pathways at every stage, from one seed, so the PTL reads the same each
// time.
func journeyTrust(t *testing.T, db *store.DB) *storetest.Trust {
	return seededTrust(t, db, "RPT", 7, 120, 3, 60)
}

// seededTrust makes a trust with patients drawn from patientSeed and a
// patient journey of referrals seeded from journeySeed.
func seededTrust(t *testing.T, db *store.DB, ods string, patientSeed int64, patients int, journeySeed int64, referrals int) *storetest.Trust {
	t.Helper()
	ctx := context.Background()
	tr := storetest.NewTrust(t, db, ods)
	gen := demo.NewGenerator(patientSeed)
	ps := make([]*crs.Patient, patients)
	for i := range ps {
		ps[i] = gen.Patient()
	}
	if _, err := db.LoadPatients(ctx, tr.System, ps, crs.LoadOptions{}); err != nil {
		t.Fatalf("register patients: %v", err)
	}
	if err := demo.SeedJourney(ctx, storetest.Journey(db), tr.System, demo.JourneyOptions{Referrals: referrals, Workers: 1, Seed: journeySeed}); err != nil {
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
