package bench_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/bench"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

func TestPMI(t *testing.T) {
	var out strings.Builder
	res, err := bench.PMI(context.Background(), &out, bench.PMIOptions{Patients: 3000, Queries: 300, Seed: 1})
	if err != nil {
		t.Fatalf("PMI: %v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	if res.Patients != 3000 || res.Rate <= 0 || res.DiskBytes == 0 || len(res.Queries) != 3 {
		t.Fatalf("result %+v", res)
	}
	for _, q := range res.Queries {
		if q.N == 0 || q.P50 > q.P99 || q.P99 > q.Max {
			t.Errorf("%s: %+v", q.Name, q)
		}
	}
	if nhs := res.Queries[0]; nhs.Found != nhs.N {
		t.Errorf("NHS number lookups found %d of %d", nhs.Found, nhs.N)
	}
	for _, want := range []string{"crs bench pmi --patients 3000", "patients/s", "NHS number lookup", "p99", "search indexes built in"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// fixture is a 100,000-patient database built once for the benchmarks.
var fixture struct {
	once   sync.Once
	dir    string
	db     *store.DB
	clerk  crs.Actor
	sample []*crs.Patient
	err    error
}

const fixturePatients = 100_000

func openFixture(b *testing.B) {
	fixture.once.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "crs-bench-fixture-")
		if err != nil {
			fixture.err = err
			return
		}
		fixture.dir = dir
		db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "crs.db"))
		if err != nil {
			fixture.err = err
			return
		}
		fixture.db = db
		org := &crs.Organisation{ODSCode: "RBF", Name: "Benchmark NHS Trust", MRNPrefix: "B"}
		if fixture.err = store.NewOrganisationService(db).CreateOrganisation(ctx, crs.SystemActor(""), org); fixture.err != nil {
			return
		}
		u := &crs.User{Username: "clerk.rbf", Name: "Benchmark clerk", Role: crs.RoleClerk}
		if fixture.err = store.NewUserService(db).CreateUser(ctx, crs.SystemActor(org.ID), u, demo.Password); fixture.err != nil {
			return
		}
		fixture.clerk = crs.ActorFor(u, "direct care")
		gen := demo.NewGenerator(1)
		ps := make([]*crs.Patient, fixturePatients)
		for i := range ps {
			ps[i] = gen.Patient()
		}
		if fixture.err = store.ImportPatients(ctx, db, crs.SystemActor(org.ID), ps); fixture.err != nil {
			return
		}
		r := rand.New(rand.NewPCG(1, 2))
		for len(fixture.sample) < 1000 {
			if p := ps[r.IntN(len(ps))]; p.NHSNumber != "" {
				fixture.sample = append(fixture.sample, p)
			}
		}
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.db != nil {
		fixture.db.Close()
	}
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// BenchmarkFindByNHSNumber looks a patient up by NHS number in a
// 100,000-patient index, audited as a clerk's read.
func BenchmarkFindByNHSNumber(b *testing.B) {
	openFixture(b)
	ctx := context.Background()
	ps := store.NewPatientService(fixture.db)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := fixture.sample[i%len(fixture.sample)]
		if _, err := ps.FindPatientByIdentifier(ctx, fixture.clerk, "nhs", p.NHSNumber); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchNameDOB searches a 100,000-patient index by family name
// (whole, a prefix or misspelt) and date of birth.
func BenchmarkSearchNameDOB(b *testing.B) {
	openFixture(b)
	ctx := context.Background()
	ps := store.NewPatientService(fixture.db)
	r := rand.New(rand.NewPCG(3, 4))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := fixture.sample[i%len(fixture.sample)]
		if _, err := ps.SearchPatients(ctx, fixture.clerk, crs.PatientQuery{Text: bench.NameDOBQuery(r, p)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchNamePrefix searches a 100,000-patient index by the first
// letters of a name.
func BenchmarkSearchNamePrefix(b *testing.B) {
	openFixture(b)
	ctx := context.Background()
	ps := store.NewPatientService(fixture.db)
	r := rand.New(rand.NewPCG(5, 6))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := fixture.sample[i%len(fixture.sample)]
		if _, err := ps.SearchPatients(ctx, fixture.clerk, crs.PatientQuery{Text: bench.PrefixQuery(r, p)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImportPatients registers generated patients into a fresh
// database through the import path; ns/op is per patient.
func BenchmarkImportPatients(b *testing.B) {
	ctx := context.Background()
	db := storetest.OpenSQLite(b, nil)
	tr := storetest.NewTrust(b, db, "RBI")
	gen := demo.NewGenerator(2)
	ps := make([]*crs.Patient, b.N)
	for i := range ps {
		ps[i] = gen.Patient()
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := store.ImportPatients(ctx, db, tr.System, ps); err != nil {
		b.Fatal(err)
	}
}

// TestPMIFull runs the whole benchmark when CRS_BENCH_PMI_PATIENTS is
// set, e.g. to 2500000; `crs bench pmi` is the usual way to run it.
func TestPMIFull(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CRS_BENCH_PMI_PATIENTS"))
	if n == 0 {
		t.Skip("CRS_BENCH_PMI_PATIENTS is not set")
	}
	batch, _ := strconv.Atoi(os.Getenv("CRS_BENCH_PMI_BATCH"))
	if _, err := bench.PMI(context.Background(), os.Stdout, bench.PMIOptions{Patients: n, BatchSize: batch, Seed: 1}); err != nil {
		t.Fatal(err)
	}
}
