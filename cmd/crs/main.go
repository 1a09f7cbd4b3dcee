// Command crs is OpenCRS, the care records service a hospital trust runs
// on: one binary with subcommands to serve it, run a demo, import data,
// produce reports, work with HL7 messages and measure performance.
//
// This is the only package that knows every other: flags, configuration
// from CRS_* environment variables, and the wiring of store, services and
// edges.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"demo", "start OpenCRS with demo data on an embedded database", runDemo},
		{"serve", "start OpenCRS on a database, without demo data", runServe},
		{"hl7", "work with HL7 v2 messages: send, parse", runHL7},
		{"bench", "measure performance: pmi, hl7, journey, day", runBench},
		{"report", "statutory returns and extracts of a trust: list, rtt, rtt-incomplete, ae, kh03, dm01, dq, coding, cds", runReport},
		{"diagnostic", "record diagnostic test requests by hand: add, done, cancel", runDiagnostic},
		{"trust", "add a trust to a database: add", runTrust},
		{"user", "manage a trust's staff: add, list, disable, enable, password, unlock", runUser},
		{"audit", "check the audit trail has not been tampered with: verify", runAudit},
		{"location", "set up a trust's estate: add, list, import", runLocation},
		{"import", "load a legacy PAS migration extract: legacy", runImport},
		{"golive", "the cutover: reconcile, rehearse, check (go / no-go)", runGolive},
		{"terminology", "load a trust's code list of ICD-10 or OPCS-4 codes, or its SNOMED CT release: load", runTerminology},
		{"order", "the test catalogue clinicians order from: catalogue load", runOrder},
		{"note", "the templates of clinical notes and clinic letters: template load", runNote},
		{"result", "carry results received before they were kept only in the resource store: migrate", runResult},
		{"fhir", "the FHIR API: its systems (client add, token), OpenCRS's definitions (package)", runFHIR},
		{"version", "print the version and the source revision it was built from", runVersion},
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the subcommand named by args[0] and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				if err != errUsage { // a usage error that says what was wrong
					fmt.Fprintf(stderr, "crs %s: %v\n", c.name, err)
				}
				return 2
			}
			fmt.Fprintf(stderr, "crs %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "crs: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// subcommands are the lines usage prints for a command that has
// subcommands, one for each: its name and what it does.
var subcommands = map[string][][2]string{
	"hl7": {
		{"send", "send files of HL7 v2 messages over MLLP and check every ACK"},
		{"parse", "print each message of a file with its field names"},
		{"check", "dry run: what an interface would make of files of traffic"},
		{"interface add", "configure an inbound interface of a trust"},
		{"interface list", "list a trust's inbound interfaces and their conventions"},
		{"map set", "map an interface's code to ours"},
		{"map import", "set an interface's code maps from a CSV file"},
		{"map list", "list an interface's code maps, or its unmapped codes"},
		{"reprocess", "apply an interface's held messages in arrival order"},
		{"destination add", "configure an outbound feed of a trust's changes"},
		{"destination list", "list a trust's outbound feeds"},
	},
	"audit": {
		{"verify", "check a trust's audit chain and say where it breaks"},
	},
	"trust": {
		{"add", "add a trust (an organisation, by ODS code) to a database"},
		{"list", "list the trusts of a database"},
	},
	"user": {
		{"add", "add a user to a trust (the first administrator of a deployment)"},
		{"list", "list a trust's users"},
		{"disable", "stop a user logging in and end their sessions"},
		{"enable", "let a disabled user log in again"},
		{"password", "set a user's new password and end their sessions"},
		{"unlock", "unlock an account locked after too many failed logins"},
	},
	"order": {
		{"catalogue load", "make a CSV file the trust's catalogue of orderable pathology and radiology tests"},
	},
	"note": {
		{"template load", "make a CSV file the trust's templates of clinical notes and clinic letters, per specialty"},
	},
	"result": {
		{"migrate", "carry a trust's results from the typed results table into the resource store, once"},
	},
	"terminology": {
		{"load", "load a trust's code list of ICD-10 or OPCS-4 codes from a CSV or TSV file, or its SNOMED CT release from RF2 files"},
	},
	"location": {
		{"add", "add a site, ward, bay, bed, clinic room or A&E to a trust's estate"},
		{"list", "list a trust's estate as a tree"},
		{"import", "add (or bring up to date) a trust's estate from a CSV file"},
	},
	"bench": {
		{"pmi", "load a patient index and time NHS number lookups and name searches"},
		{"hl7", "time inbound HL7 messages per second and ACK latency over MLLP"},
		{"journey", "time PTL pages, exports and the bed board at a large trust's scale"},
		{"reports", "time the monthly RTT return and incomplete figures at a million pathways"},
		{"day", "simulate a large trust's busiest hour: staff on the web pages and inbound feeds at once"},
		{"cds", "time a month's CDS XML extracts at a large trust's scale"},
		{"import", "generate a legacy PAS extract and time its import"},
	},
	"report": {
		{"list", "list the statutory returns this crs produces"},
		{"rtt", "the monthly RTT return, as known now or as recorded at a time"},
		{"rtt-incomplete", "the incomplete RTT pathways at a census date"},
		{"ae", "the monthly A&E return"},
		{"kh03", "the quarterly KH03 beds return"},
		{"kh03-day-only", "mark a ward day-only (or open overnight) for KH03"},
		{"dm01", "the monthly DM01 diagnostic waits and activity"},
		{"dq", "the data quality checks, each record with its page"},
		{"coding", "clinical coding completeness of a month, by treatment function"},
		{"cds", "a CDS XML extract for SUS (ecds, outpatient, apc), net change or bulk replacement"},
	},
	"diagnostic": {
		{"add", "record a request for a DM01 diagnostic test"},
		{"done", "record that a requested test was done"},
		{"cancel", "cancel a request not yet done"},
	},
	"import": {{"legacy", "load a legacy PAS migration extract, every row accepted or rejected with its reason"}},
	"golive": {{"reconcile", "compare a legacy extract, record by record, with what OpenCRS holds"},
		{"rehearse", "run the traffic of the systems that stay against the migrated record, in a dry run"},
		{"check", "go / no-go: import, reconciliation, rehearsal and data quality against thresholds"}},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `OpenCRS: the care records service a hospital trust runs on.

Usage: crs <command> [subcommand] [flags]

Commands:`)
	for _, c := range commands() {
		subs := subcommands[c.name]
		if len(subs) == 0 {
			fmt.Fprintf(w, "  %-24s %s\n", c.name, c.summary)
		}
		for _, sc := range subs {
			fmt.Fprintf(w, "  %-24s %s\n", c.name+" "+sc[0], sc[1])
		}
	}
	fmt.Fprintln(w, `
Run "crs <command> --help" for a command's flags. Every flag can also be set
with an environment variable CRS_<FLAG> (for example CRS_DB); a secret can be
read from a file named by CRS_<FLAG>_FILE.`)
}

