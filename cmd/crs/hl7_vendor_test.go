package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/interfaces"
	"github.com/opencrs/crs/store"
)

// vendorFeed is one of the feeds of testdata/vendors: its file, the
// sender it comes from and how its interface is set up.
type vendorFeed struct {
	name     string // testdata/vendors/<name>.hl7 and <name>.maps.csv
	app, fac string
	iface    []string // the conventions given to crs hl7 interface add
}

var vendorFeeds = []vendorFeed{
	{"itk-v24-pas", "PAS", "RAL01", []string{"--receiving-facility", "RXX01", "--local-id", "RAL^PI", "--unknown-patient", "register"}},
	{"legacy-v23-pas", "IPM", "KGH", []string{"--local-id", "KGH^MRN", "--unknown-patient", "register"}},
	{"epr-v25-mllp", "EPR", "RXXEPR", []string{"--local-id", "1.2.826.0.1.999999.2^PI", "--unknown-patient", "register"}},
}

// vendorAt is when the feeds' day and a half of traffic has been sent.
const vendorAt = "2026-03-02T18:00:00Z"

// readMaps reads a feed's mappings: table, from, to.
func readMaps(t *testing.T, file string) map[[2]string]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	maps := map[[2]string]string{}
	for _, r := range rows[1:] {
		maps[[2]string{r[0], strings.ToUpper(r[1])}] = r[2]
	}
	return maps
}

