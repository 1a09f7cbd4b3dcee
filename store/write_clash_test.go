package store_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestTransactionClashesAtCommit forces a FHIR transaction's creates of
// resources with ids the client chose (PUT as create) to meet, when
// they are sent with its next statement or its commit on PostgreSQL, a
// resource of the same id that another change created after the
// transaction looked it up: just after each run of the transaction looks
// up the next id of a list, the other change takes it. Two such clashes
// in a row, the second at the commit, are
// answered by running the transaction again, each run finding what the
// last lost to and updating it; clashes still met at the last run are
// answered 409 naming the resource, and nothing of the transaction is
// written.
func TestTransactionClashesAtCommit(t *testing.T) {
	db := storetest.OpenPostgres(t, crs.NewFixedClock(storetest.Epoch))
	tr := storetest.NewTrust(t, db, "RCC")
	scopes, err := fhir.ParseScopes("system/*.*")
	if err != nil {
		t.Fatal(err)
	}
	s := &fhir.Server{Store: db, Resources: store.NewResourceService(db),
		Auth: principalAuth{&fhir.Principal{Actor: tr.Actor(crs.RoleInterface), Scopes: scopes}}}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(s.Close)
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", fhir.ContentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	observation := func(id string, value int) string {
		return fmt.Sprintf(`{"resourceType":"Observation","id":"%s","status":"final","code":{"text":"HR"},"valueQuantity":{"value":%d}}`, id, value)
	}
	version := func(id string) string {
		t.Helper()
		status, body := do("GET", "/fhir/Observation/"+id, "")
		if status == 404 {
			return "none"
		}
		i := strings.Index(body, `"versionId":"`)
		if status != 200 || i < 0 {
			t.Fatalf("read Observation/%s: %d %s", id, status, body)
		}
		v, _, _ := strings.Cut(body[i+len(`"versionId":"`):], `"`)
		return v
	}

	for _, tc := range []struct {
		name   string
		ids    []string // the transaction's creates
		takes  []string // the ids taken after its look-ups, in turn
		status int
		says   string            // what a refusal's OperationOutcome says
		want   map[string]string // the versions of the resources after it
	}{
		{name: "two clashes in a row", ids: []string{"a1", "a2"}, takes: []string{"a1", "a2"},
			status: 200, want: map[string]string{"a1": "2", "a2": "2"}},
		{name: "a clash at every run", ids: []string{"b1", "b2", "b3", "b4", "b5", "b6"}, takes: []string{"b1", "b2", "b3", "b4", "b5"},
			status: 409, says: "another change wrote Observation/b5 (version 1) first",
			want: map[string]string{"b1": "1", "b2": "1", "b3": "1", "b4": "1", "b5": "1", "b6": "none"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var busy atomic.Bool
			var taken atomic.Int32
			restore := store.AfterResourceLookUp(func(typ, id string) {
				// The other change's own look-up passes by.
				if !busy.CompareAndSwap(false, true) {
					return
				}
				defer busy.Store(false)
				if n := int(taken.Load()); n < len(tc.takes) && id == tc.takes[n] {
					taken.Add(1)
					if status, body := do("PUT", "/fhir/Observation/"+id, observation(id, 1)); status != 201 {
						t.Errorf("the other change's create of Observation/%s: %d %s", id, status, body)
					}
				}
			})
			defer restore()
			var entries []string
			for i, id := range tc.ids {
				entries = append(entries, fmt.Sprintf(`{"resource":%s,"request":{"method":"PUT","url":"Observation/%s"}}`, observation(id, 100+i), id))
			}
			status, body := do("POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`)
			restore()
			if status != tc.status || !strings.Contains(body, tc.says) || status != 200 && !strings.Contains(body, `"code":"conflict"`) {
				t.Errorf("transaction: %d %s; want %d saying %q", status, body, tc.status, tc.says)
			}
			if got := int(taken.Load()); got != len(tc.takes) {
				t.Errorf("%d ids taken after the transaction's look-ups; want %d", got, len(tc.takes))
			}
			for id, want := range tc.want {
				if got := version(id); got != want {
					t.Errorf("Observation/%s is at version %s; want %s", id, got, want)
				}
			}
		})
	}
}
