//go:build unix

package fhir

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// BenchmarkStoreCreates writes the creates of Synthea patients'
// transaction Bundles, prepared as their requests prepare them, each
// Bundle one command of the resource store's (PutResources), one after
// another: the committer's share of an ingest, without HTTP, decoding
// or preparing. It reports the time a resource, the committer's share
// of it (the commands run and their commits), and the process's CPU
// time a resource, which a busy machine's other work does not add to. The
// database is PostgreSQL with CRS_BENCH_POSTGRES=1 (and
// CRS_TEST_POSTGRES), else SQLite.
func BenchmarkStoreCreates(b *testing.B) {
	files := syntheaBundles(b)
	if len(files) > 40 {
		files = files[:40]
	}
	type bundle struct {
		rs    []*crs.Resource
		index [][]crs.ResourceIndexRow
	}
	// prepare reads every Bundle again: a round writes new resources.
	prepare := func() ([]bundle, int) {
		var out []bundle
		n := 0
		for _, f := range files {
			entries := bundleEntries(b, gunzip(b, f))
			prepareCreates(entries)
			var bu bundle
			for _, e := range entries {
				if e.prepared == nil {
					continue
				}
				p := e.prepared
				copy(p.body[p.at:], "2026-03-02T09:00:00.000Z")
				bu.rs = append(bu.rs, &crs.Resource{Type: e.typ, ID: e.newID, Version: 1, Body: p.body, PatientID: p.patient})
				bu.index = append(bu.index, p.rows)
			}
			n += len(bu.rs)
			out = append(out, bu)
		}
		return out, n
	}
	db := storetest.OpenBench(b)
	tr := storetest.NewTrust(b, db, "RBN")
	a := tr.Actor(crs.RoleInterface)
	ctx := context.Background()
	total := 0
	var run, commit time.Duration
	db.TimeWrites(func(t store.WriteTiming) { run += t.Run; commit += t.Commit / time.Duration(t.Batch) })
	defer db.TimeWrites(nil)
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		bundles, n := prepare()
		total += n
		b.StartTimer()
		before := processCPU(b)
		for _, bu := range bundles {
			if err := db.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error { return tx.PutResources(bu.rs, bu.index) }); err != nil {
				b.Fatal(err)
			}
		}
		cpu += processCPU(b) - before
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(total), "µs/resource")
	b.ReportMetric(float64(cpu.Microseconds())/float64(total), "cpu-µs/resource")
	b.ReportMetric(float64(run.Microseconds())/float64(total), "run-µs/resource")
	b.ReportMetric(float64(commit.Microseconds())/float64(total), "commit-µs/resource")
}

// processCPU is the CPU time the process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
