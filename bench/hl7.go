// Package bench measures OpenCRS's performance for `crs bench`: figures
// with the command that reproduces them, never assertions.
package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/interfaces"
	"github.com/opencrs/crs/mllp"
	"github.com/opencrs/crs/store"
)

// HL7Options says what `crs bench hl7` measures.
type HL7Options struct {
	// Messages is how many ADT messages to send at each connection count;
	// 20,000 if 0.
	Messages int
	// Conns lists the numbers of concurrent MLLP connections; 1, 4 and 16
	// if empty.
	Conns []int
	// Dir holds the fresh SQLite database; a temporary folder if "".
	Dir string
	// DSN names the database: "sqlite:PATH" for a new SQLite file (one
	// that does not exist yet) or "postgres://..." for
	// a PostgreSQL database, in which the run makes a schema of its own
	// and drops it afterwards, so it can be run again. "" means a new
	// SQLite file in Dir.
	DSN string
}

// HL7 measures inbound HL7: durable ADT messages per second, the ACK
// latency (p50, p99) and, on SQLite, the messages a commit holds on
// average, at each connection count, against an in-process
// engine on a fresh database (SQLite by default) over real loopback TCP,
// and the parser's
// throughput in MB/s. Each message registers a new patient (A28) or
// updates one (A31), and is acknowledged only after its commit.
func HL7(ctx context.Context, w io.Writer, opts HL7Options) error {
	if opts.Messages <= 0 {
		opts.Messages = 20000
	}
	if len(opts.Conns) == 0 {
		opts.Conns = []int{1, 4, 16}
	}
	bdb, engine, err := openBenchDB(ctx, opts)
	if err != nil {
		return err
	}
	defer bdb.Close()
	db := bdb.DB
	org := &crs.Organisation{ODSCode: "RXX", Name: "Bench Trust"}
	if err := store.NewOrganisationService(db).CreateOrganisation(ctx, crs.SystemActor(""), org); err != nil {
		return err
	}
	sys := crs.SystemActor(org.ID)
	u := &crs.User{Username: "hl7.bench", Name: "Bench interface", Role: crs.RoleInterface}
	if err := store.NewUserService(db).CreateUser(ctx, sys, u, "bench-password"); err != nil {
		return err
	}
	e := interfaces.New(db, nil)
	if err := e.AddInterface(ctx, sys, &crs.Interface{Name: "PAS", SendingApplication: "PAS", SendingFacility: "RXX", UserID: u.ID}); err != nil {
		return err
	}
	addr, err := e.Listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer e.Close()

	fmt.Fprintf(w, "inbound HL7 ADT over MLLP, %s, %d messages per run, each ACK after its commit is durable\n", engine, opts.Messages)
	// On SQLite, messages per commit: the disk writes of a commit are
	// shared by the messages it holds (PostgreSQL commits each alone).
	fmt.Fprintf(w, "%6s %10s %10s %10s %10s %11s\n", "conns", "msg/s", "p50", "p99", "max", "msg/commit")
	next := 0
	for _, conns := range opts.Conns {
		lat := make([]time.Duration, opts.Messages)
		var mu sync.Mutex
		var firstErr error
		var wg sync.WaitGroup
		start, commits := time.Now(), db.Commits()
		base := next
		next += opts.Messages
		// The messages are made before the clock starts: the client
		// shares the process with the engine, and what it spends is not
		// the engine's.
		msgs := benchADT(base, opts.Messages)
		for c := 0; c < conns; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				cl, err := mllp.Dial(ctx, addr.String())
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				defer cl.Close()
				for i := c; i < opts.Messages; i += conns {
					trig := "A28"
					if i%4 == 3 {
						trig = "A31"
					}
					t0 := time.Now()
					reply, err := cl.Send(ctx, msgs[i])
					lat[i] = time.Since(t0)
					if err == nil {
						var ack hl7.ACK
						if ack, err = hl7.ParseACK(reply); err == nil && ack.Code != hl7.AA {
							// An A31 can race ahead of its A28 on another connection.
							if trig != "A31" {
								err = fmt.Errorf("message %d: %s %s", base+i, ack.Code, ack.Text)
							}
						}
					}
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						return
					}
				}
			}(c)
		}
		wg.Wait()
		elapsed := time.Since(start)
		if firstErr != nil {
			return firstErr
		}
		perCommit := "-"
		if n := db.Commits() - commits; n > 0 {
			perCommit = fmt.Sprintf("%.1f", float64(opts.Messages)/float64(n))
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		fmt.Fprintf(w, "%6d %10.0f %10s %10s %10s %11s\n", conns, float64(opts.Messages)/elapsed.Seconds(),
			lat[len(lat)/2].Round(10*time.Microsecond), lat[len(lat)*99/100].Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond), perCommit)
	}

	// The parser on a typical ADT^A01.
	sample := parserSample
	var n int
	t0 := time.Now()
	for time.Since(t0) < time.Second {
		for i := 0; i < 1000; i++ {
			if _, err := hl7.Parse(sample); err != nil {
				return err
			}
		}
		n += 1000
	}
	el := time.Since(t0)
	fmt.Fprintf(w, "parser: %.0f MB/s (%d-byte ADT^A01, %.0f messages/s)\n", float64(n*len(sample))/el.Seconds()/1e6, len(sample), float64(n)/el.Seconds())
	return nil
}

