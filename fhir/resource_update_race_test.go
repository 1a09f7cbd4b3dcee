package fhir_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestUpdateRaceConcurrent sends, many at once, updates of the same
// resource that name no version, half as PUT and half as the entry of a
// transaction: each is written as the next version of whatever the
// others wrote before it, so every one is answered 200 (or 201 for the
// update that creates a resource of the resource store), the versions
// are each given once, and the history holds every update's value. An
// update whose If-Match names a version superseded is still answered 412.
// So for a resource of the store and for a patient of the patient index,
// which the index registers first (its version 1) and gives its id.
func TestUpdateRaceConcurrent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		const clients, rounds = 12, 3
		for _, tc := range []struct {
			name, typ string
			register  string                          // the patient the index registers first, or "" when the updates make the resource
			body      func(id string, i int) string   // the i-th update
			value     func(res map[string]any) string // what an update wrote, as the history holds it
		}{
			{"resource store", "Observation", "", func(id string, i int) string {
				return fmt.Sprintf(`{"resourceType":"Observation","id":"%s","status":"final","code":{"text":"HR"},"valueQuantity":{"value":%d}}`, id, i)
			}, func(res map[string]any) string {
				q, _ := res["valueQuantity"].(map[string]any)
				return fmt.Sprint(q["value"])
			}},
			{"patient index", "Patient", `{"resourceType":"Patient","name":[{"family":"Racer","given":["-1"]}],"gender":"female","birthDate":"1970-01-01"}`,
				func(id string, i int) string {
					return fmt.Sprintf(`{"resourceType":"Patient","id":"%s","name":[{"family":"Racer","given":["%d"]}],"gender":"female","birthDate":"1970-01-01"}`, id, i)
				}, func(res map[string]any) string {
					names, _ := res["name"].([]any)
					if len(names) == 0 {
						return ""
					}
					given, _ := names[0].(map[string]any)["given"].([]any)
					return fmt.Sprint(given...)
				}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for round := range rounds {
					id := fmt.Sprintf("race-%d", round)
					first := 1 // the version of the first update
					wantValues := []string{}
					if tc.register != "" {
						id, first = create(t, f.a, tc.typ, tc.register), 2
						wantValues = append(wantValues, "-1")
					}
					versions := make([]string, clients)
					var wg sync.WaitGroup
					for i := range clients {
						wg.Go(func() {
							if i%2 == 0 {
								r := f.a.do("PUT", "/fhir/"+tc.typ+"/"+id, tc.body(id, i))
								if r.status != 200 && (r.status != 201 || tc.register != "") {
									t.Errorf("round %d, client %d: PUT answered %d %s", round, i, r.status, r.body)
									return
								}
								versions[i] = r.header.Get("ETag")
								return
							}
							bundle := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + tc.body(id, i) +
								`,"request":{"method":"PUT","url":"` + tc.typ + `/` + id + `"}}]}`
							r := f.a.do("POST", "/fhir", bundle)
							if r.status != 200 {
								t.Errorf("round %d, client %d: transaction answered %d %s", round, i, r.status, r.body)
								return
							}
							versions[i], _ = entryResponses(t, r)[0]["etag"].(string)
						})
					}
					wg.Wait()
					var want []string
					for v := first; v < first+clients; v++ {
						want = append(want, fmt.Sprintf(`W/"%d"`, v))
					}
					slices.Sort(versions)
					slices.SortFunc(want, strings.Compare)
					if !slices.Equal(versions, want) {
						t.Errorf("round %d: the updates were answered with versions %v; want each of %v once", round, versions, want)
					}
					// The history holds each version once, with each update's value.
					r := f.a.do("GET", "/fhir/"+tc.typ+"/"+id+"/_history?_count=100", "")
					if r.status != 200 {
						t.Fatalf("round %d: history: %d %s", round, r.status, r.body)
					}
					var hist struct {
						Entry []struct {
							Resource map[string]any `json:"resource"`
						} `json:"entry"`
					}
					if err := json.Unmarshal(r.body, &hist); err != nil {
						t.Fatal(err)
					}
					var gotVersions, gotValues []string
					for _, e := range hist.Entry {
						meta, _ := e.Resource["meta"].(map[string]any)
						gotVersions = append(gotVersions, fmt.Sprintf(`W/"%v"`, meta["versionId"]))
						gotValues = append(gotValues, tc.value(e.Resource))
					}
					for v := 1; v < first; v++ {
						want = append(want, fmt.Sprintf(`W/"%d"`, v))
					}
					for i := range clients {
						wantValues = append(wantValues, fmt.Sprint(i))
					}
					slices.SortFunc(want, strings.Compare)
					slices.Sort(gotVersions)
					slices.Sort(gotValues)
					slices.Sort(wantValues)
					if !slices.Equal(gotVersions, want) {
						t.Errorf("round %d: the history holds versions %v; want each of %v once", round, gotVersions, want)
					}
					if !slices.Equal(gotValues, wantValues) {
						t.Errorf("round %d: the history holds the values %v; want each once: %v", round, gotValues, wantValues)
					}
					// An If-Match of a version superseded is refused.
					if r := f.a.do("PUT", "/fhir/"+tc.typ+"/"+id, tc.body(id, 99), "If-Match", `W/"1"`); r.status != 412 {
						t.Errorf("round %d: PUT with If-Match of version 1 answered %d %s; want 412", round, r.status, r.body)
					}
				}
			})
		}
	})
}
