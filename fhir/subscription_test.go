package fhir_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// hook is a system's endpoint that notifications are POSTed to, on
// loopback: it keeps what it was sent and answers with status.
type hook struct {
	mu     sync.Mutex
	got    []hookCall
	status int
	srv    *httptest.Server
}

type hookCall struct {
	path, contentType, auth string
	body                    []byte
}

func newHook(t *testing.T) *hook {
	h := &hook{status: 200}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/hook", http.StatusFound)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if r.Method == http.MethodPost {
			h.got = append(h.got, hookCall{r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), body})
		}
		w.WriteHeader(h.status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// calls returns what the endpoint was sent since the last call.
func (h *hook) calls() []hookCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	got := h.got
	h.got = nil
	return got
}

// sentBy has server deliver what is due and returns the resources the
// endpoint was sent.
func (h *hook) sentBy(t *testing.T, ctx context.Context, server *fhir.Server) []map[string]any {
	t.Helper()
	if _, err := server.DeliverNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, call := range h.calls() {
		var m map[string]any
		if err := json.Unmarshal(call.body, &m); err != nil {
			t.Fatalf("notification body: %v %s", err, call.body)
		}
		out = append(out, m)
	}
	return out
}

func (h *hook) answer(status int) {
	h.mu.Lock()
	h.status = status
	h.mu.Unlock()
}

// startNotifying starts the PAS's API with the notifications of its
// Subscriptions queued by the PMI's and the PAS's commands too.
func startNotifying(t *testing.T, db *store.DB, clock *crs.FixedClock) *fixture {
	f := startPAS(t, db, clock)
	f.server.Notifications = db
	db.OnEvent(fhir.QueueRecordNotifications)
	return f
}

