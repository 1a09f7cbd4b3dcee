package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencrs/crs/bench"
)

// TestBenchDay runs the busy-hour bench for a few seconds with a few
// staff and a slow feed on SQLite: every kind of page is loaded, none
// answers an error, every feed message is accepted, and the write path's
// stages, the trace and the wait profiles are written. It asserts what
// was done, not how fast.
func TestBenchDay(t *testing.T) {
	fs := flag.NewFlagSet("bench day", flag.ContinueOnError)
	o := dayFlags(fs, newLogger(io.Discard, "warn"))
	args := []string{"--staff", "12", "--patients", "600", "--duration", "3s", "--think", "100ms", "--feed-rate", "30", "--feed-conns", "3"}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	o.bench.CPUProfile = filepath.Join(dir, "day.prof")
	o.bench.Trace, o.bench.MutexProfile, o.bench.BlockProfile = filepath.Join(dir, "day.trace"), filepath.Join(dir, "mutex.prof"), filepath.Join(dir, "block.prof")
	o.bench.FirstRound = 1 // every kind of page, however slow the machine
	var out bytes.Buffer
	if err := benchDay(context.Background(), &out, o); err != nil {
		t.Fatalf("bench day: %v\n%s", err, out.String())
	}
	t.Logf("\n%s", out.String())
	res := o.result
	if res.Login.Count != 12 {
		t.Errorf("%d staff logged in, want 12", res.Login.Count)
	}
	got := map[string]bench.DayLatency{}
	for _, l := range res.Pages {
		got[l.Kind] = l
	}
	for _, kind := range bench.DayPageKinds {
		l, ok := got[kind]
		switch {
		case !ok || l.Count == 0:
			t.Errorf("no %s page was loaded", kind)
		case l.Errors > 0:
			t.Errorf("%s: %d errors (by status %v)", kind, l.Errors, l.Statuses)
		}
	}
	if len(res.ErrorLog) > 0 {
		t.Errorf("errors:\n%s", strings.Join(res.ErrorLog, "\n"))
	}
	f := res.Feed
	if f.Sent == 0 || f.Failed > 0 || f.Codes["AA"] != f.Sent {
		t.Errorf("feed: sent %d, failed %d, ACK codes %v; want every message sent accepted (AA)\n%s", f.Sent, f.Failed, f.Codes, strings.Join(f.Errors, "\n"))
	}
	if b, err := os.ReadFile(o.bench.CPUProfile); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("profile %s: %d bytes, err %v; want a gzip-compressed pprof profile", o.bench.CPUProfile, len(b), err)
	}
	for _, p := range []string{o.bench.Trace, o.bench.MutexProfile, o.bench.BlockProfile} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v; want the file written", filepath.Base(p), err)
		}
	}
	for _, want := range []string{"reproduce: crs bench day --staff 12 --patients 600", "search as you type", "inbound ADT feed over MLLP", "target p99 <= 20.0 ms",
		"the write path (SQLite committer)", "receive_messages"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