// TestVendorFeedsApplyOnceMapped replays each vendor-style feed as an
// interface analyst would before go-live: set up the interface with the
// sender's conventions, dry-run the feed, map each code the dry run
// lists (from the feed's maps file, which must hold a mapping for each
// and nothing the dry runs never asked for), dry-run again until no code
// is missing; then map the rooms and beds the dry run warned of (a
// patient put on the right ward with no bed), and at least 99% of the
// messages are applied. The messages are then applied for real, one by
// one as the sender would send them, and each must end as the last dry
// run said it would.
func TestVendorFeedsApplyOnceMapped(t *testing.T) {
	for _, v := range vendorFeeds {
		t.Run(v.name, func(t *testing.T) {
			file, err := filepath.Abs(filepath.Join("testdata", "vendors", v.name+".hl7"))
			if err != nil {
				t.Fatal(err)
			}
			estate, err := filepath.Abs(filepath.Join("testdata", "vendors", "estate.csv"))
			if err != nil {
				t.Fatal(err)
			}
			golden, err := filepath.Abs(filepath.Join("testdata", "vendors", v.name+".check.golden"))
			if err != nil {
				t.Fatal(err)
			}
			want := readMaps(t, filepath.Join("testdata", "vendors", v.name+".maps.csv"))
			// Rooms and beds are mapped after the dry run warns of them.
			var beds []crs.CodeMap
			for k, to := range want {
				if k[0] == crs.MapLocation && strings.Contains(k[1], "^") {
					beds = append(beds, crs.CodeMap{Table: k[0], From: k[1], To: to})
					delete(want, k)
				}
			}
			checkEngines(t, func(t *testing.T, dsn string) {
				ctx := context.Background()
				mustCLI(t, "trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside Hospitals NHS Trust")
				mustCLI(t, "location", "import", "--db", dsn, "--ods", "RXX", estate)
				mustCLI(t, append([]string{"hl7", "interface", "add", "--db", dsn, "--ods", "RXX", "--app", v.app, "--facility", v.fac}, v.iface...)...)
				ref := v.app + "@" + v.fac
				check := func(t *testing.T) *crs.CheckReport {
					t.Helper()
					var rep crs.CheckReport
					out := mustCLI(t, "hl7", "check", "--db", dsn, "--ods", "RXX", "--interface", ref, "--at", vendorAt, "--json", file)
					if err := json.Unmarshal([]byte(out), &rep); err != nil {
						t.Fatalf("check --json: %v", err)
					}
					return &rep
				}
				// What the analyst reads first, before any mapping.
				t.Chdir(filepath.Dir(file))
				first := mustCLI(t, "hl7", "check", "--db", dsn, "--ods", "RXX", "--interface", ref, "--at", vendorAt, filepath.Base(file))
				compareGolden(t, golden, first)

				listed := map[[2]string]bool{}
				var rep *crs.CheckReport
				for round := 1; ; round++ {
					rep = check(t)
					var missing []crs.CodeMap
					for _, u := range rep.Unmapped {
						k := [2]string{u.Table, u.Code}
						to, ok := want[k]
						if !ok {
							t.Errorf("round %d: the dry run lists %s code %s (held %d, stored as received %d), which %s.maps.csv does not map", round, u.Table, u.Code, u.Held, u.Received, v.name)
							continue
						}
						if listed[k] {
							t.Errorf("round %d: %s code %s listed again after it was mapped", round, u.Table, u.Code)
							continue
						}
						listed[k] = true
						missing = append(missing, crs.CodeMap{Table: u.Table, From: u.Code, To: to})
					}
					if len(missing) == 0 {
						break
					}
					if round == 5 {
						t.Fatalf("codes still missing after %d rounds of mapping: %+v", round, rep.Unmapped)
					}
					setMaps(t, dsn, ref, missing)
				}
				for k := range want {
					if !listed[k] {
						t.Errorf("%s.maps.csv maps %s code %s, which no dry run listed", v.name, k[0], k[1])
					}
				}
				noBed := func(rep *crs.CheckReport) (n int) {
					for _, ty := range rep.Types {
						for _, w := range ty.WarningReasons {
							if strings.Contains(w.Reason, "with no bed") {
								n += w.Count
							}
						}
					}
					return n
				}
				if len(beds) > 0 {
					if noBed(rep) == 0 {
						t.Errorf("the dry run gave no warning of the %d rooms and beds %s.maps.csv maps", len(beds), v.name)
					}
					setMaps(t, dsn, ref, beds)
					rep = check(t)
					if n := noBed(rep); n > 0 {
						t.Errorf("%d patients still with no bed once rooms and beds are mapped", n)
					}
				}
				applied := rep.Total.Applied + rep.Total.Warned
				var out strings.Builder
				interfaces.WriteCheckReport(&out, rep)
				t.Logf("dry run once mapped:\n%s", out.String())
				if applied*100 < rep.Total.Messages*99 {
					t.Errorf("after mapping, %d of %d messages applied; want at least 99%%\n%s", applied, rep.Total.Messages, out.String())
				}

				// The real thing: each message as the sender sends it.
				db, err := store.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				db.Clock = crs.NewFixedClock(mustTime(t, vendorAt))
				e := hl7Engine(db, nil)
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				for n, part := range hl7.SplitParts(data) {
					m := rep.Messages[n]
					ack, err := hl7.ParseACK(e.Handle(ctx, part.Data))
					if err != nil {
						t.Fatalf("message %d: %v", n+1, err)
					}
					if want := dryACK(m.Outcome); ack.Code != want {
						t.Errorf("%s (%s %s): answered %s %+v; the dry run said %s", m.Where(), m.ControlID, m.Type, ack.Code, ack.Errors, m.Outcome)
					}
				}
			})
		})
	}
}

// dryACK is the acknowledgement code a message of the outcome gets.
func dryACK(outcome string) string {
	switch outcome {
	case crs.CheckApplied, crs.CheckWarned:
		return hl7.AA
	case crs.CheckHeld:
		return hl7.AE
	}
	return "AE or AR"
}

// setMaps adds the interface's mappings with crs hl7 map set, as the
// trust's go-live scripts do.
func setMaps(t *testing.T, dsn, ref string, maps []crs.CodeMap) {
	t.Helper()
	for _, m := range maps {
		mustCLI(t, "hl7", "map", "set", "--db", dsn, "--ods", "RXX", "--interface", ref, "--table", m.Table, "--from", m.From, "--to", m.To)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return tm
}
