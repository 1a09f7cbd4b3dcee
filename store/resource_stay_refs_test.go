package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestStayReferencesMended: a resource written before the clinical
// record referred to a stay as the API serves it (Encounter/[spell id])
// is mended by migration 0148 in its current body, its earlier
// versions and its search index, so a search by the served reference
// finds it; a reference to an Encounter of the resource store, and one
// to a spell of another trust, are left as they are.
func TestStayReferencesMended(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RSR", 1)
		sp, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: s.patients[0].ID, Method: "21", Source: "19", WardID: s.ward.ID, BedID: s.beds[0].ID,
			ConsultantCode: "C1234567", TreatmentFunction: "300"})
		if err != nil {
			t.Fatal(err)
		}
		other := newSite(t, db, "RSQ", 1)
		osp, err := other.ip.Admit(ctx, other.clerk, &crs.Admission{PatientID: other.patients[0].ID, Method: "21", Source: "19", WardID: other.ward.ID,
			BedID: other.beds[0].ID, ConsultantCode: "C1234567", TreatmentFunction: "300"})
		if err != nil {
			t.Fatal(err)
		}
		svc := store.NewResourceService(db)
		nurse := s.tr.Actor(crs.RoleInterface)
		put := func(id string, version int, enc string) {
			t.Helper()
			body := `{"resourceType":"Observation","id":"` + id + `","status":"final","encounter":{"reference":"Encounter/` + enc + `"},"note":[{"text":"v` + string(rune('0'+version)) + `"}]}`
			r := &crs.Resource{Type: "Observation", ID: id, Version: version, Body: []byte(body), PatientID: s.patients[0].ID}
			rows := []crs.ResourceIndexRow{{Param: "encounter", System: "Encounter", Code: "Encounter/" + enc, Text: enc}}
			if err := db.Write(ctx, nurse, crs.ActRecordClinical, func(tx crs.Tx) error { return tx.PutResource(r, rows) }); err != nil {
				t.Fatal(err)
			}
		}
		put("vitals1", 1, sp.ID)
		put("vitals1", 2, sp.ID)
		put("synthea1", 1, "enc-in-store")
		put("elsewhere", 1, osp.ID) // another trust's spell: not a stay of this one
		found := func(ref string) string {
			t.Helper()
			return observationsFound(t, svc, s.tr, crs.ResourceCondition{Param: "encounter", Kind: "reference", Op: crs.MatchEq, Code: ref})
		}
		served := "Encounter/ip-" + sp.ID
		if got := found(served); got != "" {
			t.Fatalf("before the migration a search by %s found %q; the test no longer shows the rows written before", served, got)
		}
		if err := db.RunMigrationStep(ctx, 148); err != nil {
			t.Fatal(err)
		}
		if got := found(served); got != "vitals1" {
			t.Errorf("after the migration a search by %s found %q, want vitals1", served, got)
		}
		for _, tc := range []struct {
			id      string
			version int
			want    string
		}{{"vitals1", 2, served}, {"vitals1", 1, served}, {"synthea1", 1, "Encounter/enc-in-store"}, {"elsewhere", 1, "Encounter/" + osp.ID}} {
			r, err := svc.ReadResource(ctx, nurse, "Observation", tc.id, tc.version)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(r.Body), `"reference":"`+tc.want+`"`) {
				t.Errorf("%s version %d: %s, want it to refer to %s", tc.id, tc.version, r.Body, tc.want)
			}
		}
		if got := found("Encounter/enc-in-store"); got != "synthea1" {
			t.Errorf("a reference to a resource store Encounter: found %q, want synthea1 as before", got)
		}
	})
}
