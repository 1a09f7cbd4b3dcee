package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/interfaces"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// newMessagesEnv is newEnv with the analyst's pages served by the
// integration engine, mounted through messageRoutes.
func newMessagesEnv(t *testing.T) (*env, *interfaces.Engine) {
	t.Helper()
	clock := crs.NewFixedClock(storetest.Epoch)
	return newMessagesEnvOn(t, storetest.OpenSQLite(t, clock), clock)
}

// newMessagesEnvOn is newMessagesEnv on db, a fresh database of either
// engine whose clock is clock.
func newMessagesEnvOn(t *testing.T, db *store.DB, clock *crs.FixedClock) (*env, *interfaces.Engine) {
	t.Helper()
	e := newEnvOn(t, db, clock)
	eng := newEngine(e)
	e.server.once.Do(func() { e.server.pages = mustParseTemplates() })
	mux := http.NewServeMux()
	e.server.routes(mux)
	e.server.messageRoutes(mux, eng)
	e.srv.Close()
	e.srv = httptest.NewServer(securityHeaders(mux))
	t.Cleanup(e.srv.Close)
	return e, eng
}

func TestMessagePages(t *testing.T) {
	e, eng := newMessagesEnv(t)
	ctx := context.Background()
	// A destination nobody listens on: the clerk's registration is queued.
	d := &crs.Destination{Name: "RIS", Addr: "127.0.0.1:9"}
	if err := eng.AddDestination(ctx, e.a.System, d); err != nil {
		t.Fatal(err)
	}
	p := e.register(e.a, "KING", "Ada", crs.NewDate(1950, 1, 1), "9990000018", "E1 6AN")
	ms, err := e.db.SearchMessages(ctx, e.a.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, PatientID: p.ID})
	if err != nil || len(ms) != 1 {
		t.Fatalf("queued messages: %d, %v", len(ms), err)
	}
	msg := ms[0]

	analyst := e.login(e.a, crs.RoleInterfaceAnalyst)
	tests := []struct {
		name, path, want string
	}{
		{"log", "/messages", msg.ControlID},
		{"by NHS number", "/messages?patient=999+000+0018", msg.ControlID},
		{"by hospital number", "/messages?patient=" + p.MRN, msg.ControlID},
		{"by type", "/messages?type=A28&direction=out", msg.ControlID},
		{"message", "/messages/" + msg.ID, "Patient Name"},
		{"feeds", "/feeds", "RIS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := analyst.get(tc.path)
			if r.status != http.StatusOK || !strings.Contains(r.body, tc.want) {
				t.Errorf("GET %s: status %d, body has %q: %v", tc.path, r.status, tc.want, strings.Contains(r.body, tc.want))
			}
		})
	}
	if r := analyst.get("/messages?patient=9990000026"); strings.Contains(r.body, msg.ControlID) {
		t.Errorf("another patient's search lists the message")
	}
	if r := analyst.post("/messages/"+msg.ID+"/skip", url.Values{"reason": {"RIS rebuilt"}}); r.status != http.StatusSeeOther {
		t.Errorf("skip: status %d", r.status)
	}
	if m, _ := e.db.GetMessage(ctx, e.a.Org.ID, msg.ID); m.Status != crs.MessageSkipped {
		t.Errorf("after skip: status %s", m.Status)
	}
	if r := analyst.post("/messages/"+msg.ID+"/resend", nil); r.status != http.StatusSeeOther {
		t.Errorf("resend: status %d", r.status)
	}
	// Others may not see the log.
	clerk := e.login(e.a, crs.RoleClerk)
	for _, path := range []string{"/messages", "/messages/" + msg.ID, "/feeds"} {
		if r := clerk.get(path); r.status != http.StatusForbidden {
			t.Errorf("clerk GET %s: status %d, want 403", path, r.status)
		}
	}
}
