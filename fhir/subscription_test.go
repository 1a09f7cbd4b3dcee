package fhir_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSubscriptionRefused: a Subscription that asks for notifications
// (status requested or active) is refused 422 naming its status, as
// OpenCRS sends none: by create, update, patch and in a transaction
// (the whole transaction); one with status off is kept as a record, and
// the CapabilityStatement says so.
func TestSubscriptionRefused(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		sub := func(status string) string {
			return fmt.Sprintf(`{"resourceType":"Subscription","status":%q,"reason":"Results for the ward","criteria":"Observation?category=laboratory","channel":{"type":"rest-hook","endpoint":"https://ward.example.org/notify","payload":"application/fhir+json"}}`, status)
		}
		refused := func(t *testing.T, r response, expr string) {
			t.Helper()
			if r.status != 422 || !isOutcome(r) || !strings.Contains(string(r.body), `"expression":["`+expr+`"]`) || !strings.Contains(string(r.body), "sends no FHIR Subscription notifications") {
				t.Errorf("%d %s, want 422 naming %s", r.status, r.body, expr)
			}
		}
		for _, status := range []string{"requested", "active"} {
			refused(t, c.do("POST", "/fhir/Subscription", sub(status)), "Subscription.status")
		}
		kept := create(t, c, "Subscription", sub("off"))
		refused(t, c.do("PUT", "/fhir/Subscription/"+kept, strings.Replace(sub("active"), `{"resourceType"`, `{"id":"`+kept+`","resourceType"`, 1)), "Subscription.status")
		refused(t, c.do("PATCH", "/fhir/Subscription/"+kept, `[{"op":"replace","path":"/status","value":"requested"}]`, "Content-Type", "application/json-patch+json"), "Subscription.status")
		tx := fmt.Sprintf(`{"resourceType":"Bundle","type":"transaction","entry":[
 {"request":{"method":"POST","url":"Observation"},"resource":{"resourceType":"Observation","status":"final","code":{"text":"Pulse"}}},
 {"request":{"method":"POST","url":"Subscription"},"resource":%s}]}`, sub("requested"))
		refused(t, c.do("POST", "/fhir", tx), "Bundle.entry[1].resource.status")
		if ids := c.searchIDs(t, "/fhir/Observation"); len(ids) != 0 {
			t.Errorf("the refused transaction wrote %v", ids)
		}
		if r := c.do("GET", "/fhir/Subscription/"+kept, ""); r.status != 200 || r.json(t)["status"] != "off" {
			t.Errorf("the Subscription kept: %d %s", r.status, r.body)
		}
		if meta := c.do("GET", "/fhir/metadata", ""); !strings.Contains(string(meta.body), "sends no FHIR Subscription notifications") {
			t.Errorf("the CapabilityStatement does not say Subscriptions are records only")
		}
	})
}
