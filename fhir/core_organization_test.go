package fhir_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestOrganizationSearchGPPractices lists the GP practices the trust
// knows as Organizations beside the trust: those it keeps (migrated from
// the legacy PAS) and those its patients are registered with, each once,
// in ODS code order, page by page, then the Organizations other systems
// sent; by name, type, _id and none, and none of another trust's.
func TestOrganizationSearchGPPractices(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		err := db.Write(context.Background(), f.trustA.Actor(crs.RoleAdmin), crs.ActAdministerSettings, func(tx crs.Tx) error {
			if err := tx.MigrateGPPractices([]crs.GPPractice{{Code: "A81001", Name: "Castle Surgery", Postcode: "TS1 1AA"}, {Code: "B82002", Name: "Bridge Practice"}}); err != nil {
				return err
			}
			return tx.RecordMigratedRows([]crs.MigratedRow{{File: "gp_practices", Key: "A81001", Line: 1, RecordID: "A81001"}, {File: "gp_practices", Key: "B82002", Line: 2, RecordID: "B82002"}})
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, gp := range []string{"C83003|Moor Medical", "C83003|Moor Medical", "A81001|Castle (old name)", ""} {
			code, name, _ := strings.Cut(gp, "|")
			ref := ""
			if code != "" {
				ref = `,"generalPractitioner":[{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"` + code + `"},"display":"` + name + `"}]`
			}
			nhs := []string{"9990000166", "9990000174", "9990000182", "9990000190"}[i]
			body := `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"name":[{"family":"Practice","given":["Pat"]}],"birthDate":"1980-01-0` + fmt.Sprint(i+1) + `","gender":"female"` + ref + `}`
			if r := c.do("POST", "/fhir/Patient", body); r.status != 201 {
				t.Fatalf("register: %d %s", r.status, r.body)
			}
		}
		r := c.do("POST", "/fhir/Organization", `{"resourceType":"Organization","identifier":[{"system":"https://github.com/synthetichealth/synthea","value":"org-9"}],"name":"Moorland Clinic"}`)
		if r.status != 201 {
			t.Fatalf("another system's organisation: %d %s", r.status, r.body)
		}
		stored := "Organization/" + r.json(t)["id"].(string)
		gps := []string{"Organization/gp-A81001", "Organization/gp-B82002", "Organization/gp-C83003"}
		all := append(append([]string{"Organization/trust"}, gps...), stored)
		for _, count := range []int{1, 2, 50} {
			got, _ := pageAll(t, c, "Organization", count)
			if ids := idsOf(t, "Organization", got); !slices.Equal(ids, all) {
				t.Errorf("Organization by %d: %v, want %v", count, ids, all)
			}
		}
		got, _ := pageAll(t, c, "Organization?_id=gp-A81001", 10)
		if len(got) != 1 || got[0]["id"] != "gp-A81001" {
			t.Errorf("Organization?_id=gp-A81001: %v", got)
		}
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"name=castle", []string{"Organization/gp-A81001"}},
			{"name=moor", []string{"Organization/gp-C83003", stored}},
			{"name:exact=Bridge%20Practice", []string{"Organization/gp-B82002"}},
			{"type=https://fhir.nhs.uk/CodeSystem/organisation-role|76", gps},
			// Each is a Healthcare Provider too, the code of the value set
			// UK Core binds Organization.type to.
			{"type=http://terminology.hl7.org/CodeSystem/organization-type|prov", append([]string{"Organization/trust"}, gps...)},
			{"address-postalcode=TS1", []string{"Organization/gp-A81001"}},
			{"_id=gp-C83003", []string{"Organization/gp-C83003"}},
			{"identifier=https://fhir.nhs.uk/Id/ods-organization-code|B82002", []string{"Organization/gp-B82002"}},
		} {
			got, _ := pageAll(t, c, "Organization?"+tc.query, 2)
			sameSet(t, tc.query, idsOf(t, tc.query, got), tc.want)
		}
		if n := fmt.Sprint(c.do("GET", "/fhir/Organization?_summary=count", "").json(t)["total"]); n != fmt.Sprint(len(all)) {
			t.Errorf("Organization?_summary=count: %s, want %d", n, len(all))
		}
		// Sorted, every one is read and sorted together.
		sorted := []string{"Organization/gp-B82002", "Organization/gp-A81001", "Organization/gp-C83003", stored, "Organization/trust"}
		for _, count := range []int{2, 50} {
			got, _ := pageAll(t, c, "Organization?_sort=name", count)
			if ids := idsOf(t, "Organization?_sort=name", got); !slices.Equal(ids, sorted) {
				t.Errorf("Organization?_sort=name by %d: %v, want %v", count, ids, sorted)
			}
		}
		// Trust B knows none of trust A's practices.
		if got, _ := pageAll(t, f.b, "Organization", 10); len(got) != 1 || got[0]["id"] != "trust" {
			t.Errorf("trust B's Organizations: %v, want its trust alone", idsOf(t, "Organization", got))
		}
	})
}