// benchADT makes the n messages of a run whose control ids start at
// base: each registers a new patient (A28), but every fourth, which
// updates the patient registered three before it (A31).
func benchADT(base, n int) [][]byte {
	msgs := make([][]byte, n)
	for i := range msgs {
		trig, family, p := "A28", "BENCH", base+i
		if i%4 == 3 {
			trig, family, p = "A31", "UPDATED", p-3
		}
		msgs[i] = fmt.Appendf(nil, "MSH|^~\\&|PAS|RXX|OPENCRS|RXX|20260302090000||ADT^%s^ADT_A05|B%09d|P|2.4\rEVN|%s|20260302090000\r"+
			"PID|1||B%07d^^^RXX^MR||%s^ANNE^^^MS||19800101|F|||1 High Street^^London^^E1 6AN\rPV1|1|N\r", trig, base+i, trig, p, family)
	}
	return msgs
}

// benchDB is the database of one `crs bench hl7` run; Close removes what
// the run made.
type benchDB struct {
	*store.DB
	cleanup func()
}

func (b *benchDB) Close() {
	b.DB.Close()
	b.cleanup()
}

// openBenchDB opens a fresh database for the run and names its engine:
// a new SQLite file, or a new schema in the PostgreSQL database opts.DSN
// names.
func openBenchDB(ctx context.Context, opts HL7Options) (*benchDB, string, error) {
	dsn, cleanup := opts.DSN, func() {}
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		var err error
		if dsn, cleanup, err = benchSchema(ctx, dsn); err != nil {
			return nil, "", err
		}
	case dsn == "":
		dir := opts.Dir
		if dir == "" {
			d, err := os.MkdirTemp("", "crs-bench-hl7-")
			if err != nil {
				return nil, "", err
			}
			cleanup = func() { os.RemoveAll(d) }
			dir = d
		}
		dsn = "sqlite:" + filepath.Join(dir, "bench.db")
	default:
		// The run registers its own trust: a database that has one
		// already, or a patient's record, is not the bench's to change.
		path := strings.TrimPrefix(dsn, "sqlite:")
		if _, err := os.Stat(path); err == nil {
			return nil, "", fmt.Errorf("%s already exists: the bench makes a new SQLite database; name a file that does not exist", path)
		}
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		cleanup()
		return nil, "", err
	}
	engine := map[string]string{"sqlite": "SQLite", "postgres": "PostgreSQL"}[db.Dialect()]
	return &benchDB{DB: db, cleanup: cleanup}, engine, nil
}

// benchSchema makes a new schema in the PostgreSQL database dsn names
// and returns the DSN that uses it and what drops it.
func benchSchema(ctx context.Context, dsn string) (string, func(), error) {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "crs_bench_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("make the bench schema: %w", err)
	}
	cleanup := func() {
		_, _ = admin.ExecContext(context.WithoutCancel(ctx), `DROP SCHEMA `+schema+` CASCADE`)
		admin.Close()
	}
	u, err := url.Parse(dsn)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), cleanup, nil
}

// parserSample is the ADT^A01 whose parsing `crs bench hl7` times (and
// BenchmarkParseADT, so the two give the same figure): about 650 bytes,
// as a PAS sends an admission.
var parserSample = []byte("MSH|^~\\&|PAS|RXX|OPENCRS|RXX|20260302090000||ADT^A01^ADT_A01|P000000001|P|2.4|||AL|NE|GBR|UNICODE UTF-8|EN\r" +
	"EVN|A01|20260302090000|||C123456^SMITH^JOHN|20260302085500\r" +
	"PID|1||9990000018^^^NHS^NH~X0000001^^^RXX^MR||SMITH^ANNE^MARIE^^MRS^^L||19800101|F|||1 High Street^Flat 2^London^^E1 6AN^GBR^H||020 7946 0000^PRN^PH~07700 900000^ORN^CP~^NET^Internet^anne@example.org||||||||||A|||||||NSTS01\r" +
	"PD1|||THE SURGERY^^Y12345|G1234567^JONES^PETER^^^DR\r" +
	"NK1|1|SMITH^JOHN|SPO^Spouse||07700 900001\r" +
	"PV1|1|I|WD10^^B03^RXX||||C1234567^WHO^DOCTOR|||300||||19|||||S000000001|||||||||||||||||||||||||20260302085500\r" +
	"PV2|||^Chest pain\r" +
	"AL1|1|DA|PEN^Penicillin|SV|Rash\r")
