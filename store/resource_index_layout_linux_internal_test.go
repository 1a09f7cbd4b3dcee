package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// The search index as it is on SQLite (migration 0140): a table keyed by
// the resource's number and four partial indexes, one a kind, so each
// row is two B-tree inserts; a row names its trust and resource by
// number.
const indexLayoutToday = `CREATE TABLE fhir_index (rid INTEGER NOT NULL, org_n INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
	system TEXT NOT NULL DEFAULT '', code TEXT NOT NULL DEFAULT '', text TEXT NOT NULL DEFAULT '', lo TEXT NOT NULL DEFAULT '',
	hi TEXT NOT NULL DEFAULT '', num DOUBLE PRECISION, n INTEGER NOT NULL, PRIMARY KEY (rid, n)) WITHOUT ROWID;
CREATE INDEX fhir_index_token ON fhir_index (org_n, type, param, code, system, rid) WHERE code <> '' AND text = '';
CREATE INDEX fhir_index_text ON fhir_index (org_n, type, param, text) WHERE text <> '' AND system = '';
CREATE INDEX fhir_index_date ON fhir_index (org_n, type, param, lo, hi) WHERE lo <> '';
CREATE INDEX fhir_index_refers ON fhir_index (org_n, text, system, type, rid, param) WHERE text <> '' AND system <> '';`

// The search index as it was before (migration 0103): the same, its rows
// naming their trust and resource by their ids.
const indexLayoutNamed = `CREATE TABLE fhir_named (org_id TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
	system TEXT NOT NULL DEFAULT '', code TEXT NOT NULL DEFAULT '', text TEXT NOT NULL DEFAULT '', lo TEXT NOT NULL DEFAULT '',
	hi TEXT NOT NULL DEFAULT '', num DOUBLE PRECISION, n INTEGER NOT NULL, PRIMARY KEY (id, type, org_id, n)) WITHOUT ROWID;
CREATE INDEX fhir_named_token ON fhir_named (org_id, type, param, code, system, id) WHERE code <> '' AND text = '';
CREATE INDEX fhir_named_text ON fhir_named (org_id, type, param, text) WHERE text <> '' AND system = '';
CREATE INDEX fhir_named_date ON fhir_named (org_id, type, param, lo, hi) WHERE lo <> '';
CREATE INDEX fhir_named_refers ON fhir_named (org_id, text, system, type, id, param) WHERE text <> '' AND system <> '';`

// The layout README names as not yet tried: a table a kind, keyed by what
// its searches read and ending in the resource, so each row is one B-tree
// insert.
const indexLayoutByKind = `CREATE TABLE x_token (org_id TEXT NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL, code TEXT NOT NULL,
	system TEXT NOT NULL, id TEXT NOT NULL, num DOUBLE PRECISION, n INTEGER NOT NULL,
	PRIMARY KEY (org_id, type, param, code, system, id, n)) WITHOUT ROWID;
CREATE TABLE x_text (org_id TEXT NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL, text TEXT NOT NULL, code TEXT NOT NULL,
	id TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (org_id, type, param, text, code, id, n)) WITHOUT ROWID;
CREATE TABLE x_refers (org_id TEXT NOT NULL, text TEXT NOT NULL, system TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL,
	param TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (org_id, text, system, type, id, param, n)) WITHOUT ROWID;
CREATE TABLE x_date (org_id TEXT NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL, lo TEXT NOT NULL, hi TEXT NOT NULL,
	id TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (org_id, type, param, lo, hi, id, n)) WITHOUT ROWID;`

// BenchmarkIndexLayout writes the index rows of Observations shaped as
// Synthea's (nine rows: code, status, category and tag tokens, a
// quantity, the code's text, a date, subject and encounter), 290
// resources a transaction as a Bundle's are, in today's layout, in the
// layout before it (rows naming trust and resource by id) and in a
// table a kind, on SQLite with the writer's settings. It reports the CPU
// time a resource of the thread running the statements, in the INSERTs
// and in the commits: on a shared machine the CPU is steadier than the
// time. The rows are made outside the CPU counted.
func BenchmarkIndexLayout(b *testing.B) {
	for _, layout := range []struct {
		name, ddl string
		kind      layoutKind
	}{{"today", indexLayoutToday, numbered}, {"named", indexLayoutNamed, named}, {"by kind", indexLayoutByKind, byKind}} {
		b.Run(layout.name, func(b *testing.B) {
			db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(b.TempDir(), "index.db"), true))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			conn, err := db.Conn(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			runtime.LockOSThread() // the statements run on this goroutine's thread, which threadCPU reads
			defer runtime.UnlockOSThread()
			w := &layoutWriter{conn: conn, stmts: map[string]*sql.Stmt{}}
			w.exec(b, layout.ddl)
			org := crs.NewID()
			const perTx = 290
			var inserts, commits time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i += perTx {
				tables := map[string][]any{}
				for j := range min(perTx, b.N-i) {
					synthObservation(tables, org, crs.NewID(), i+j, layout.kind)
				}
				t0 := threadCPU()
				w.exec(b, "BEGIN IMMEDIATE")
				w.exec(b, "SAVEPOINT command")
				for _, t := range []string{"fhir_index", "fhir_named", "x_token", "x_text", "x_refers", "x_date"} {
					if args := tables[t]; len(args) > 0 {
						w.insert(b, t, layoutColumns[t], args)
					}
				}
				t1 := threadCPU()
				w.exec(b, "RELEASE command")
				w.exec(b, "COMMIT")
				inserts, commits = inserts+t1-t0, commits+threadCPU()-t1
			}
			b.ReportMetric(float64(inserts.Nanoseconds())/float64(b.N)/1000, "insert-cpu-us/resource")
			b.ReportMetric(float64(commits.Nanoseconds())/float64(b.N)/1000, "commit-cpu-us/resource")
		})
	}
}