// errUsage says the command line was wrong and the usage was printed.
var errUsage = errors.New("usage")

// readOneFile reads the one FILE a load command is given, with read
// (which names each bad line FILE:LINE), and returns what it read and
// the file's name.
func readOneFile[T any](fs *flag.FlagSet, command string, read func(r io.Reader, name string) (T, error)) (T, string, error) {
	var zero T
	if fs.NArg() != 1 {
		return zero, "", usageError("give one FILE to load (see crs " + command + " --help)")
	}
	name := fs.Arg(0)
	f, err := os.Open(name)
	if err != nil {
		return zero, name, err
	}
	defer f.Close()
	v, err := read(f, name)
	return v, name, err
}

// newFlags returns a flag set for a subcommand that prints its usage to
// stdout on --help.
func newFlags(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("crs "+name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: crs %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, first taking each flag's default from its
// CRS_<NAME> environment variable (or the file named by CRS_<NAME>_FILE).
func parseFlags(fs *flag.FlagSet, args []string) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		key := "CRS_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(key); ok {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s=%q: %v", key, v, err)
			}
		} else if file, ok := os.LookupEnv(key + "_FILE"); ok {
			b, err := os.ReadFile(file)
			if err != nil {
				envErr = fmt.Errorf("%s_FILE: %v", key, err)
				return
			}
			if err := f.Value.Set(strings.TrimSpace(string(b))); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s_FILE: %v", key, err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "version\n\nPrints the version of this crs binary, the source revision it was built\nfrom and the Go release that built it.", stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprint(stdout, versionText(version, info))
	return nil
}

// versionText says which crs this is: the version set at build time with
// -ldflags "-X main.version=...", else the module's version; then the
// version control revision and time it was built from, marked when the
// working tree had changes; then the Go release.
func versionText(set string, info *debug.BuildInfo) string {
	v := set
	if v == "dev" && info != nil && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	out := "crs " + v + "\n"
	if info == nil {
		return out
	}
	vcs := map[string]string{}
	for _, s := range info.Settings {
		vcs[s.Key] = s.Value
	}
	if rev := vcs["vcs.revision"]; rev != "" {
		out += "revision " + rev
		if t := vcs["vcs.time"]; t != "" {
			out += " (" + t + ")"
		}
		if vcs["vcs.modified"] == "true" {
			out += " with uncommitted changes"
		}
		out += "\n"
	}
	if info.GoVersion != "" {
		out += "built with " + info.GoVersion + "\n"
	}
	return out
}
