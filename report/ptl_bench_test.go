package report_test

import (
	"context"
	"io"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// BenchmarkExportPTL writes the PTL extract of a trust with 20,000 open
// pathways, the hot path of the weekly validation (`crs bench journey`
// measures it at a million).
func BenchmarkExportPTL(b *testing.B) {
	ctx := context.Background()
	db := storetest.OpenSQLite(b, crs.NewFixedClock(storetest.Epoch))
	tr := storetest.NewTrust(b, db, "RBX")
	gen := demo.NewGenerator(1)
	ps := make([]*crs.Patient, 4000)
	for i := range ps {
		ps[i] = gen.Patient()
	}
	if _, err := db.LoadPatients(ctx, tr.System, ps, crs.LoadOptions{}); err != nil {
		b.Fatal(err)
	}
	if err := demo.SeedJourney(ctx, storetest.Journey(db), tr.System, demo.JourneyOptions{BulkPathways: 20000}); err != nil {
		b.Fatal(err)
	}
	reports := report.New(store.NewReportSource(db))
	clerk := tr.Actor(crs.RoleClerk)
	b.ReportAllocs()
	for b.Loop() {
		if err := reports.ExportPTL(ctx, clerk, io.Discard, crs.PTLFilter{}); err != nil {
			b.Fatal(err)
		}
	}
}
