package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestRecordsAcrossPatientsPlan checks that SQLite reads each batch of
// a table's records across the trust's patients through the table's
// index of (org_id, patient_id, id), from the cursor on, and never sorts
// what it read, with or without a status and a range of starts, on a
// database without statistics as a deployment's is: a batch then costs
// its own rows, not the trust's.
func TestRecordsAcrossPatientsPlan(t *testing.T) {
	db := openSQLite(t, "plans.db")
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, index string
		sql         func(crs.RecordScan) (string, []any, error)
	}{
		{"spells", "spells_patient_ids", func(q crs.RecordScan) (string, []any, error) { return spellsAcross.sql("org1", q) }},
		{"attendances", "ed_attendances_patient_ids", func(q crs.RecordScan) (string, []any, error) { return attendancesAcross.sql("org1", q) }},
		{"appointments", "appointments_patient_ids", func(q crs.RecordScan) (string, []any, error) { return appointmentsAcross.sql("org1", q) }},
		{"referrals", "referrals_patient_ids", func(q crs.RecordScan) (string, []any, error) { return referralsAcross.sql("org1", q) }},
		{"pathways", "pathways_patient_ids", func(q crs.RecordScan) (string, []any, error) { return pathwaysAcross.sql("org1", q) }},
	} {
		for _, q := range []crs.RecordScan{
			{Limit: 200},
			{After: "p1|r1", Limit: 200},
			{After: "p1", Limit: 200},
			{After: "p1|r1", Limit: 200, Status: []string{"discharged", "booked"}, From: from, Before: from.AddDate(0, 1, 0)},
		} {
			t.Run(fmt.Sprintf("%s %+v", tc.name, q), func(t *testing.T) {
				query, args, err := tc.sql(q)
				if err != nil {
					t.Fatal(err)
				}
				plan := explainPlan(t, db, query, args...)
				if !strings.Contains(plan, "INDEX "+tc.index+" ") {
					t.Errorf("not read through %s:\n%s", tc.index, plan)
				}
				if strings.Contains(plan, "TEMP B-TREE") {
					t.Errorf("sorted after the read:\n%s", plan)
				}
			})
		}
	}
}
