package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math"
	"net"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// probeSchema is a table of every kind of column a bulk writes: texts,
// which may be empty, an integer, a number that may be missing (as a
// quantity's in the search index) and a large integer.
const probeSchema = `CREATE TABLE bulk_probe (
	k TEXT NOT NULL PRIMARY KEY,
	t TEXT NOT NULL DEFAULT '',
	i INTEGER,
	f DOUBLE PRECISION,
	b BIGINT
)`

const probeCols = "k, t,\n\ti, f, b"

// probeRow is a row of bulk_probe; nil is NULL.
type probeRow struct {
	K, T string
	I    *int64
	F    *float64
	B    *int64
}

func (r probeRow) args() []any {
	args := []any{r.K, r.T, nil, nil, nil}
	if r.I != nil {
		args[2] = int(*r.I)
	}
	if r.F != nil {
		args[3] = *r.F
	}
	if r.B != nil {
		args[4] = *r.B
	}
	return args
}

func ptr[T any](v T) *T { return &v }

// manyProbeRows is n rows numbered from first, every third one without
// its numbers.
func manyProbeRows(first, n int) []probeRow {
	rows := make([]probeRow, n)
	for j := range rows {
		i := first + j
		rows[j] = probeRow{K: fmt.Sprintf("r%06d", i), T: fmt.Sprint("row ", i)}
		if i%3 != 0 {
			rows[j].I, rows[j].F, rows[j].B = ptr(int64(i)), ptr(float64(i)/4), ptr(int64(i)<<33)
		}
	}
	return rows
}

// writeProbe writes rows to bulk_probe as one bulk of a command, run in
// ctx, ended by suffix.
func writeProbe(ctx context.Context, db *store.DB, a crs.Actor, rows []probeRow, suffix string) error {
	args := make([]any, 0, len(rows)*5)
	for _, r := range rows {
		args = append(args, r.args()...)
	}
	return db.Write(context.Background(), a, crs.ActRegisterPatient, func(tx crs.Tx) error {
		if err := tx.(*store.Tx).InsertRows(ctx, "bulk_probe", probeCols, 5, args, suffix); err != nil {
			return err
		}
		return tx.Emit(&crs.Event{Type: "test", Summary: "bulk of rows"}, "bulk of rows")
	})
}