// layoutColumns is the columns of each table of the two layouts.
var layoutColumns = map[string][]string{
	"fhir_index": {"rid", "org_n", "type", "param", "system", "code", "text", "lo", "hi", "num", "n"},
	"fhir_named": {"org_id", "type", "id", "param", "system", "code", "text", "lo", "hi", "num", "n"},
	"x_token":    {"org_id", "type", "param", "code", "system", "id", "num", "n"},
	"x_text":     {"org_id", "type", "param", "text", "code", "id", "n"},
	"x_refers":   {"org_id", "text", "system", "type", "id", "param", "n"},
	"x_date":     {"org_id", "type", "param", "lo", "hi", "id", "n"},
}

// synthObservation appends to tables the index rows of the seq'th
// Observation: one of a hundred codes, of one of 500 patients, in one of
// 5,000 encounters, at one of 10,000 times.
func synthObservation(tables map[string][]any, org, id string, seq int, kind layoutKind) {
	k := seq % 97
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(seq*7919%10000) * time.Hour)
	lo, hi := formatIndexTime(at), formatIndexTime(at.Add(time.Second))
	patient, encounter := fmt.Sprintf("p%04d", seq*31%500), fmt.Sprintf("e%05d", seq*131%5000)
	value := float64(seq % 200)
	type row struct {
		param, system, code, text, lo, hi string
		num                               any
	}
	rows := []row{
		{param: "code", system: "http://loinc.org", code: fmt.Sprintf("%d-%d", 8000+k, k%10)},
		{param: "status", code: "final"},
		{param: "category", system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs"},
		{param: "_tag", system: "https://smarthealthit.org/tags", code: "synthea-5-2019"},
		{param: "value-quantity", system: "http://unitsofmeasure.org", code: "/min", num: value},
		{param: "code:text", text: fmt.Sprintf("observation %d", k)},
		{param: "date", lo: lo, hi: hi},
		{param: "subject", system: "Patient", code: "Patient/" + patient, text: patient},
		{param: "encounter", system: "Encounter", code: "Encounter/" + encounter, text: encounter},
	}
	for n, r := range rows {
		switch kind {
		case numbered:
			tables["fhir_index"] = append(tables["fhir_index"], seq+1, 1, "Observation", r.param, r.system, r.code, r.text, r.lo, r.hi, r.num, n)
			continue
		case named:
			tables["fhir_named"] = append(tables["fhir_named"], org, "Observation", id, r.param, r.system, r.code, r.text, r.lo, r.hi, r.num, n)
			continue
		}
		switch {
		case r.lo != "":
			tables["x_date"] = append(tables["x_date"], org, "Observation", r.param, r.lo, r.hi, id, n)
		case r.text != "" && r.system != "":
			tables["x_refers"] = append(tables["x_refers"], org, r.text, r.system, "Observation", id, r.param, n)
		case r.text != "":
			tables["x_text"] = append(tables["x_text"], org, "Observation", r.param, r.text, r.code, id, n)
		default:
			tables["x_token"] = append(tables["x_token"], org, "Observation", r.param, r.code, r.system, id, r.num, n)
		}
	}
}

// layoutKind is a layout of the search index BenchmarkIndexLayout writes.
type layoutKind int

const (
	numbered layoutKind = iota // today's
	named                      // the rows naming trust and resource by id
	byKind                     // a table a kind
)

// layoutWriter runs the benchmark's statements on one connection, each
// prepared once, as the writer's statement cache does.
type layoutWriter struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

func (w *layoutWriter) exec(b *testing.B, query string, args ...any) {
	s, ok := w.stmts[query]
	if !ok {
		var err error
		if s, err = w.conn.PrepareContext(context.Background(), query); err != nil {
			b.Fatal(err)
		}
		w.stmts[query] = s
	}
	if _, err := s.Exec(args...); err != nil {
		b.Fatal(err)
	}
}

// insert writes rows as insertRows does: statements of as many rows as
// the parameters allow, then of halving sizes.
func (w *layoutWriter) insert(b *testing.B, table string, cols []string, args []any) {
	ncols := len(cols)
	per := maxParams / ncols
	for len(args) > 0 {
		n := min(per, len(args)/ncols)
		if n < per && n > exactRows {
			n = 1 << (bits.Len(uint(n)) - 1)
		}
		q := "INSERT OR FAIL INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + placeholderRows(n, ncols, 1, true)
		w.exec(b, q, args[:n*ncols]...)
		args = args[n*ncols:]
	}
}

// threadCPU is the CPU time the calling thread has used (Linux's
// RUSAGE_THREAD), so that the collector's work on other threads is not
// counted in the statements'.
func threadCPU() time.Duration {
	const rusageThread = 1
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
