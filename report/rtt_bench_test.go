package report_test

import (
	"context"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// BenchmarkRTTReturn works out the monthly RTT return of a trust with
// 20,000 open pathways (`crs bench reports` measures it at a million).
func BenchmarkRTTReturn(b *testing.B) {
	ctx := context.Background()
	db := storetest.OpenSQLite(b, crs.NewFixedClock(storetest.Epoch))
	tr := storetest.NewTrust(b, db, "RBR")
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
	svc := report.New(store.NewReportSource(db))
	month := crs.NewDate(2026, 2, 1)
	b.ResetTimer()
	for b.Loop() {
		if _, err := svc.RTTReturn(ctx, tr.System, month, crs.RTTReturnOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