// readProbe reads bulk_probe in the order of its key.
func readProbe(t *testing.T, db *store.DB) []probeRow {
	t.Helper()
	rows, err := db.Reader().QueryContext(context.Background(), `SELECT k, t, i, f, b FROM bulk_probe ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []probeRow
	for rows.Next() {
		var r probeRow
		var i, b sql.NullInt64
		var f sql.NullFloat64
		if err := rows.Scan(&r.K, &r.T, &i, &f, &b); err != nil {
			t.Fatal(err)
		}
		if i.Valid {
			r.I = &i.Int64
		}
		if f.Valid {
			r.F = &f.Float64
		}
		if b.Valid {
			r.B = &b.Int64
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestInsertRows writes bulks of rows as the resource store and the
// legacy import write theirs, and reads back what each engine kept: every
// value as written, a missing number as NULL, a text that looks like
// NULL or an array's punctuation as the text it is, a bulk of one row
// and one of more values than PostgreSQL takes as parameters of one
// statement (65,535), and the endings that decide a clash of keys.
func TestInsertRows(t *testing.T) {
	texts := []probeRow{
		{K: "a", T: ""},
		{K: "b", T: "Siân Ní Bhriain-Öztürk", I: ptr(int64(0)), F: ptr(0.0), B: ptr(int64(0))},
		{K: "c", T: "李小龙 🩺", I: ptr(int64(math.MinInt32)), F: ptr(-1.5), B: ptr(int64(math.MaxInt64))},
		{K: "d", T: "NULL", I: ptr(int64(math.MaxInt32)), F: ptr(1e300), B: ptr(int64(math.MinInt64))},
		{K: "e", T: `{"a", b} \ 'c' (d), e;` + "\ttab\nline"},
		{K: "f", T: " ", F: ptr(5e-324)},
	}
	many := manyProbeRows(0, 14000) // 70,000 values
	var full []probeRow             // every value present: each column an array of one type
	for j := range 20 {
		full = append(full, probeRow{K: fmt.Sprintf("n%02d", j), T: texts[j%len(texts)].T, I: ptr(int64(math.MinInt32 + j)), F: ptr(float64(j) * -1.25e-300), B: ptr(int64(math.MaxInt64 - j))})
	}
	for _, tc := range []struct {
		name   string
		bulks  [][]probeRow
		suffix string
		want   []probeRow
		clash  bool // the last bulk fails on a clash of keys, and writes nothing
	}{
		{name: "one row", bulks: [][]probeRow{{{K: "only"}}}, want: []probeRow{{K: "only"}}},
		{name: "texts and numbers", bulks: [][]probeRow{texts}, want: texts},
		{name: "more values than a statement's parameters", bulks: [][]probeRow{many}, want: many},
		{name: "every value present", bulks: [][]probeRow{full}, want: full},
		{name: "bulks of other sizes", bulks: [][]probeRow{manyProbeRows(0, 1), manyProbeRows(1, 9), manyProbeRows(10, 300)},
			want: manyProbeRows(0, 310)},
		{name: "a clash fails the bulk", bulks: [][]probeRow{manyProbeRows(0, 3), manyProbeRows(2, 3)},
			want: manyProbeRows(0, 3), clash: true},
		{name: "a clash left out", suffix: " ON CONFLICT DO NOTHING",
			bulks: [][]probeRow{{{K: "x", T: "first"}}, {{K: "w", T: "new"}, {K: "x", T: "second"}}},
			want:  []probeRow{{K: "w", T: "new"}, {K: "x", T: "first"}}},
		{name: "a clash updates", suffix: " ON CONFLICT (k) DO UPDATE SET t = excluded.t, f = excluded.f",
			bulks: [][]probeRow{{{K: "x", T: "first", F: ptr(1.0)}}, {{K: "w", T: "new"}, {K: "x", T: "second"}}},
			want:  []probeRow{{K: "w", T: "new"}, {K: "x", T: "second"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Engines(t, func(t *testing.T, db *store.DB, _ *crs.FixedClock) {
				ctx := context.Background()
				if err := db.ExecSchema(ctx, probeSchema); err != nil {
					t.Fatal(err)
				}
				clerk := storetest.NewTrust(t, db, "RBR").Actor(crs.RoleClerk)
				for i, bulk := range tc.bulks {
					err := writeProbe(ctx, db, clerk, bulk, tc.suffix)
					clashed := err != nil && (store.IsUniqueViolation(err) || crs.ErrorCode(err) == crs.ECONFLICT)
					if clash := tc.clash && i == len(tc.bulks)-1; clash != clashed {
						t.Fatalf("bulk %d: %v; want a clash of keys: %v", i, err, clash)
					}
				}
				if diff := cmp.Diff(tc.want, readProbe(t, db)); diff != "" {
					t.Errorf("rows kept (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestInsertRowsHeld writes a bulk held back to go with the commit
// (pg_pipeline.go), as a resource's rows go, and one that clashes, which
// then fails the command and leaves nothing of it.
func TestInsertRowsHeld(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, _ *crs.FixedClock) {
		ctx := context.Background()
		if err := db.ExecSchema(ctx, probeSchema); err != nil {
			t.Fatal(err)
		}
		clerk := storetest.NewTrust(t, db, "RBH").Actor(crs.RoleClerk)
		held := store.DeferredExec(ctx)
		if err := writeProbe(held, db, clerk, manyProbeRows(0, 500), ""); err != nil {
			t.Fatal(err)
		}
		if err := writeProbe(held, db, clerk, manyProbeRows(499, 2), ""); err == nil {
			t.Error("a bulk held back that clashes: no error")
		}
		if diff := cmp.Diff(manyProbeRows(0, 500), readProbe(t, db)); diff != "" {
			t.Errorf("rows kept (-want +got):\n%s", diff)
		}
	})
}

// textWatch keeps the statement texts the write pool's connections
// send to be prepared that begin with prefix.
type textWatch struct {
	prefix []byte
	mu     sync.Mutex
	texts  map[string]bool
}

func (w *textWatch) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &textConn{Conn: c, w: w}, nil
}

type textConn struct {
	net.Conn
	w *textWatch
}

func (c *textConn) Write(b []byte) (int, error) {
	c.w.mu.Lock()
	for rest := b; ; {
		i := bytes.Index(rest, c.w.prefix)
		if i < 0 {
			break
		}
		rest = rest[i:]
		end := bytes.IndexByte(rest, 0)
		if end < 0 {
			end = len(rest)
		}
		c.w.texts[string(rest[:end])] = true
		rest = rest[end:]
	}
	c.w.mu.Unlock()
	return c.Conn.Write(b)
}

// TestInsertRowsOneStatement checks that PostgreSQL is sent one
// statement text for a table's bulks of more than a few rows, whatever
// their number, so that it parses and plans it once a connection: a
// multi-row VALUES was a text a size. Bulks of a few rows are a VALUES
// of their own size each.
func TestInsertRowsOneStatement(t *testing.T) {
	w := &textWatch{prefix: []byte("INSERT INTO bulk_probe"), texts: map[string]bool{}}
	restore := store.DialPostgres(w.dial)
	db := storetest.OpenPostgres(t, crs.NewFixedClock(storetest.Epoch))
	restore()
	ctx := context.Background()
	if err := db.ExecSchema(ctx, probeSchema); err != nil {
		t.Fatal(err)
	}
	clerk := storetest.NewTrust(t, db, "RBO").Actor(crs.RoleClerk)
	first := 0
	for _, n := range []int{1, 2, 9, 300, 1000, 7000} {
		if err := writeProbe(ctx, db, clerk, manyProbeRows(first, n), ""); err != nil {
			t.Fatal(err)
		}
		first += n
	}
	if got := len(readProbe(t, db)); got != first {
		t.Errorf("%d rows; want %d", got, first)
	}
	if len(w.texts) != 3 {
		t.Errorf("%d statement texts sent for bulks of 1, 2 and 9 to 7,000 rows; want 3 (one a size up to 8 rows, one past it)", len(w.texts))
	}
}
