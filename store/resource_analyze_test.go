package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store/storetest"
)

// TestResourceStoreAnalysedAfterIngest creates resources in new tables on
// PostgreSQL, as a first Synthea load does, and checks that the store
// analyses them itself once the resources created outnumber the rows
// the statistics know of, rather than leaving searches planned for empty
// tables until autovacuum comes round; and that a few more resources do
// not analyse them again.
func TestResourceStoreAnalysedAfterIngest(t *testing.T) {
	db := storetest.OpenPostgres(t, nil) // skipped without PostgreSQL
	ctx := context.Background()
	a := storetest.NewTrust(t, db, "RAN").Actor(crs.RoleInterface)
	write := func(from, n int) {
		t.Helper()
		rs := make([]*crs.Resource, n)
		rows := make([][]crs.ResourceIndexRow, n)
		for i := range rs {
			rs[i] = &crs.Resource{Type: "Observation", ID: fmt.Sprintf("o%d", from+i), Version: 1, Body: []byte(`{"resourceType":"Observation"}`)}
			rows[i] = []crs.ResourceIndexRow{{Param: "code", System: "http://loinc.org", Code: fmt.Sprintf("c%d", i%50)}}
		}
		if err := db.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error { return tx.PutResources(rs, rows) }); err != nil {
			t.Fatal(err)
		}
	}
	analysed := func() (count int64, rows float64) {
		t.Helper()
		if err := db.Reader().QueryRowContext(ctx, `SELECT s.analyze_count, c.reltuples FROM pg_stat_user_tables s
			JOIN pg_class c ON c.oid = s.relid WHERE s.schemaname = current_schema() AND s.relname = 'fhir_current'`).Scan(&count, &rows); err != nil {
			t.Fatal(err)
		}
		return count, rows
	}
	for i := range 3 {
		write(i*500, 500)
	}
	// The analysis runs after the command's commit, in the background.
	var count int64
	var rows float64
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if count, rows = analysed(); count > 0 {
			break
		}
	}
	if count != 1 || rows < 1000 {
		t.Fatalf("after 1,500 resources: analysed %d times, statistics of %.0f rows; want once, of 1,000 or more", count, rows)
	}
	write(1500, 100)
	time.Sleep(200 * time.Millisecond)
	if again, _ := analysed(); again != 1 {
		t.Errorf("100 more resources against %.0f rows known: analysed %d times, want once", rows, again)
	}
}
