package golive_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/golive"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestGeneratedExtract checks a generated extract with rows that break
// every rule: each planted row is rejected with its reason and column,
// every reason code of the specification is among them, no other row is
// rejected, the planted likely duplicates are found, and the rest loads
// on both engines.
func TestGeneratedExtract(t *testing.T) {
	dir := t.TempDir()
	planted, err := golive.Generate(dir, golive.GenerateOptions{Patients: 400, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	x, err := golive.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep := golive.NewReport(x, nil)
	want := map[string]bool{}
	reasons := map[string]bool{}
	for _, p := range planted {
		want[fmt.Sprintf("%s:%d %s %s", p.File, p.Line, p.Reason, p.Column)] = true
		reasons[p.Reason] = true
	}
	got := map[string]bool{}
	for _, r := range rep.Rejections {
		col := ""
		if r.Column != nil {
			col = *r.Column
		}
		got[fmt.Sprintf("%s:%d %s %s", r.File, r.Line, r.Reason, col)] = true
	}
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, k := range missing {
		t.Errorf("planted but not rejected so: %s", k)
	}
	for _, k := range extra {
		t.Errorf("rejected but not planted: %s", k)
	}
	for _, r := range golive.Reasons {
		if !reasons[r] {
			t.Errorf("no row of the generated extract is planted with %s", r)
		}
	}
	pair := false
	for _, p := range rep.LikelyDuplicates {
		pair = pair || p == [2]string{"L0000001", "L0000002"}
	}
	if !pair {
		t.Errorf("the planted likely duplicate pair L0000001/L0000002 is not reported: %v", rep.LikelyDuplicates)
	}
	if rep.Appointments.OutOfSlot != 4 {
		t.Errorf("out of slot = %d, want the 4 planted", rep.Appointments.OutOfSlot)
	}

	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		clock.Set(time.Date(2026, 9, 1, 3, 0, 0, 0, time.UTC))
		tr := storetest.NewTrust(t, db, "R9V")
		im := &golive.Importer{Store: db, Log: db, OrgID: tr.Org.ID, BatchSize: 300}
		if _, err := im.Load(context.Background(), x); err != nil {
			t.Fatal(err)
		}
		after, err := golive.ReportAfterLoad(context.Background(), x, store.NewReportSource(db), db, tr.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := after.JSON()
		b, _ := rep.JSON()
		if string(a) != string(b) {
			t.Errorf("the report after loading differs from the dry run's:\n%s", firstLineDiff(string(a), string(b)))
		}
		rec, err := golive.Reconcile(context.Background(), x, db, db, store.NewReportSource(db), tr.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := rec.Unaccounted(); n != 0 {
			var b strings.Builder
			rec.WriteText(&b)
			t.Errorf("%d records unaccounted for after loading the generated extract:\n%s", n, b.String())
		}
		// OG000002 shares the slot of OG000001, an earlier line.
		if n := count(t, db, `SELECT a.overbooked FROM appointments a JOIN migrated_rows m ON m.record_id = a.id WHERE m.row_key = 'OG000002'`); n != 1 {
			t.Errorf("the planted overbooked appointment OG000002 is not marked overbooked")
		}
	})
}