// TestSubscriptionNotifications: a rest-hook Subscription sent requested
// is kept active; each write of a resource its criteria match (create,
// update, in a transaction) queues a notification in the write's
// transaction, and the sender POSTs it to the endpoint: the version
// written with the payload, empty without, the channel's headers sent, a
// subscription's in the order written. A resource not matched, another
// trust's, a transaction rolled back and a Subscription off queue
// nothing. A failing endpoint is tried again after a wait, and after the
// last try the Subscription is set to error naming why, its queue
// dropped. A deleted Subscription is sent nothing more. What cannot be
// honoured is refused 422 naming the element.
func TestSubscriptionNotifications(t *testing.T) {
	defer fhir.SetNotificationAttempts(3, time.Second)()
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		f.server.Notifications = db
		c := f.a
		ctx := context.Background()
		h := newHook(t)
		subscription := func(status, criteria, payload, more string) string {
			p := ""
			if payload != "" {
				p = fmt.Sprintf(`,"payload":%q`, payload)
			}
			return fmt.Sprintf(`{"resourceType":"Subscription","status":%q,"reason":"Ward results","criteria":%q,
 "channel":{"type":"rest-hook","endpoint":%q%s%s}}`, status, criteria, h.srv.URL+"/hook", p, more)
		}
		full := create(t, c, "Subscription", subscription("requested", "Observation?code=http://loinc.org|8867-4", "application/fhir+json", `,"header":["Authorization: Bearer ward-7"]`))
		if got := c.do("GET", "/fhir/Subscription/"+full, "").json(t); got["status"] != "active" {
			t.Fatalf("a Subscription taken: status %v, want active", got["status"])
		}
		ping := create(t, c, "Subscription", subscription("active", "Observation", "", ""))
		byID := create(t, c, "Subscription", subscription("active", "Observation?_id=not-this-one", "", ""))
		create(t, c, "Subscription", subscription("off", "Observation", "", ""))
		pending := func(t *testing.T, sub string) int {
			t.Helper()
			n, err := db.PendingNotifications(ctx, f.trustA.Org.ID, sub)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		deliver := func(t *testing.T) int {
			t.Helper()
			n, err := f.server.DeliverNotifications(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		hr := create(t, c, "Observation", fmt.Sprintf(observation, "p1", "2024-03-01T10:00:00Z", "72"))
		other := create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]}}`)
		if n, m := pending(t, full), pending(t, ping); n != 1 || m != 2 {
			t.Fatalf("queued %d and %d, want 1 (the matching observation) and 2 (both)", n, m)
		}
		if n := deliver(t); n != 3 {
			t.Fatalf("delivered %d, want 3", n)
		}
		var withBody, empty []hookCall
		for _, call := range h.calls() {
			if len(call.body) > 0 {
				withBody = append(withBody, call)
			} else {
				empty = append(empty, call)
			}
		}
		if len(withBody) != 1 || len(empty) != 2 {
			t.Fatalf("sent %d with a body, %d empty; want 1 and 2", len(withBody), len(empty))
		}
		var sent map[string]any
		json.Unmarshal(withBody[0].body, &sent)
		if sent["id"] != hr || withBody[0].auth != "Bearer ward-7" || !strings.HasPrefix(withBody[0].contentType, "application/fhir+json") || withBody[0].path != "/hook" {
			t.Errorf("notification: id %v, Authorization %q, Content-Type %q, path %q", sent["id"], withBody[0].auth, withBody[0].contentType, withBody[0].path)
		}
		if pending(t, full)+pending(t, ping) != 0 {
			t.Errorf("delivered notifications still queued")
		}
		if n := pending(t, byID); n != 0 {
			t.Errorf("criteria naming another _id queued %d", n)
		}
		_ = other

		// An update notifies its version.
		clock.Advance(time.Minute)
		if r := c.do("PUT", "/fhir/Observation/"+hr, fmt.Sprintf(`{"resourceType":"Observation","id":%q,"status":"amended","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueQuantity":{"value":80}}`, hr)); r.status != 200 {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		deliver(t)
		for _, call := range h.calls() {
			if len(call.body) > 0 {
				json.Unmarshal(call.body, &sent)
				if meta := sent["meta"].(map[string]any); meta["versionId"] != "2" || sent["status"] != "amended" {
					t.Errorf("the update's notification carries %v %v", meta["versionId"], sent["status"])
				}
			}
		}

		// A transaction rolled back queues nothing; another trust's
		// writes nothing for this trust's subscriptions.
		tx := fmt.Sprintf(`{"resourceType":"Bundle","type":"transaction","entry":[
 {"request":{"method":"POST","url":"Observation"},"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]}}},
 {"request":{"method":"PUT","url":"Observation/%s","ifMatch":"W/\"1\""},"resource":{"resourceType":"Observation","id":%q,"status":"final","code":{"text":"x"}}}]}`, other, other)
		clock.Advance(time.Minute)
		if r := c.do("PUT", "/fhir/Observation/"+other, fmt.Sprintf(`{"resourceType":"Observation","id":%q,"status":"final","code":{"text":"y"}}`, other)); r.status != 200 {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		h.calls()
		deliver(t)
		h.calls()
		if r := c.do("POST", "/fhir", tx); r.status != 412 {
			t.Fatalf("a failing transaction: %d %s", r.status, r.body)
		}
		create(t, f.b, "Observation", fmt.Sprintf(observation, "p2", "2024-03-01T10:00:00Z", "60"))
		if n, m := pending(t, full), pending(t, ping); n+m != 0 {
			t.Errorf("queued %d and %d after a rolled-back transaction and another trust's write", n, m)
		}
		// A transaction that commits notifies.
		ok := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"request":{"method":"POST","url":"Observation"},"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]}}}]}`
		if r := c.do("POST", "/fhir", ok); r.status != 200 {
			t.Fatalf("transaction: %d %s", r.status, r.body)
		}
		if n := pending(t, full); n != 1 {
			t.Errorf("a transaction's matching entry queued %d, want 1", n)
		}
		deliver(t)
		h.calls()

		// A failing endpoint: tried again after a wait, then the
		// Subscription is set to error, naming why, and its queue dropped.
		h.answer(503)
		create(t, c, "Observation", fmt.Sprintf(observation, "p1", "2024-03-02T10:00:00Z", "90"))
		for try := 1; try <= 3; try++ {
			if n := deliver(t); n != 0 {
				t.Fatalf("try %d delivered %d to a failing endpoint", try, n)
			}
			if len(h.calls()) != 2 { // both subscriptions' tries
				t.Errorf("try %d: not sent", try)
			}
			if n := deliver(t); n != 0 || len(h.calls()) != 0 {
				t.Errorf("try %d: tried again before its wait", try)
			}
			clock.Advance(time.Hour)
		}
		got := c.do("GET", "/fhir/Subscription/"+full, "").json(t)
		if got["status"] != "error" || !strings.Contains(fmt.Sprint(got["error"]), "503") {
			t.Errorf("after the last try: status %v, error %v; want error naming the 503", got["status"], got["error"])
		}
		if pending(t, full) != 1 || pending(t, ping) != 1 {
			t.Errorf("a failed subscription's queue: %d and %d, want what waited kept", pending(t, full), pending(t, ping))
		}
		backlogs, err := db.NotificationBacklogs(ctx, f.trustA.Org.ID)
		if b := backlogs[full]; err != nil || b.Waiting != 1 || !strings.Contains(b.LastError, "503") || b.OldestAt.IsZero() {
			t.Errorf("the backlog of the failed subscription: %+v %v", b, err)
		}
		h.answer(200)
		create(t, c, "Observation", fmt.Sprintf(observation, "p1", "2024-03-03T10:00:00Z", "91"))
		if n := pending(t, full); n != 1 {
			t.Errorf("a Subscription in error queued another: %d waiting", n)
		}
		clock.Advance(time.Hour)
		if n := deliver(t); n != 0 || len(h.calls()) != 0 {
			t.Errorf("a Subscription in error was sent %d", n)
		}
		// Set active again (PUT with status requested), it goes on from
		// the first unsent.
		sub := c.do("GET", "/fhir/Subscription/"+full, "").json(t)
		sub["status"] = "requested"
		b, _ := json.Marshal(sub)
		if r := c.do("PUT", "/fhir/Subscription/"+full, string(b)); r.status != 200 || r.json(t)["status"] != "active" || r.json(t)["error"] != nil {
			t.Fatalf("set active again: %d %s", r.status, r.body)
		}
		clock.Advance(time.Hour)
		if n := deliver(t); n != 1 || pending(t, full) != 0 {
			t.Errorf("set active again: delivered %d, %d still waiting", n, pending(t, full))
		}
		h.calls()
		if r := c.do("DELETE", "/fhir/Subscription/"+ping, ""); r.status/100 != 2 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		clock.Advance(time.Hour)
		deliver(t)
		if n := pending(t, ping); n != 0 {
			t.Errorf("a deleted Subscription's queue: %d", n)
		}
		h.calls()

		// A deleted Subscription is sent nothing more, what was queued
		// dropped.
		again := create(t, c, "Subscription", subscription("requested", "Observation", "", ""))
		create(t, c, "Observation", fmt.Sprintf(observation, "p1", "2024-03-04T10:00:00Z", "92"))
		if r := c.do("DELETE", "/fhir/Subscription/"+again, ""); r.status/100 != 2 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		deliver(t)
		for _, call := range h.calls() {
			if len(call.body) == 0 { // the one with a payload, full, still matches
				t.Errorf("a deleted Subscription was sent a notification")
			}
		}
		if n := pending(t, again); n != 0 {
			t.Errorf("a deleted Subscription: %d still queued", n)
		}

		// One whose end has come is turned off, what it had queued
		// dropped.
		ending := create(t, c, "Subscription", strings.Replace(subscription("requested", "Observation?code=http://loinc.org|2339-0", "", ""), `"reason"`,
			fmt.Sprintf(`"end":%q,"reason"`, clock.Now().Add(30*time.Minute).UTC().Format(time.RFC3339)), 1))
		create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]}}`)
		clock.Advance(time.Hour)
		deliver(t)
		for _, call := range h.calls() {
			if len(call.body) == 0 {
				t.Errorf("a Subscription past its end was sent a notification")
			}
		}
		if got := c.do("GET", "/fhir/Subscription/"+ending, "").json(t); got["status"] != "off" || pending(t, ending) != 0 {
			t.Errorf("a Subscription past its end: status %v, %d waiting; want off, none", got["status"], pending(t, ending))
		}
		// One with nothing waiting is turned off when its end comes too;
		// one whose end has yet to come stays active.
		quiet := create(t, c, "Subscription", strings.Replace(subscription("requested", "Observation?code=http://loinc.org|1234-5", "", ""), `"reason"`,
			fmt.Sprintf(`"end":%q,"reason"`, clock.Now().Add(30*time.Minute).UTC().Format(time.RFC3339)), 1))
		later := create(t, c, "Subscription", strings.Replace(subscription("requested", "Observation?code=http://loinc.org|1234-5", "", ""), `"reason"`,
			fmt.Sprintf(`"end":%q,"reason"`, clock.Now().Add(2*time.Hour).UTC().Format(time.RFC3339)), 1))
		clock.Advance(time.Hour)
		deliver(t)
		if got := c.do("GET", "/fhir/Subscription/"+quiet, "").json(t); got["status"] != "off" {
			t.Errorf("a Subscription past its end with nothing waiting: status %v, want off", got["status"])
		}
		if got := c.do("GET", "/fhir/Subscription/"+later, "").json(t); got["status"] != "active" {
			t.Errorf("a Subscription before its end: status %v, want active", got["status"])
		}

		// A payload of XML is the version written as XML.
		create(t, c, "Subscription", subscription("requested", "Observation?code=http://loinc.org|8867-4", "application/fhir+xml", ""))
		create(t, c, "Observation", fmt.Sprintf(observation, "p1", "2024-03-05T10:00:00Z", "93"))
		deliver(t)
		xml := 0
		for _, call := range h.calls() {
			if strings.HasPrefix(call.contentType, "application/fhir+xml") && strings.Contains(string(call.body), `<Observation xmlns="http://hl7.org/fhir">`) {
				xml++
			}
		}
		if xml != 1 {
			t.Errorf("an XML payload: %d sent as XML, want 1", xml)
		}

		// An endpoint that answers with a redirect has not taken the
		// notification: the redirect is not followed.
		moved := create(t, c, "Subscription", strings.Replace(subscription("requested", "Observation?code=http://loinc.org|2339-0", "application/fhir+json", ""), "/hook", "/moved", 1))
		create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]}}`)
		if n := deliver(t); n != 0 || len(h.calls()) != 0 || pending(t, moved) != 1 {
			t.Errorf("a redirecting endpoint: delivered %d, still queued %d", n, pending(t, moved))
		}

		// What cannot be honoured is refused, naming the element.
		for _, tc := range []struct{ body, expr string }{
			{subscription("requested", "Nonsense?x=1", "", ""), "Subscription.criteria"},
			{subscription("requested", "Observation?bogus=1", "", ""), "Subscription.criteria"},
			{subscription("requested", "Observation?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", "", ""), "Subscription.criteria"},
			{strings.Replace(subscription("requested", "Observation", "", ""), `"rest-hook"`, `"websocket"`, 1), "Subscription.channel.type"},
			{strings.Replace(subscription("requested", "Observation", "", ""), h.srv.URL, "http://ward.example.org", 1), "Subscription.channel.endpoint"},
			{subscription("requested", "Observation", "text/plain", ""), "Subscription.channel.payload"},
			{subscription("active", "Observation", "", `,"header":["no colon"]`), "Subscription.channel.header[0]"},
		} {
			r := c.do("POST", "/fhir/Subscription", tc.body)
			if r.status != 422 || !isOutcome(r) || !strings.Contains(string(r.body), `"expression":["`+tc.expr+`"]`) {
				t.Errorf("%s: %d %s, want 422 naming %s", tc.body, r.status, r.body, tc.expr)
			}
		}
	})
}

