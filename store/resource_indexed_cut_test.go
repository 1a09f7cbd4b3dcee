package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestLongIndexValuesWrittenWholeCut: a value of the search index kept
// whole, as SQLite kept one before the index kept only a value's first
// 1,024 bytes, is cut by migration 0145's step, after which a search by
// the whole value (cut the same way) finds its resource again: a token
// by its code and system, a string by :exact.
func TestLongIndexValuesWrittenWholeCut(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RNC")
		svc := store.NewResourceService(db)
		long := storetest.Incompressible
		code, system, text := long(5, 1100), "http://example.org/"+long(6, 1100), "Ünïcode "+long(7, 1300)
		r := &crs.Resource{Type: "Observation", ID: "long1", Version: 1, Body: []byte(`{"resourceType":"Observation"}`)}
		rows := []crs.ResourceIndexRow{{Param: "code", System: system, Code: code}, {Param: "code:text", Text: strings.ToLower(text)}}
		if err := db.Write(ctx, tr.Actor(crs.RoleInterface), crs.ActRecordClinical, func(tx crs.Tx) error { return tx.PutResource(r, rows) }); err != nil {
			t.Fatal(err)
		}
		conds := []crs.ResourceCondition{
			{Param: "code", Kind: "token", Op: crs.MatchEq, System: &system, Code: code},
			{Param: "code:text", Kind: "string", Op: crs.MatchExact, Text: strings.ToLower(text)},
		}
		// The rows as SQLite wrote them before: every value whole.
		lower := strings.ToLower(text)
		if err := db.ExecSchema(ctx, `UPDATE fhir_index SET code = '`+code+`', system = '`+system+`' WHERE code = '`+code[:1024]+`'`); err != nil {
			t.Fatal(err)
		}
		if err := db.ExecSchema(ctx, `UPDATE fhir_index SET text = '`+lower+`' WHERE param = 'code:text'`); err != nil {
			t.Fatal(err)
		}
		for _, c := range conds {
			if got := observationsFound(t, svc, tr, c); got != "" {
				t.Fatalf("%s: with the whole value in the index the search found %q; the test no longer shows the rows written before", c.Param, got)
			}
		}
		if err := db.RunMigrationStep(ctx, 145); err != nil {
			t.Fatal(err)
		}
		for _, c := range conds {
			if got := observationsFound(t, svc, tr, c); got != "long1" {
				t.Errorf("%s: after the migration the search found %q, want long1", c.Param, got)
			}
		}
		n, err := db.QueryCount(ctx, `SELECT COUNT(*) FROM fhir_index WHERE length(code) > 1024 OR length(system) > 1024 OR length(text) > 1024`)
		if err != nil || n != 0 {
			t.Errorf("%d values longer than the index keeps are left (%v)", n, err)
		}
	})
}
