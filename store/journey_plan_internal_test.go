package store

import (
	"strings"
	"testing"
)

// TestPathwayRefreshPlans checks that SQLite answers the look-ups every
// RTT event, booking and outcome makes of its pathway (refreshPathway)
// through the pathway's own index, with the trust and the status in it,
// never by walking the trust's appointments in time order or its waiting
// list by status, however many the trust has. The database has no
// statistics (no ANALYZE), as a deployment's has not.
func TestPathwayRefreshPlans(t *testing.T) {
	db := openSQLite(t, "plans.db")
	tests := []struct {
		name, query, index string
	}{
		{"next appointment", nextAppointmentSQL, "appointments_pathway_next"},
		{"next date to come in", nextTCISQL, "waiting_list_pathway_tci"},
		{"DNAs to review", dnaReviewSQL, "appointments_pathway_next"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := explainPlan(t, db, tc.query, "pw1", "org1")
			if !strings.Contains(plan, "INDEX "+tc.index+" (pathway_id=? AND org_id=? AND status=?)") {
				t.Errorf("not read through %s by pathway, trust and status:\n%s", tc.index, plan)
			}
		})
	}
}
