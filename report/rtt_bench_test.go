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
// 20,000 open pathways (`crs bench reports` measures it at a million),
// from the clock courses and, the reference, from the events.
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
	for _, c := range []struct {
		name  string
		basis crs.ReportBasis
	}{{"courses", crs.ReportBasis{}}, {"events", crs.ReportBasis{FromEvents: true}}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.RTTReturn(ctx, tr.System, month, crs.RTTReturnOptions{Basis: c.basis}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
