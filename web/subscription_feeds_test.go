package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
)

// TestFeedsPageSubscriptions: the feeds page lists the trust's FHIR
// Subscriptions with what each has waiting, one in error first, named
// among the page's alerts with why; another trust's are not listed.
func TestFeedsPageSubscriptions(t *testing.T) {
	e, _ := newMessagesEnv(t)
	e.server.Subscriptions = &fhir.SubscriptionMonitor{Resources: store.NewResourceService(e.db), Queue: e.db}
	ctx := context.Background()
	put := func(org crs.Actor, id, body string) {
		t.Helper()
		err := e.db.Write(ctx, org, crs.ActRecordClinical, func(tx crs.Tx) error {
			if err := tx.PutResource(&crs.Resource{Type: "Subscription", ID: id, Version: 1, Body: []byte(body)}, nil); err != nil {
				return err
			}
			return tx.QueueNotification(&crs.Notification{SubscriptionID: id, ResourceType: "Observation", ResourceID: "o1", Version: 1})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	put(e.a.System, "s-ok", `{"resourceType":"Subscription","id":"s-ok","status":"active","reason":"Ward results","criteria":"Observation?category=laboratory","channel":{"type":"rest-hook","endpoint":"https://ward.example.org/results"}}`)
	put(e.a.System, "s-bad", `{"resourceType":"Subscription","id":"s-bad","status":"error","error":"notifications to https://gp.example.org/hook failed 150 times, the last: 503","reason":"Change of GP","criteria":"Patient?identifier=x","channel":{"type":"rest-hook","endpoint":"https://gp.example.org/hook"}}`)
	put(e.b.System, "s-other", `{"resourceType":"Subscription","id":"s-other","status":"active","reason":"x","criteria":"Observation?code=other-trust","channel":{"type":"rest-hook","endpoint":"https://b.example.org/hook"}}`)

	analyst := e.login(e.a, crs.RoleInterfaceAnalyst)
	r := analyst.get("/feeds")
	if r.status != http.StatusOK {
		t.Fatalf("GET /feeds: %d", r.status)
	}
	body := r.body
	for _, want := range []string{"FHIR Subscriptions", "Observation?category=laboratory", "https://ward.example.org/results", "Ward results",
		"FHIR Subscription Patient?identifier=x to https://gp.example.org/hook is in error: notifications to https://gp.example.org/hook failed 150 times"} {
		if !strings.Contains(body, want) {
			t.Errorf("the feeds page does not show %q", want)
		}
	}
	if strings.Contains(body, "other-trust") {
		t.Errorf("the feeds page shows another trust's Subscription")
	}
	table := body[strings.Index(body, "FHIR Subscriptions</h2>"):]
	if bad, ok := strings.Index(table, "Patient?identifier=x"), strings.Index(table, "Observation?category=laboratory"); bad < 0 || bad > ok {
		t.Errorf("the Subscription in error is not listed first")
	}
	if !strings.Contains(table, "<td>1</td>") {
		t.Errorf("the waiting notifications are not counted")
	}
}
