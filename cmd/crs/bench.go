package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/opencrs/crs/bench"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, `Usage: crs bench <what> [flags]

  pmi      load a patient index and time NHS-number lookups and name searches
  hl7      inbound HL7 messages per second and ACK latency over MLLP
  journey  PTL page and export time, and the bed board, at a large trust's scale
  import   generate a legacy PAS extract and time crs import legacy
  reports  the monthly RTT return and incomplete figures at a million pathways
  day      a large trust's busy hour: thousands of staff on the web pages and an HL7 feed at once
  cds      a month's CDS XML extracts (emergency care, outpatient, admitted patient care) at a large trust's scale
  fhir     FHIR API over HTTP: reads at 1, 16, 64 clients, transactions, searches, $everything, Synthea ingest

Run "crs bench <what> --help" for its flags.`)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	logger := newLogger(stderr, "warn")
	var fs *flag.FlagSet
	var run func() error
	var ownProfile *string // set by a benchmark that profiles only its measured time
	switch args[0] {
	case "pmi":
		fs = newFlags("bench pmi", "bench pmi [flags]", stdout)
		o := bench.PMIOptions{Logger: logger}
		fs.IntVar(&o.Patients, "patients", 2500000, "patients to load")
		fs.IntVar(&o.Queries, "queries", 10000, "searches of each kind to time")
		fs.StringVar(&o.DSN, "db", "", "database (default: a new SQLite file in a temporary folder)")
		fs.BoolVar(&o.Keep, "keep", false, "keep the temporary database")
		fs.Int64Var(&o.Seed, "seed", 0, "chooses the generated patients and searches")
		fs.IntVar(&o.BatchSize, "batch", 0, "patients per import command (default 2000)")
		run = func() error { _, err := bench.PMI(ctx, stdout, o); return err }
	case "hl7":
		fs = newFlags("bench hl7", "bench hl7 [flags]", stdout)
		var o bench.HL7Options
		fs.IntVar(&o.Messages, "messages", 20000, "ADT messages to send at each number of connections")
		fs.StringVar(&o.Dir, "dir", "", "folder for the fresh SQLite database (default: a temporary folder)")
		fs.StringVar(&o.DSN, "db", "", "database: sqlite:PATH (a new file) or postgres://... (the run makes and drops a schema of its own)")
		countsFlag(fs, "conns", "comma-separated numbers of concurrent connections to measure (default 1,4,16)", "connections such as 1,4,16", &o.Conns)
		run = func() error { return bench.HL7(ctx, stdout, o) }
	case "journey":
		fs = newFlags("bench journey", "bench journey [flags]", stdout)
		o := bench.JourneyOptions{Logger: logger}
		fs.IntVar(&o.Pathways, "pathways", 1000000, "open RTT pathways on the PTL")
		fs.IntVar(&o.Beds, "beds", 1500, "inpatient beds")
		fs.IntVar(&o.Patients, "patients", 0, "patients the pathways are shared among (default one per five pathways)")
		fs.IntVar(&o.Queries, "queries", 200, "times each read is timed")
		fs.StringVar(&o.DSN, "db", "", "database (default: a new SQLite file in a temporary folder)")
		fs.BoolVar(&o.Keep, "keep", false, "keep the temporary database")
		fs.BoolVar(&o.Reuse, "reuse", false, "time the reads of the trust a run before seeded in --db instead of seeding one")
		run = func() error { _, err := bench.Journey(ctx, stdout, o); return err }
	case "import":
		fs, run = benchImportFlags(ctx, stdout, stderr)
	case "reports":
		fs = newFlags("bench reports", "bench reports [flags]", stdout)
		o := bench.ReportsOptions{Logger: logger}
		fs.IntVar(&o.Pathways, "pathways", 1000000, "RTT pathways")
		fs.IntVar(&o.Activity, "activity", 0, "pathways stopped over the past year (default a quarter)")
		fs.IntVar(&o.Runs, "runs", 3, "times each return is worked out")
		fs.StringVar(&o.DSN, "db", "", "database (default: a new SQLite file in a temporary folder)")
		fs.BoolVar(&o.Keep, "keep", false, "keep the temporary database (its path is logged), for --reuse")
		fs.BoolVar(&o.Reuse, "reuse", false, "time the returns of the trust a run before seeded in --db instead of seeding one")
		run = func() error { _, err := bench.Reports(ctx, stdout, o); return err }
	case "cds":
		fs = newFlags("bench cds", "bench cds [flags]", stdout)
		o := bench.CDSOptions{Logger: logger}
		fs.IntVar(&o.EDAttendances, "ed", 42000, "A&E attendances of the month")
		fs.IntVar(&o.Appointments, "appointments", 125000, "attended outpatient appointments of the month")
		fs.IntVar(&o.Episodes, "episodes", 17000, "finished, coded consultant episodes of the month")
		fs.IntVar(&o.Patients, "patients", 200000, "patients the activity is shared among")
		fs.StringVar(&o.DSN, "db", "", "database (default: a new SQLite file in a temporary folder)")
		ownProfile = &o.CPUProfile
		run = func() error { _, err := bench.CDS(ctx, stdout, o); return err }
	case "day":
		fs = newFlags("bench day", "bench day [flags]", stdout)
		o := dayFlags(fs, logger)
		ownProfile = &o.bench.CPUProfile
		// The server in the bench collects garbage as crs serve does.
		run = func() error { serverGC(); return benchDay(ctx, stdout, o) }
	case "fhir":
		fs = newFlags("bench fhir", "bench fhir [flags]", stdout)
		o := bench.FHIROptions{}
		fs.IntVar(&o.Patients, "patients", 5000, "Patient+Observation transactions to post")
		fs.IntVar(&o.Reads, "reads", 20000, "single-patient reads to time at each number of clients")
		fs.IntVar(&o.Searches, "searches", 2000, "searches and $everything calls to time")
		fs.StringVar(&o.Synthea, "synthea", "../shared/data/fhir/synthea", "folder of Synthea Bundles (*.json.gz) to ingest; skipped when absent")
		fs.StringVar(&o.Dir, "dir", "", "folder for the fresh SQLite database (default: a temporary folder)")
		fs.StringVar(&o.DSN, "db", "", "database: sqlite:PATH (a new file) or postgres://... (the run makes and drops a schema of its own)")
		countsFlag(fs, "clients", "comma-separated numbers of concurrent HTTP clients the reads are timed at (default 1,16,64)", "clients such as 1,16,64", &o.Clients)
		fs.StringVar(&o.Trace, "trace", "", "write an execution trace of the timed reads to this file (go tool trace)")
		fs.StringVar(&o.MutexProfile, "mutexprofile", "", "write a mutex contention profile of the timed reads to this file")
		fs.StringVar(&o.BlockProfile, "blockprofile", "", "write a blocking profile of the timed reads to this file")
		ownProfile = &o.CPUProfile
		// The server in the bench collects garbage as crs serve does.
		run = func() error { serverGC(); _, err := bench.FHIR(ctx, stdout, o); return err }
	default:
		fmt.Fprintf(stderr, "crs bench: unknown benchmark %q: pmi, hl7, journey, import, reports, cds, day or fhir\n", args[0])
		return errUsage
	}
	// Every benchmark can write a CPU profile of its run, for
	// `go tool pprof`: where the time of a figure goes.
	profile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if ownProfile != nil {
		*ownProfile = *profile
		return run()
	}
	if *profile == "" {
		return run()
	}
	f, err := os.Create(*profile)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	return run()
}

// countsFlag defines a flag of comma-separated positive counts, such as
// the numbers of concurrent clients a benchmark is run at.
func countsFlag(fs *flag.FlagSet, name, usage, example string, dst *[]int) {
	fs.Func(name, usage, func(s string) error {
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return fmt.Errorf("--%s %q: want numbers of %s", name, s, example)
			}
			*dst = append(*dst, n)
		}
		return nil
	})
}
