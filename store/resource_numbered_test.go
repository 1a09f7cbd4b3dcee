package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// The resource store as it was before migration 0140: index rows naming
// their trust and resource by id, the current rows keyed by them.
var namedLayout = map[string]string{
	"sqlite": `CREATE TABLE fhir_current_named (org_id TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
	seq TEXT NOT NULL, last_updated TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, patient_id TEXT NOT NULL DEFAULT '', body TEXT NOT NULL,
	PRIMARY KEY (org_id, type, id));
INSERT INTO fhir_current_named SELECT org_id, type, id, version, seq, last_updated, deleted, patient_id, body FROM fhir_current ORDER BY rid;
CREATE TABLE fhir_index_named (org_id TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL, system TEXT NOT NULL DEFAULT '',
	code TEXT NOT NULL DEFAULT '', text TEXT NOT NULL DEFAULT '', lo TEXT NOT NULL DEFAULT '', hi TEXT NOT NULL DEFAULT '', num DOUBLE PRECISION,
	n INTEGER NOT NULL, PRIMARY KEY (id, type, org_id, n)) WITHOUT ROWID;
INSERT INTO fhir_index_named SELECT c.org_id, c.type, c.id, x.param, x.system, x.code, x.text, x.lo, x.hi, x.num, x.n FROM fhir_index x JOIN fhir_current c ON c.rid = x.rid;
DROP TABLE fhir_index;
ALTER TABLE fhir_index_named RENAME TO fhir_index;
DROP TABLE fhir_current;
ALTER TABLE fhir_current_named RENAME TO fhir_current;
CREATE INDEX fhir_current_updated ON fhir_current (org_id, type, last_updated);
CREATE INDEX fhir_current_patient ON fhir_current (org_id, patient_id, last_updated) WHERE patient_id <> '';
CREATE INDEX fhir_index_token ON fhir_index (org_id, type, param, code, system, id) WHERE code <> '' AND text = '';
CREATE INDEX fhir_index_text ON fhir_index (org_id, type, param, text) WHERE text <> '' AND system = '';
CREATE INDEX fhir_index_date ON fhir_index (org_id, type, param, lo, hi) WHERE lo <> '';
CREATE INDEX fhir_index_refers ON fhir_index (org_id, text, system, type, id, param) WHERE text <> '' AND system <> '';
DROP INDEX organisations_n;
ALTER TABLE organisations DROP COLUMN n;
DELETE FROM schema_migrations WHERE version = 140;`,
	"postgres": `CREATE TABLE fhir_index_named (org_id TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL, system TEXT NOT NULL DEFAULT '',
	code TEXT NOT NULL DEFAULT '', text TEXT NOT NULL DEFAULT '', lo TEXT NOT NULL DEFAULT '', hi TEXT NOT NULL DEFAULT '', num DOUBLE PRECISION,
	n INTEGER NOT NULL DEFAULT 0);
INSERT INTO fhir_index_named SELECT c.org_id, c.type, c.id, x.param, x.system, x.code, x.text, x.lo, x.hi, x.num, x.n FROM fhir_index x JOIN fhir_current c ON c.rid = x.rid;
DROP TABLE fhir_index;
ALTER TABLE fhir_index_named RENAME TO fhir_index;
CREATE INDEX fhir_index_resource ON fhir_index (org_id, type, id);
CREATE INDEX fhir_index_token ON fhir_index (org_id, type, param, code, system, id) WHERE code <> '' AND text = '';
CREATE INDEX fhir_index_text ON fhir_index (org_id, type, param, text) WHERE text <> '' AND system = '';
CREATE INDEX fhir_index_date ON fhir_index (org_id, type, param, lo, hi) WHERE lo <> '';
CREATE INDEX fhir_index_refers ON fhir_index (org_id, text, system, type, id, param) WHERE text <> '' AND system <> '';
DROP INDEX fhir_current_type;
ALTER TABLE fhir_current DROP COLUMN rid;
DROP SEQUENCE fhir_rid;
DROP INDEX organisations_n;
ALTER TABLE organisations DROP COLUMN n;
DELETE FROM schema_migrations WHERE version = 140;`,
}

