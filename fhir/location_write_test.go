package fhir_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestLocationOfOtherSystems updates and deletes a Location another
// system sent, as any resource of the store (If-Match, versions,
// history, tenancy), while the trust's own wards and beds stay read only
// with an OperationOutcome saying why.
func TestLocationOfOtherSystems(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		orgs, admin := store.NewOrganisationService(db), f.trustA.Actor(crs.RoleAdmin)
		site := &crs.Location{Kind: crs.LocationSite, Code: "SX", Name: "Site X"}
		if err := orgs.CreateLocation(context.Background(), admin, site); err != nil {
			t.Fatal(err)
		}
		ward := &crs.Location{ParentID: site.ID, Kind: crs.LocationWard, Code: "WX1", Name: "Ward X1"}
		if err := orgs.CreateLocation(context.Background(), admin, ward); err != nil {
			t.Fatal(err)
		}
		const sent = `{"resourceType":"Location","identifier":[{"system":"https://github.com/synthetichealth/synthea","value":"loc-9"}],"status":"active","name":"PLYMOUTH HOSPITAL"}`
		id := create(t, c, "Location", sent)
		with := func(body, name string) string {
			return strings.Replace(strings.Replace(body, `{"resourceType":"Location",`, `{"resourceType":"Location","id":"`+id+`",`, 1), "PLYMOUTH HOSPITAL", name, 1)
		}
		r := c.do("PUT", "/fhir/Location/"+id, with(sent, "PLYMOUTH GENERAL"), "If-Match", `W/"1"`)
		if r.status != 200 || r.header.Get("ETag") != `W/"2"` {
			t.Fatalf("update: %d %s %s", r.status, r.header.Get("ETag"), r.body)
		}
		if r := c.do("PUT", "/fhir/Location/"+id, with(sent, "STALE"), "If-Match", `W/"1"`); r.status != 412 || !isOutcome(r) {
			t.Errorf("stale If-Match: %d %s", r.status, r.body)
		}
		if got := c.do("GET", "/fhir/Location/"+id, ""); got.status != 200 || !strings.Contains(string(got.body), "PLYMOUTH GENERAL") {
			t.Errorf("read after update: %d %s", got.status, got.body)
		}
		if got := c.searchIDs(t, "/fhir/Location?name=plymouth%20general"); len(got) != 1 || got[0] != id {
			t.Errorf("search by the new name: %v, want [%s]", got, id)
		}
		if r := f.b.do("PUT", "/fhir/Location/"+id, with(sent, "OTHER TRUST"), "If-Match", `W/"2"`); r.status == 200 {
			t.Errorf("trust B updated trust A's Location: %d %s", r.status, r.body)
		}
		if r := f.b.do("DELETE", "/fhir/Location/"+id, ""); r.status/100 == 2 {
			if got := c.do("GET", "/fhir/Location/"+id, ""); got.status != 200 {
				t.Errorf("trust B deleted trust A's Location: %d", got.status)
			}
		}
		if r := c.do("PATCH", "/fhir/Location/"+id, `[{"op":"replace","path":"/status","value":"inactive"}]`, "Content-Type", "application/json-patch+json", "If-Match", `W/"2"`); r.status != 200 || r.header.Get("ETag") != `W/"3"` {
			t.Errorf("patch: %d %s %s", r.status, r.header.Get("ETag"), r.body)
		}
		if r := c.do("DELETE", "/fhir/Location/"+id, ""); r.status != 204 {
			t.Errorf("delete: %d %s", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Location/"+id, ""); r.status != 410 {
			t.Errorf("read after delete: %d %s", r.status, r.body)
		}
		if h := c.do("GET", "/fhir/Location/"+id+"/_history", ""); h.status != 200 || len(h.json(t)["entry"].([]any)) != 4 {
			t.Errorf("history: %d %s, want 4 versions", h.status, h.body)
		}
		if v := c.do("GET", "/fhir/Location/"+id+"/_history/1", ""); v.status != 200 || !strings.Contains(string(v.body), "PLYMOUTH HOSPITAL") {
			t.Errorf("vread 1: %d %s", v.status, v.body)
		}
		// The trust's own ward: read only, saying why, alone or in a
		// transaction.
		own := `{"resourceType":"Location","id":"` + ward.ID + `","status":"active","name":"Renamed"}`
		for _, r := range []response{
			c.do("PUT", "/fhir/Location/"+ward.ID, own),
			c.do("DELETE", "/fhir/Location/"+ward.ID, ""),
			c.do("PATCH", "/fhir/Location/"+ward.ID, `[{"op":"replace","path":"/name","value":"Renamed"}]`, "Content-Type", "application/json-patch+json"),
			c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":`+own+`,"request":{"method":"PUT","url":"Location/`+ward.ID+`"}}]}`),
		} {
			if r.status != 405 || !isOutcome(r) || !strings.Contains(string(r.body), "one of the trust's own") {
				t.Errorf("write of the trust's ward: %d %s, want 405 saying it is the trust's own", r.status, r.body)
			}
		}
		if got := c.do("GET", "/fhir/Location/"+ward.ID, ""); !strings.Contains(string(got.body), "Ward X1") {
			t.Errorf("the ward after refused writes: %s", got.body)
		}
	})
}
