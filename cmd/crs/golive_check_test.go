package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/golive"
	"github.com/opencrs/crs/store"
)

// TestGoliveRehearseAndCheck imports the shared sample extract, sets up
// an inbound interface of a system that stays (the ED system) and an
// outbound feed (radiology), and then: the rehearsal of clean traffic
// reports it applied with what radiology would be sent and leaves the
// record as it was; the check of the clean migration is go; traffic with
// a ward code nobody mapped is no-go on the rehearsal's criteria; a
// migrated record lost after the import is no-go on the reconciliation;
// and a board's threshold can make either a go again.
func TestGoliveRehearseAndCheck(t *testing.T) {
	dir := legacySample(t)
	clean, err := filepath.Abs(filepath.Join("testdata", "golive", "ed_clean.hl7"))
	if err != nil {
		t.Fatal(err)
	}
	unmapped, _ := filepath.Abs(filepath.Join("testdata", "golive", "ed_unmapped_ward.hl7"))
	ctx := context.Background()
	engineDSNs(t, func(t *testing.T, newDSN func() string) {
		dsn := newDSN()
		mustCLI(t, "trust", "add", "--db", dsn, "--ods", "R9V", "--name", "Oakwood Hospitals NHS Trust")
		mustCLI(t, "import", "legacy", dir, "--db", dsn, "--ods", "R9V")
		mustCLI(t, "hl7", "interface", "add", "--db", dsn, "--ods", "R9V", "--app", "EDSYS", "--facility", "R9V01",
			"--receiving-facility", "R9V", "--local-id", "^MR")
		mustCLI(t, "hl7", "destination", "add", "--db", dsn, "--ods", "R9V", "--name", "Radiology RIS", "--to", "127.0.0.1:1", "--app", "RIS")
		at := "2026-09-01T09:10:00Z"

		// The rehearsal: per system and type, and what radiology would get.
		var r golive.Rehearsal
		out := mustCLI(t, "golive", "rehearse", "--db", dsn, "--ods", "R9V", "--interface", "EDSYS@R9V01", clean, "--at", at, "--json")
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("rehearse --json: %v\n%s", err, out)
		}
		if len(r.Systems) != 1 || r.Total.Messages != 2 || r.Total.Applied+r.Total.Warned != 2 || r.Unmapped != 0 {
			t.Fatalf("rehearsal of the clean traffic: %+v, unmapped %d; want 2 messages applied", r.Total, r.Unmapped)
		}
		want := map[string]int{"ADT^A01": 1, "ADT^A31": 2}
		got := map[string]int{}
		for _, o := range r.Outbound {
			if o.Destination != "Radiology RIS" {
				t.Errorf("outbound to %q, want Radiology RIS", o.Destination)
			}
			got[o.Type] += o.Count
		}
		if len(got) != len(want) || got["ADT^A01"] != want["ADT^A01"] || got["ADT^A31"] != want["ADT^A31"] {
			t.Errorf("outbound per trigger %v, want %v", got, want)
		}
		text := mustCLI(t, "golive", "rehearse", "--db", dsn, "--ods", "R9V", "--interface", "EDSYS@R9V01", unmapped, "--at", at)
		for _, w := range []string{"ADT^A01               1        0         0      1", `unmapped location "ZZW": held 1`, "Radiology RIS            ADT^A31             1"} {
			if !strings.Contains(text, w) {
				t.Errorf("rehearsal of the traffic with an unmapped ward lacks %q:\n%s", w, text)
			}
		}
		// Nothing written, nothing queued.
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		var queued, spells int
		db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM hl7_messages`).Scan(&queued)
		db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM spells`).Scan(&spells)
		db.Close()
		if queued != 0 || spells != 10 {
			t.Errorf("after the rehearsals: %d messages logged or queued and %d spells; want 0 and the 10 migrated", queued, spells)
		}

		// A clean migration with clean traffic is go, with an HTML page.
		page := filepath.Join(t.TempDir(), "golive.html")
		check := func(extra ...string) (int, string, string) {
			args := append([]string{"golive", "check", "--db", dsn, "--ods", "R9V", "--extract", dir, "--as-of", "2026-09-01"}, extra...)
			return runCLI(t, args...)
		}
		code, out, errs := check("--interface", "EDSYS@R9V01", clean, "--at", at, "--html", page, "--by", "Ada Board")
		if code != 0 || !strings.HasPrefix(out, "GO:") {
			t.Fatalf("check of the clean migration: exit %d\n%s%s", code, out, errs)
		}
		for _, w := range []string{"pass   reconcile_unaccounted ", "pass   rehearsal_unmapped_codes ", "info   rehearsal_outbound                                      3",
			"pass   import_rejected_pct                                  1.59         2", "info   import_rejected_inpatients_bed_double_occupied          2"} {
			if !strings.Contains(out, w) {
				t.Errorf("check lacks %q:\n%s", w, out)
			}
		}
		b, err := os.ReadFile(page)
		if err != nil || !strings.Contains(string(b), `id="decision">GO<`) || !strings.Contains(string(b), "<td>reconcile_unaccounted</td>") {
			t.Errorf("the page of the decision: %v\n%s", err, b)
		}

		// An unmapped code in the traffic: no-go, naming the criteria.
		code, out, errs = check("--interface", "EDSYS@R9V01", unmapped, "--at", at, "--json", "--html", page)
		var d golive.Decision
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("check --json: %v\n%s", err, out)
		}
		if code == 0 || d.Go || strings.Join(d.Failed, ",") != "rehearsal_held,rehearsal_unmapped_codes" || !strings.Contains(errs, "no-go") {
			t.Errorf("check with an unmapped ward: exit %d, go %v, failed %v; stderr %s", code, d.Go, d.Failed, errs)
		}
		if b, _ := os.ReadFile(page); !strings.Contains(string(b), "NO-GO") || !strings.Contains(string(b), "<strong>rehearsal_unmapped_codes</strong>") {
			t.Errorf("the page of the no-go decision:\n%s", b)
		}
		// The board may accept it.
		if code, out, errs = check("--interface", "EDSYS@R9V01", unmapped, "--at", at, "--threshold", "rehearsal_held=1", "--threshold", "rehearsal_unmapped_codes=none"); code != 0 {
			t.Errorf("check with thresholds raised: exit %d\n%s%s", code, out, errs)
		}
		if code, _, errs = check("--threshold", "rehersal_held=1"); code == 0 || !strings.Contains(errs, "no criterion named rehersal_held") {
			t.Errorf("a misspelt threshold: exit %d, %s", code, errs)
		}

		// A waiting list entry lost after the import: no-go on the reconciliation.
		db, err = store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		var orgID string
		db.Reader().QueryRowContext(ctx, `SELECT id FROM organisations WHERE ods_code = 'R9V'`).Scan(&orgID)
		err = db.Write(ctx, crs.SystemActor(orgID), crs.ActAdministerSettings, func(tx crs.Tx) error {
			if _, err := tx.(*store.Tx).Exec(`DELETE FROM waiting_list_entries WHERE id = (SELECT record_id FROM migrated_rows WHERE row_key = 'WL3000001')`); err != nil {
				return err
			}
			return tx.Emit(&crs.Event{Type: "test.fault", Summary: "a waiting list entry lost"}, "test")
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		code, out, _ = check()
		if code == 0 || !strings.Contains(out, "NO-GO: 1 criteria over their threshold: reconcile_unaccounted") ||
			!strings.Contains(out, "FAIL   reconcile_unaccounted                                   1         0  crs golive reconcile") {
			t.Errorf("check after a record was lost: exit %d\n%s", code, out)
		}

		// Every run that reached a decision is kept for the board's page,
		// latest first, at the time it ran rather than the traffic's.
		db, err = store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		checks, err := store.NewGoLiveCheckService(db).GoLiveChecks(ctx, crs.SystemActor(orgID), 10)
		if err != nil || len(checks) != 4 {
			t.Fatalf("kept checks: %d, %v; want the 4 that reached a decision", len(checks), err)
		}
		if c := checks[0]; c.Go || strings.Join(c.Failed, ",") != "reconcile_unaccounted" || c.Extract != dir {
			t.Errorf("latest kept check: go %v, failed %v, extract %q", c.Go, c.Failed, c.Extract)
		}
		first, err := store.NewGoLiveCheckService(db).GoLiveCheck(ctx, crs.SystemActor(orgID), checks[3].ID)
		if err != nil || !first.Go || first.CheckedBy != "Ada Board" || first.CheckedAt.Format("2006-01-02") == "2026-09-01" {
			t.Fatalf("first kept check: %+v, %v", first, err)
		}
		found := false
		for _, k := range first.Criteria {
			if k.Name == "import_rejected_pct" && k.Figure == 1.59 && k.Threshold != nil && *k.Threshold == 2 && k.Pass {
				found = true
			}
		}
		if !found {
			t.Errorf("first kept check lacks import_rejected_pct 1.59 of 2, pass: %+v", first.Criteria)
		}
	})
}
