package golive_test

import (
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/golive"
)

// decisionInput is a migration of 1,000 rows with the figures given.
func decisionInput(rejected, outOfSlot, unaccounted, held int) golive.DecisionInput {
	rep := &golive.Report{}
	var reasons golive.Ordered[int]
	if rejected > 0 {
		reasons.Set(golive.ReasonNHSCheckDigit, rejected)
	}
	rep.Files.Set(golive.FilePatients, golive.FileCounts{Rows: 1000, Accepted: 1000 - rejected, Rejected: rejected, RejectedByReason: reasons})
	rep.Appointments.Accepted, rep.Appointments.OutOfSlot = 200, outOfSlot
	rec := &golive.Reconciliation{Totals: []golive.ReconcileSum{{Kind: "patients", InExtract: 1000 - rejected, Unaccounted: unaccounted}}}
	reh := &golive.Rehearsal{Total: crs.CheckCounts{Messages: 10, Applied: 10 - held, Held: held}}
	return golive.DecisionInput{Extract: rep, Reconcile: rec, Rehearsal: reh, DQ: &crs.DQReport{Counts: map[string]int{}}, ExtractDir: "x"}
}

func criterion(t *testing.T, d *golive.Decision, name string) golive.Criterion {
	t.Helper()
	for _, c := range d.Criteria {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no criterion %s", name)
	return golive.Criterion{}
}

// TestDecide: the figures against the default thresholds, at and over
// them, and the board's own thresholds.
func TestDecide(t *testing.T) {
	d, err := golive.Decide(decisionInput(20, 2, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !d.Go || len(d.Failed) != 0 {
		t.Errorf("2%% rejected, 1%% out of slot, nothing unaccounted or held: go %v, failed %v; want go", d.Go, d.Failed)
	}
	if c := criterion(t, d, "import_rejected_pct"); c.Figure != 2 || *c.Threshold != 2 || !c.Pass {
		t.Errorf("import_rejected_pct: %+v", c)
	}
	if c := criterion(t, d, "import_rejected_patients_"+golive.ReasonNHSCheckDigit); c.Figure != 20 || c.Threshold != nil || !c.Pass {
		t.Errorf("rejections by reason: %+v", c)
	}
	d, _ = golive.Decide(decisionInput(21, 3, 1, 1))
	if d.Go || strings.Join(d.Failed, " ") != "import_rejected_pct appointments_out_of_slot_pct reconcile_unaccounted rehearsal_held" {
		t.Errorf("every default over: go %v, failed %v", d.Go, d.Failed)
	}
	in := decisionInput(21, 0, 0, 1)
	in.Thresholds = map[string]*float64{}
	for _, s := range []string{"import_rejected_pct=2.5", "rehearsal_held=none", "dq_missing_gp=0"} {
		if err := golive.ParseThreshold(s, in.Thresholds); err != nil {
			t.Fatal(err)
		}
	}
	in.DQ.Counts[crs.DQNoGP] = 4
	d, _ = golive.Decide(in)
	if d.Go || strings.Join(d.Failed, " ") != "dq_missing_gp" || criterion(t, d, "rehearsal_held").Threshold != nil {
		t.Errorf("the board's thresholds: go %v, failed %v", d.Go, d.Failed)
	}
	for _, bad := range []string{"import_rejected_pct", "import_rejected_pct=-1", "=3", "rehearsal_held=many"} {
		if err := golive.ParseThreshold(bad, map[string]*float64{}); err == nil {
			t.Errorf("threshold %q taken", bad)
		}
	}
	in.Thresholds["no_such"] = nil
	if _, err := golive.Decide(in); err == nil || !strings.Contains(err.Error(), "no_such") {
		t.Errorf("a threshold naming no criterion: %v", err)
	}
}