// TestSubscriptionOnPASRefused: criteria on the trust's directory,
// whose changes are not notified (its practitioners, organisations),
// are refused.
func TestSubscriptionOnPASRefused(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		for _, criteria := range []string{"Practitioner?_id=cons-C1234567", "Organization", "PractitionerRole"} {
			r := f.a.do("POST", "/fhir/Subscription", fmt.Sprintf(`{"resourceType":"Subscription","status":"requested","reason":"x","criteria":%q,"channel":{"type":"rest-hook","endpoint":"https://gp.example.org/hook"}}`, criteria))
			if r.status != 422 || !strings.Contains(string(r.body), "the trust's directory") {
				t.Errorf("%s: %d %s, want 422", criteria, r.status, r.body)
			}
		}
	})
}

// TestSubscriptionOnPatientIndex: a Subscription on Patient where the
// patient index serves it is told of each change to a patient its
// criteria match, from the PMI's commands (a registration, a change),
// with the patient as the record stands; a patient it does not match is
// sent nothing.
func TestSubscriptionOnPatientIndex(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startNotifying(t, db, clock)
		c := f.a
		ctx := context.Background()
		h := newHook(t)
		create(t, c, "Subscription", fmt.Sprintf(`{"resourceType":"Subscription","status":"requested","reason":"Change of GP","criteria":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018",
 "channel":{"type":"rest-hook","endpoint":%q,"payload":"application/fhir+json"}}`, h.srv.URL+"/gp"))
		pat := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Moved","given":["Ann"]}],"birthDate":"1970-01-01","gender":"female"}`)
		create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"name":[{"family":"Other","given":["Bob"]}],"birthDate":"1971-01-01","gender":"male"}`)
		sent := func(t *testing.T) []map[string]any { return h.sentBy(t, ctx, f.server) }
		got := sent(t)
		if len(got) != 1 || got[0]["id"] != pat {
			t.Fatalf("after two registrations: %d notifications %v, want the matching patient's one", len(got), got)
		}
		// The read of what was sent is audited naming where it went.
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		trail, err := store.NewAuditService(db).SearchAudit(ctx, f.trustA.Actor(crs.RolePrivacyOfficer), crs.AuditQuery{PatientID: pat, Count: 100})
		told := false
		for _, rec := range trail {
			told = told || strings.Contains(rec.Purpose, "notification to "+h.srv.URL+"/gp")
		}
		if err != nil || !told {
			t.Errorf("the patient's trail does not name the notification's endpoint (%d records, %v)", len(trail), err)
		}
		clock.Advance(time.Minute)
		body := c.do("GET", "/fhir/Patient/"+pat, "").json(t)
		body["name"] = []any{map[string]any{"family": "Moved", "given": []any{"Anne"}}}
		b, _ := json.Marshal(body)
		if r := c.do("PUT", "/fhir/Patient/"+pat, string(b)); r.status != 200 {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		got = sent(t)
		if len(got) != 1 || !strings.Contains(fmt.Sprint(got[0]["name"]), "Anne") {
			t.Errorf("after a change: %v, want the patient as changed", got)
		}

		// A legacy PAS migration's load is the trust's past, not a change:
		// a Subscription on every patient is told of a registration, not
		// of the migration's.
		every := create(t, c, "Subscription", fmt.Sprintf(`{"resourceType":"Subscription","status":"requested","reason":"Every patient","criteria":"Patient","channel":{"type":"rest-hook","endpoint":%q}}`, h.srv.URL+"/all"))
		ps := store.NewPatientService(db)
		register := func(a crs.Actor, family string) {
			t.Helper()
			p := &crs.Patient{FamilyName: family, GivenName: "Ann", BirthDate: crs.NewDate(1980, 1, 2), Gender: "2"}
			if err := ps.RegisterPatient(ctx, a, p); err != nil {
				t.Fatal(err)
			}
		}
		register(crs.MigrationActor(f.trustA.Org.ID), "Migrated")
		if n, _ := db.PendingNotifications(ctx, f.trustA.Org.ID, every); n != 0 {
			t.Errorf("a migration's registration queued %d notifications", n)
		}
		register(f.trustA.Actor(crs.RoleClerk), "Registered")
		if n, _ := db.PendingNotifications(ctx, f.trustA.Org.ID, every); n != 1 {
			t.Errorf("a clerk's registration queued %d notifications, want 1", n)
		}
	})
}

// TestSubscriptionConcurrentSenders: two servers sending one database's queue
// (two crs processes on one PostgreSQL database) send each notification
// once, in order.
func TestSubscriptionConcurrentSenders(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		f.server.Notifications = db
		other := &fhir.Server{Store: db, Resources: store.NewResourceService(db), Notifications: db}
		c := f.a
		h := newHook(t)
		sub := create(t, c, "Subscription", fmt.Sprintf(`{"resourceType":"Subscription","status":"requested","reason":"x","criteria":"Observation","channel":{"type":"rest-hook","endpoint":%q,"payload":"application/fhir+json"}}`, h.srv.URL+"/hook"))
		var want []string
		for i := 0; i < 20; i++ {
			want = append(want, create(t, c, "Observation", fmt.Sprintf(observation, "p1", "2024-03-01T10:00:00Z", fmt.Sprint(i))))
		}
		ctx := context.Background()
		for round := 0; round < 50; round++ {
			var wg sync.WaitGroup
			for _, s := range []*fhir.Server{f.server, other} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.DeliverNotifications(ctx); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if n, _ := db.PendingNotifications(ctx, f.trustA.Org.ID, sub); n == 0 {
				break
			}
		}
		var got []string
		for _, call := range h.calls() {
			var m map[string]any
			json.Unmarshal(call.body, &m)
			got = append(got, fmt.Sprint(m["id"]))
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("sent %d notifications %v\nwant each of %d once, in order %v", len(got), got, len(want), want)
		}
	})
}

// TestSubscriptionOnPAS: a Subscription on Encounter is told of a
// spell's admission, transfer and discharge, made through the PAS's own
// commands, with the Encounter as it stands when sent; one whose
// criteria the spell does not match (another class) is sent nothing.
func TestSubscriptionOnPAS(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startNotifying(t, db, clock)
		ctx := context.Background()
		admin, clerk := f.trustA.Actor(crs.RoleAdmin), f.trustA.Actor(crs.RoleClerk)
		orgs := store.NewOrganisationService(db)
		site := addLocation(t, orgs, admin, &crs.Location{Kind: crs.LocationSite, Code: "MAIN", Name: "Main Hospital"})
		ward := addLocation(t, orgs, admin, &crs.Location{ParentID: site.ID, Kind: crs.LocationWard, Code: "WDA", Name: "Ward A"})
		h := newHook(t)
		subscribe := func(criteria string) {
			create(t, f.a, "Subscription", fmt.Sprintf(`{"resourceType":"Subscription","status":"requested","reason":"Admissions","criteria":%q,"channel":{"type":"rest-hook","endpoint":%q,"payload":"application/fhir+json"}}`, criteria, h.srv.URL+"/adt"))
		}
		subscribe("Encounter?class=IMP")
		subscribe("Encounter?class=EMER")
		pid := create(t, f.a, "Patient", `{"resourceType":"Patient","name":[{"family":"Stay","given":["Sam"]}],"birthDate":"1961-02-03","gender":"male"}`)
		sent := func(t *testing.T) []map[string]any { return h.sentBy(t, ctx, f.server) }
		ip := store.NewInpatientService(db)
		sp, err := ip.Admit(ctx, clerk, &crs.Admission{PatientID: pid, Method: "21", Source: "19", WardID: ward.ID, ConsultantCode: "C1234567", TreatmentFunction: "300", At: clock.Now().Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		got := sent(t)
		if len(got) != 1 || got[0]["id"] != "ip-"+sp.ID || got[0]["status"] != "in-progress" {
			t.Fatalf("after an admission: %v, want its Encounter in progress, once", got)
		}
		clock.Advance(time.Hour)
		if err := ip.Discharge(ctx, clerk, sp.ID, crs.Discharge{Method: "1", Destination: "19", At: clock.Now().Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
		got = sent(t)
		if len(got) != 1 || got[0]["status"] != "finished" {
			t.Errorf("after the discharge: %v, want its Encounter finished", got)
		}
	})
}

// TestSubscriptionOnOutpatients: Subscriptions on the PAS's estate,
// clinics, slots, appointments and RTT pathways are told of each change
// the PAS's commands make: a location added or changed, a clinic added
// (Schedule) and the slots made for it, a booking (its slot busy), a
// move (the old appointment cancelled and its slot free, the new slot
// busy), a referral's pathway started and its clock moved by a
// cancellation; a pathway the command did not change is not sent.
func TestSubscriptionOnOutpatients(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startNotifying(t, db, clock)
		ctx := context.Background()
		admin, clerk := f.trustA.Actor(crs.RoleAdmin), f.trustA.Actor(crs.RoleClerk)
		h := newHook(t)
		for _, criteria := range []string{"Location", "Schedule", "Slot", "Appointment", "EpisodeOfCare"} {
			create(t, f.a, "Subscription", fmt.Sprintf(`{"resourceType":"Subscription","status":"requested","reason":"Outpatients","criteria":%q,"channel":{"type":"rest-hook","endpoint":%q,"payload":"application/fhir+json"}}`, criteria, h.srv.URL+"/opd"))
		}
		// sent delivers what is due and answers, by type, the ids sent and
		// each one's status.
		sent := func(t *testing.T) map[string]map[string]string {
			t.Helper()
			out := map[string]map[string]string{}
			for _, r := range h.sentBy(t, ctx, f.server) {
				typ := fmt.Sprint(r["resourceType"])
				if out[typ] == nil {
					out[typ] = map[string]string{}
				}
				out[typ][fmt.Sprint(r["id"])] = fmt.Sprint(r["status"])
			}
			return out
		}
		orgs := store.NewOrganisationService(db)
		site := addLocation(t, orgs, admin, &crs.Location{Kind: crs.LocationSite, Code: "MAIN", Name: "Main Hospital"})
		room := addLocation(t, orgs, admin, &crs.Location{ParentID: site.ID, Kind: crs.LocationClinicRoom, Code: "OPD3", Name: "Outpatients room 3"})
		if got := sent(t); len(got) != 1 || len(got["Location"]) != 2 || got["Location"][site.ID] != "active" || got["Location"][room.ID] != "active" {
			t.Errorf("after two locations added: %v, want both Locations", got)
		}
		clock.Advance(time.Minute)
		room.Name = "Outpatients room 3 (east)"
		if err := orgs.UpdateLocation(ctx, admin, room); err != nil {
			t.Fatal(err)
		}
		if got := sent(t); len(got) != 1 || len(got["Location"]) != 1 || got["Location"][room.ID] == "" {
			t.Errorf("after a room renamed: %v, want its Location", got)
		}

		op := store.NewOutpatientService(db)
		clinic := addClinic(t, op, admin, room)
		if got := sent(t); len(got) != 1 || len(got["Schedule"]) != 1 || got["Schedule"]["clinic-"+clinic.ID] == "" {
			t.Errorf("after a clinic added: %v, want its Schedule", got)
		}
		today := crs.LocalDate(clock.Now())
		if _, err := op.GenerateSlots(ctx, clerk, clinic.ID, today, crs.Date{Time: today.AddDate(0, 0, 14)}); err != nil {
			t.Fatal(err)
		}
		slots, err := op.FindSlots(ctx, clerk, crs.SlotQuery{ClinicID: clinic.ID, FreeOnly: true, Limit: 100, From: clock.Now().AddDate(0, 0, -1)})
		if err != nil || len(slots) < 2 {
			t.Fatalf("free slots: %d, %v", len(slots), err)
		}
		got := sent(t)
		if len(got) != 1 || len(got["Slot"]) != len(slots) {
			t.Errorf("after slots made: %d Slots sent (%v), want the %d made", len(got["Slot"]), got, len(slots))
		}
		for _, sl := range slots {
			if got["Slot"]["slot-"+sl.ID] != "free" {
				t.Errorf("slot %s sent %q, want free", sl.ID, got["Slot"]["slot-"+sl.ID])
			}
		}
		// Made again over the same days, no slot is new: nothing is sent.
		if _, err := op.GenerateSlots(ctx, clerk, clinic.ID, today, crs.Date{Time: today.AddDate(0, 0, 14)}); err != nil {
			t.Fatal(err)
		}
		if got := sent(t); len(got) != 0 {
			t.Errorf("after slots made again: %v, want nothing", got)
		}

		pid := create(t, f.a, "Patient", `{"resourceType":"Patient","name":[{"family":"Clinic","given":["Cora"]}],"birthDate":"1970-04-05","gender":"female"}`)
		other := create(t, f.a, "Patient", `{"resourceType":"Patient","name":[{"family":"Other","given":["Olga"]}],"birthDate":"1971-04-05","gender":"female"}`)
		refer := func(patient string) *crs.Referral {
			t.Helper()
			ref := &crs.Referral{PatientID: patient, Source: "03", ReferrerCode: "G1234567", ReceivedOn: today, Priority: crs.PriorityRoutine,
				Specialty: "100", TreatmentFunction: "100", ConsultantCode: "C1234567", ConsultantLed: true}
			if err := store.NewReferralService(db).RecordReferral(ctx, clerk, ref); err != nil {
				t.Fatal(err)
			}
			return ref
		}
		clock.Advance(time.Minute)
		ref := refer(pid)
		if got := sent(t); len(got) != 1 || got["EpisodeOfCare"][ref.PathwayID] != "active" {
			t.Errorf("after a consultant-led referral: %v, want its pathway active", got)
		}
		clock.Advance(time.Minute)
		refOther := refer(other)
		if got := sent(t); len(got) != 1 || len(got["EpisodeOfCare"]) != 1 || got["EpisodeOfCare"][refOther.PathwayID] == "" {
			t.Errorf("after another patient's referral: %v, want that pathway alone", got)
		}

		clock.Advance(time.Minute)
		ap, err := op.BookAppointment(ctx, clerk, crs.Booking{ReferralID: ref.ID, SlotID: slots[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		got = sent(t)
		if got["Slot"]["slot-"+slots[0].ID] != "busy" || len(got["Slot"]) != 1 || got["Appointment"][ap.ID] != "booked" || got["EpisodeOfCare"][refOther.PathwayID] != "" {
			t.Errorf("after a booking: %v, want its slot busy and the appointment booked", got)
		}
		clock.Advance(time.Minute)
		moved, err := op.RescheduleAppointment(ctx, clerk, ap.ID, crs.Cancellation{By: crs.CancelledByPatient, Reason: "On holiday"}, slots[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		got = sent(t)
		if got["Slot"]["slot-"+slots[0].ID] != "free" || got["Slot"]["slot-"+slots[1].ID] != "busy" || len(got["Slot"]) != 2 {
			t.Errorf("after a move: Slots %v, want the first free and the second busy", got["Slot"])
		}
		if got["Appointment"][ap.ID] != "cancelled" || got["Appointment"][moved.ID] != "booked" {
			t.Errorf("after a move: Appointments %v, want the old cancelled and the new booked", got["Appointment"])
		}
		if got["EpisodeOfCare"][ref.PathwayID] == "" || len(got["EpisodeOfCare"]) != 1 {
			t.Errorf("after a move (the patient's cancellation on the pathway): EpisodeOfCare %v, want the pathway", got["EpisodeOfCare"])
		}
		// A referral that starts no pathway (not consultant-led) leaves the
		// patient's pathway as it was: nothing is sent.
		clock.Advance(time.Minute)
		therapy := &crs.Referral{PatientID: pid, Source: "03", ReferrerCode: "G1234567", ReceivedOn: today, Priority: crs.PriorityRoutine,
			Specialty: "100", TreatmentFunction: "100"}
		if err := store.NewReferralService(db).RecordReferral(ctx, clerk, therapy); err != nil {
			t.Fatal(err)
		}
		if got := sent(t); len(got) != 0 {
			t.Errorf("after a referral that starts no pathway: %v, want nothing", got)
		}
	})
}

// TestSubscriptionConcurrentSlowEndpoint: an endpoint that is slow to answer
// holds back its own Subscription's notifications only: another
// Subscription's are all delivered while it has yet to answer, and its
// own are sent, in order, once it does.
func TestSubscriptionConcurrentSlowEndpoint(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		f.server.Notifications = db
		c := f.a
		fast := newHook(t)
		release := make(chan struct{})
		var mu sync.Mutex
		var slowGot []string
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var m map[string]any
			json.NewDecoder(r.Body).Decode(&m)
			<-release
			mu.Lock()
			slowGot = append(slowGot, fmt.Sprint(m["id"]))
			mu.Unlock()
		}))
		t.Cleanup(slow.Close)
		t.Cleanup(func() {
			select {
			case <-release:
			default:
				close(release)
			}
		})
		for _, tc := range []struct{ code, endpoint string }{{"8867-4", slow.URL + "/slow"}, {"2339-0", fast.srv.URL + "/fast"}} {
			create(t, c, "Subscription", fmt.Sprintf(`{"resourceType":"Subscription","status":"requested","reason":"x","criteria":"Observation?code=http://loinc.org|%s","channel":{"type":"rest-hook","endpoint":%q,"payload":"application/fhir+json"}}`, tc.code, tc.endpoint))
		}
		obs := func(code string) string {
			return create(t, c, "Observation", fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":%q}]},"subject":{"reference":"Patient/p1"}}`, code))
		}
		slowWant := []string{obs("8867-4"), obs("8867-4")}
		var fastWant []string
		for i := 0; i < 3; i++ {
			fastWant = append(fastWant, obs("2339-0"))
		}
		delivered := make(chan int)
		go func() {
			n, err := f.server.DeliverNotifications(context.Background())
			if err != nil {
				t.Error(err)
			}
			delivered <- n
		}()
		var fastGot []string
		deadline := time.After(20 * time.Second) // a guard against a sender that waits on the slow endpoint for ever
		for len(fastGot) < len(fastWant) {
			for _, call := range fast.calls() {
				var m map[string]any
				json.Unmarshal(call.body, &m)
				fastGot = append(fastGot, fmt.Sprint(m["id"]))
			}
			select {
			case <-deadline:
				t.Fatalf("while the slow endpoint had yet to answer the other was sent %v, want %v", fastGot, fastWant)
			case <-time.After(10 * time.Millisecond):
			}
		}
		if strings.Join(fastGot, " ") != strings.Join(fastWant, " ") {
			t.Errorf("the other endpoint was sent %v, want %v", fastGot, fastWant)
		}
		close(release)
		if n := <-delivered; n != len(fastWant)+len(slowWant) {
			t.Errorf("delivered %d, want %d", n, len(fastWant)+len(slowWant))
		}
		mu.Lock()
		defer mu.Unlock()
		if strings.Join(slowGot, " ") != strings.Join(slowWant, " ") {
			t.Errorf("the slow endpoint was sent %v, want %v in order", slowGot, slowWant)
		}
	})
}
