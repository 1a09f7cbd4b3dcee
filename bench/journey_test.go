package bench

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestJourney(t *testing.T) {
	var out bytes.Buffer
	res, err := Journey(context.Background(), &out, JourneyOptions{Pathways: 500, Beds: 60, Queries: 5, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("Journey: %v", err)
	}
	t.Logf("\n%s", out.String())
	if res.Pathways != 500 || res.SeedRate <= 0 {
		t.Errorf("seeded %d pathways at %.0f/s, want 500 at a rate above 0", res.Pathways, res.SeedRate)
	}
	if res.PTLRows < 500 {
		t.Errorf("PTL has %d pathways, want at least the 500 seeded", res.PTLRows)
	}
	if len(res.PTL) != 3 {
		t.Fatalf("PTL timings = %d, want 3 (all, treatment function, consultant)", len(res.PTL))
	}
	for _, l := range res.PTL {
		if l.Runs != 5 || l.Rows == 0 || l.P50 <= 0 || l.P95 < l.P50 || l.P99 < l.P95 {
			t.Errorf("%s: runs %d, rows %d, p50 %v, p95 %v, p99 %v; want 5 runs, rows, and 0 < p50 <= p95 <= p99", l.Name, l.Runs, l.Rows, l.P50, l.P95, l.P99)
		}
	}
	if res.PTL[0].Rows != 100 {
		t.Errorf("first PTL page has %d rows, want 100", res.PTL[0].Rows)
	}
	if res.Beds != 60 || res.BedBoard.Rows != 60 {
		t.Errorf("beds = %d, on the bed board %d; want 60", res.Beds, res.BedBoard.Rows)
	}
	if res.OccupiedBeds == 0 || res.OccupiedBeds > 60 {
		t.Errorf("occupied beds = %d, want between 1 and 60", res.OccupiedBeds)
	}
	if res.ExportRows != res.PTLRows || res.ExportSize == 0 || len(res.ExportRuns) != journeyExportRuns {
		t.Errorf("export: %d rows, %d bytes, %d runs; want %d rows, some bytes, %d runs", res.ExportRows, res.ExportSize, len(res.ExportRuns), res.PTLRows, journeyExportRuns)
	}
	for _, want := range []string{"crs bench journey --pathways 500 --beds 60 --queries 5", "PTL first page, all pathways", "bed board", "full PTL export"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// benchTrust builds a trust of 20,000 open pathways, 4,000 patients and
// 300 beds, about nine in ten occupied, in a folder removed after the
// benchmark. A benchmark that uses b.Loop runs its body once, so the trust
// is built once per benchmark, not once per round.
func benchTrust(b *testing.B) *journeyTrust {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "journey.db"))
	if err != nil {
		b.Fatalf("open: %v", err)
	}
	b.Cleanup(func() { db.Close() })
	db.Logger = quietLogger()
	tr, err := newJourneyTrust(ctx, db, 300)
	if err == nil {
		err = tr.registerPatients(ctx, 4000, db.Logger)
	}
	if err == nil {
		err = tr.seedPathways(ctx, 20000)
	}
	if err == nil {
		err = tr.seedJourney(ctx)
	}
	if err != nil {
		b.Fatalf("build the bench trust: %v", err)
	}
	return tr
}

func BenchmarkPTLFirstPage(b *testing.B) {
	tr := benchTrust(b)
	refs := store.NewReferralService(tr.db)
	for _, bc := range []struct {
		name string
		f    crs.PTLFilter
	}{
		{"all", crs.PTLFilter{}},
		{"treatment_function", crs.PTLFilter{TreatmentFunction: tr.ptlTF}},
		{"consultant", crs.PTLFilter{ConsultantCode: tr.ptlCon}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				page, err := refs.PTL(context.Background(), tr.clerk, bc.f)
				if err != nil || len(page.Rows) == 0 {
					b.Fatalf("PTL: %d rows, %v", len(page.Rows), err)
				}
			}
		})
	}
}

func BenchmarkBedBoard(b *testing.B) {
	tr := benchTrust(b)
	ip := store.NewInpatientService(tr.db)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ip.BedBoard(context.Background(), tr.clerk); err != nil {
			b.Fatalf("bed board: %v", err)
		}
	}
}

// TestJourneyReuse: a second run on the database of the first times the
// same trust's reads without seeding it again.
func TestJourneyReuse(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "journey.db")
	first, err := Journey(context.Background(), io.Discard, JourneyOptions{Pathways: 300, Beds: 30, Queries: 3, DSN: dsn, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("Journey: %v", err)
	}
	var out bytes.Buffer
	again, err := Journey(context.Background(), &out, JourneyOptions{Reuse: true, Queries: 3, DSN: dsn, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("Journey --reuse: %v", err)
	}
	if again.SeedTime != 0 || again.Pathways != 0 {
		t.Errorf("the reuse seeded %d pathways in %v, want none", again.Pathways, again.SeedTime)
	}
	if again.PTLRows != first.PTLRows || again.ExportRows != first.PTLRows || again.BedBoard.Rows != 30 || again.Beds != 30 || again.Wards != first.Wards {
		t.Errorf("reuse: PTL %d, exported %d, bed board %d, beds %d on %d wards; want %d, %d, 30, 30 on %d", again.PTLRows, again.ExportRows, again.BedBoard.Rows,
			again.Beds, again.Wards, first.PTLRows, first.PTLRows, first.Wards)
	}
	for _, want := range []string{"crs bench journey --reuse --db DSN --queries 3", "seeded by an earlier run"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := Journey(context.Background(), io.Discard, JourneyOptions{Reuse: true, Logger: quietLogger()}); err == nil {
		t.Error("--reuse without --db ran; want an error that says it needs the database")
	}
}
