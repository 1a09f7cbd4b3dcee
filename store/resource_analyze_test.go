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
	for i := range 3 {
		write(i*500, 500)
	}
	count, rows := waitAnalysed(t, db.Reader(), "fhir_current")
	if count != 1 || rows < 1000 {
		t.Fatalf("after 1,500 resources: analysed %d times, statistics of %.0f rows; want once, of 1,000 or more", count, rows)
	}
	write(1500, 100)
	time.Sleep(200 * time.Millisecond)
	if again, _ := analyses(t, db.Reader(), "fhir_current"); again != 1 {
		t.Errorf("100 more resources against %.0f rows known: analysed %d times, want once", rows, again)
	}
}
