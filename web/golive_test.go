package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestGoLivePage keeps two runs of the go / no-go check and shows them:
// the latest (no-go) with every criterion, threshold and verdict, the
// history linking to the earlier (go) run, which opens with its own
// criteria; to analysts and administrators of the trust only, and never
// another trust's runs.
func TestGoLivePage(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		svc := store.NewGoLiveCheckService(db)
		ctx := context.Background()
		zero, two := 0.0, 2.0
		first := &crs.GoLiveCheck{CheckedBy: "Ada Board", Extract: "/data/extract-1", Go: true, Failed: []string{},
			Criteria: []crs.GoLiveCriterion{{Name: "import_rejected_pct", Description: "rows rejected", Figure: 1.59, Threshold: &two, Pass: true, Detail: "crs import legacy x --dry-run"},
				{Name: "likely_duplicate_pairs", Description: "pairs for review", Figure: 3, Pass: true, Detail: "/reports/dq"}}}
		if err := svc.RecordGoLiveCheck(ctx, e.a.System, first); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		second := &crs.GoLiveCheck{CheckedBy: "Ben Board", Extract: "/data/extract-2", Go: false, Failed: []string{"reconcile_unaccounted"},
			Criteria: []crs.GoLiveCriterion{{Name: "reconcile_unaccounted", Description: "records unaccounted for", Figure: 4, Threshold: &zero, Detail: "crs golive reconcile x"}}}
		if err := svc.RecordGoLiveCheck(ctx, e.a.System, second); err != nil {
			t.Fatal(err)
		}

		page := e.login(e.a, crs.RoleAnalyst).get("/golive")
		wantStatus(t, "the go-live page", page, http.StatusOK)
		wantBody(t, "the latest check", page, "Latest check", "by Ben Board", `id="decision">NO-GO<`, "<strong>reconcile_unaccounted</strong>",
			"<td><strong>FAIL</strong></td><td>reconcile_unaccounted</td><td>records unaccounted for</td><td>4</td><td>0</td>", "/golive?check="+first.ID)
		if strings.Contains(page.body, "likely_duplicate_pairs") {
			t.Errorf("the latest check shows the criteria of an earlier one")
		}
		earlier := e.login(e.a, crs.RoleAdmin).get("/golive?check=" + first.ID)
		wantStatus(t, "an earlier check", earlier, http.StatusOK)
		wantBody(t, "an earlier check", earlier, "by Ada Board", `id="decision">GO<`,
			"<td>pass</td><td>import_rejected_pct</td><td>rows rejected</td><td>1.59</td><td>2</td>",
			"<td>info</td><td>likely_duplicate_pairs</td><td>pairs for review</td><td>3</td><td>none</td><td><a href=\"/reports/dq\">")
		if strings.Contains(earlier.body, "Latest check") {
			t.Errorf("an earlier check is called the latest")
		}
		wantStatus(t, "the go-live page for a clerk", e.login(e.a, crs.RoleClerk).get("/golive"), http.StatusForbidden)
		wantStatus(t, "another trust's check", e.login(e.b, crs.RoleAnalyst).get("/golive?check="+first.ID), http.StatusNotFound)
		wantBody(t, "another trust's page", e.login(e.b, crs.RoleAnalyst).get("/golive"), "No go-live check has been run yet")
	})
}
