package bench

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// WriteTimes gathers where the time of the measured commands went on
// SQLite's write path (store.WriteTiming); its Add is what
// store.DB.TimeWrites is given.
type WriteTimes struct {
	mu sync.Mutex
	by map[crs.Activity][]store.WriteTiming
}

// Add records one command's timing.
func (w *WriteTimes) Add(t store.WriteTiming) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.by == nil {
		w.by = map[crs.Activity][]store.WriteTiming{}
	}
	w.by[t.Activity] = append(w.by[t.Activity], t)
}

// Print writes, for each activity, the commands' time from Write to
// their answer (p50, p99) and the mean of each stage over all of them
// and over the slowest 1%: where a slow acknowledgement or form waited.
func (w *WriteTimes) Print(out io.Writer) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.by) == 0 {
		return
	}
	acts := make([]crs.Activity, 0, len(w.by))
	for a := range w.by {
		acts = append(acts, a)
	}
	slices.Sort(acts)
	fmt.Fprintln(out, "\nthe write path (SQLite committer) by activity, ms: a command's time from Write to its answer, and the mean of each stage over all and over the slowest 1%")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "activity\tcommands\tp50\tp99\tof\tqueued\trun\trerun\tbatched\tcommit\tsynced\t(fsync)\treply\tbatch size\t")
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }
	for _, a := range acts {
		ts := w.by[a]
		slices.SortFunc(ts, func(x, y store.WriteTiming) int { return cmp.Compare(x.Total, y.Total) })
		p := func(q int) time.Duration { return ts[min(len(ts)-1, len(ts)*q/100)].Total }
		for _, part := range []struct {
			name string
			ts   []store.WriteTiming
		}{{"all", ts}, {"slowest 1%", ts[len(ts)*99/100:]}} {
			var sum store.WriteTiming
			batch := 0
			for _, t := range part.ts {
				sum.Queued += t.Queued
				sum.Run += t.Run
				sum.Rerun += t.Rerun
				sum.Batched += t.Batched
				sum.Commit += t.Commit
				sum.Synced += t.Synced
				sum.Fsync += t.Fsync
				sum.Reply += t.Reply
				batch += t.Batch
			}
			n := time.Duration(len(part.ts))
			name, count, p50, p99 := "", "", "", ""
			if part.name == "all" {
				name, count, p50, p99 = string(a), fmt.Sprint(len(ts)), ms(p(50)), ms(p(99))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t\n", name, count, p50, p99, part.name,
				ms(sum.Queued/n), ms(sum.Run/n), ms(sum.Rerun/n), ms(sum.Batched/n), ms(sum.Commit/n), ms(sum.Synced/n), ms(sum.Fsync/n), ms(sum.Reply/n),
				float64(batch)/float64(len(part.ts)))
		}
	}
	tw.Flush()
}