// TestResourceIndexNumbered checks the search index whose rows name their
// trust and resource by number (migration 0140): a trust's resources
// written before the migration, in the layout before it, are found after
// it as before, each trust's alone; a search of a type answers in the
// order the resources were created, which the migration keeps; and the
// resources written after it are numbered on from those before, their
// updates replacing their rows.
func TestResourceIndexNumbered(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		trusts := []*storetest.Trust{storetest.NewTrust(t, db, "RNA"), storetest.NewTrust(t, db, "RNB")}
		svc := store.NewResourceService(db)
		loinc, patient := "http://loinc.org", "Patient"
		put := func(tr *storetest.Trust, id string, version int, code string) {
			t.Helper()
			r := &crs.Resource{Type: "Observation", ID: id, Version: version, Body: []byte(`{"resourceType":"Observation"}`)}
			rows := []crs.ResourceIndexRow{{Param: "code", System: loinc, Code: code},
				{Param: "subject", System: "Patient", Code: "Patient/p-" + id[:2], Text: "p-" + id[:2]}}
			if err := db.Write(ctx, tr.Actor(crs.RoleInterface), crs.ActRecordClinical, func(tx crs.Tx) error { return tx.PutResource(r, rows) }); err != nil {
				t.Fatalf("write %s: %v", id, err)
			}
		}
		search := func(tr *storetest.Trust, cond crs.ResourceCondition) string {
			t.Helper()
			return observationsFound(t, svc, tr, cond)
		}
		code := func(c string) crs.ResourceCondition {
			return crs.ResourceCondition{Param: "code", Kind: "token", Op: crs.MatchEq, System: &loinc, Code: c}
		}
		subject := func(id string) crs.ResourceCondition {
			return crs.ResourceCondition{Param: "subject", Kind: "reference", Op: crs.MatchEq, System: &patient, Code: id}
		}
		// Each trust's resources, created out of their ids' order and
		// interleaved with the other's.
		for _, id := range []string{"oc1", "oa1", "ob1"} {
			for i, tr := range trusts {
				put(tr, id, 1, fmt.Sprintf("100%d-1", i))
			}
		}
		check := func(when string) {
			t.Helper()
			for i, tr := range trusts {
				if got, want := search(tr, code(fmt.Sprintf("100%d-1", i))), "oc1 oa1 ob1"; got != want {
					t.Errorf("%s, trust %d: by code %q, want %q in the order created", when, i, got, want)
				}
				if got := search(tr, code(fmt.Sprintf("100%d-1", 1-i))); got != "" {
					t.Errorf("%s, trust %d found the other trust's: %q", when, i, got)
				}
				if got := search(tr, subject("p-oa")); got != "oa1" {
					t.Errorf("%s, trust %d: by subject %q, want oa1", when, i, got)
				}
			}
		}
		check("before")
		before, err := db.QueryCount(ctx, `SELECT COUNT(*) FROM fhir_index`)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(namedLayout[db.Dialect()], ";\n") {
			if err := db.ExecSchema(ctx, stmt); err != nil {
				t.Fatalf("back to the layout before: %v\n%s", err, stmt)
			}
		}
		if err := db.MigrateAgain(ctx); err != nil {
			t.Fatal(err)
		}
		if after, err := db.QueryCount(ctx, `SELECT COUNT(*) FROM fhir_index x JOIN fhir_current c ON c.rid = x.rid`); err != nil || after != before {
			t.Errorf("index rows of resources after the migration: %d, want %d (%v)", after, before, err)
		}
		check("after the migration")
		// Written after it: numbered after those before, in order.
		put(trusts[0], "oa2", 1, "1000-1")
		put(trusts[0], "oc1", 2, "1000-2")
		if got, want := search(trusts[0], code("1000-1")), "oa1 ob1 oa2"; got != want {
			t.Errorf("by code after a create and an update: %q, want %q", got, want)
		}
		if got, want := search(trusts[0], code("1000-2")), "oc1"; got != want {
			t.Errorf("the updated resource by its new code: %q, want %q", got, want)
		}
		if got, want := search(trusts[0], subject("p-oa")), "oa1 oa2"; got != want {
			t.Errorf("by subject: %q, want %q", got, want)
		}
		// The page after a resource, by its id; one the trust does not
		// hold is refused, not answered with an empty page.
		for _, tc := range []struct{ after, want, code string }{
			{"oa1", "ob1 oa2", ""},
			{"oc1", "oa1 ob1 oa2", ""},
			{"nowhere", "", crs.EINVALID},
		} {
			q := crs.ResourceQuery{Type: "Observation", Count: 100, After: tc.after, All: [][]crs.ResourceCondition{{code("1000-1")}}}
			found, _, err := svc.SearchResources(ctx, trusts[0].Actor(crs.RoleInterface), q)
			var ids []string
			for _, r := range found {
				ids = append(ids, r.ID)
			}
			if got := strings.Join(ids, " "); got != tc.want || crs.ErrorCode(err) != tc.code {
				t.Errorf("after %s: %q, %v; want %q, %q", tc.after, got, err, tc.want, tc.code)
			}
		}
	})
}

// observationsFound is the ids of the trust's Observations a search by
// one condition finds, in the order found, separated by spaces.
func observationsFound(t *testing.T, svc *store.ResourceService, tr *storetest.Trust, cond crs.ResourceCondition) string {
	t.Helper()
	q := crs.ResourceQuery{Type: "Observation", Count: 100, All: [][]crs.ResourceCondition{{cond}}}
	found, _, err := svc.SearchResources(context.Background(), tr.Actor(crs.RoleInterface), q)
	if err != nil {
		t.Fatalf("search %s: %v", cond.Param, err)
	}
	var ids []string
	for _, r := range found {
		ids = append(ids, r.ID)
	}
	return strings.Join(ids, " ")
}
