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
// others wrote before it, so every one is answered 200 or 201, the
// versions are 1 to the number of updates, each once, and the history
// holds every update's value. An update whose If-Match names a version
// superseded is still answered 412.
func TestUpdateRaceConcurrent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		const clients, rounds = 12, 3
		observation := func(id string, value int) string {
			return fmt.Sprintf(`{"resourceType":"Observation","id":"%s","status":"final","code":{"text":"HR"},"valueQuantity":{"value":%d}}`, id, value)
		}
		for round := range rounds {
			id := fmt.Sprintf("race-%d", round)
			versions := make([]string, clients)
			var wg sync.WaitGroup
			for i := range clients {
				wg.Go(func() {
					if i%2 == 0 {
						r := f.a.do("PUT", "/fhir/Observation/"+id, observation(id, i))
						if r.status != 200 && r.status != 201 {
							t.Errorf("round %d, client %d: PUT answered %d %s", round, i, r.status, r.body)
							return
						}
						versions[i] = r.header.Get("ETag")
						return
					}
					bundle := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + observation(id, i) +
						`,"request":{"method":"PUT","url":"Observation/` + id + `"}}]}`
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
			for v := 1; v <= clients; v++ {
				want = append(want, fmt.Sprintf(`W/"%d"`, v))
			}
			slices.Sort(versions)
			slices.SortFunc(want, strings.Compare)
			if !slices.Equal(versions, want) {
				t.Errorf("round %d: the updates were answered with versions %v; want each of %v once", round, versions, want)
			}
			// The history holds each version once, with each update's value.
			r := f.a.do("GET", "/fhir/Observation/"+id+"/_history?_count=100", "")
			if r.status != 200 {
				t.Fatalf("round %d: history: %d %s", round, r.status, r.body)
			}
			var hist struct {
				Entry []struct {
					Resource struct {
						Meta struct {
							VersionID string `json:"versionId"`
						} `json:"meta"`
						ValueQuantity struct {
							Value int `json:"value"`
						} `json:"valueQuantity"`
					} `json:"resource"`
				} `json:"entry"`
			}
			if err := json.Unmarshal(r.body, &hist); err != nil {
				t.Fatal(err)
			}
			var gotVersions []string
			var gotValues []int
			for _, e := range hist.Entry {
				gotVersions = append(gotVersions, `W/"`+e.Resource.Meta.VersionID+`"`)
				gotValues = append(gotValues, e.Resource.ValueQuantity.Value)
			}
			slices.Sort(gotVersions)
			slices.Sort(gotValues)
			if !slices.Equal(gotVersions, want) {
				t.Errorf("round %d: the history holds versions %v; want each of %v once", round, gotVersions, want)
			}
			if len(gotValues) != clients || gotValues[0] != 0 || gotValues[clients-1] != clients-1 || len(slices.Compact(gotValues)) != clients {
				t.Errorf("round %d: the history holds the values %v; want each update's, 0 to %d", round, gotValues, clients-1)
			}
			// An If-Match of a version superseded is refused.
			if r := f.a.do("PUT", "/fhir/Observation/"+id, observation(id, 99), "If-Match", `W/"1"`); r.status != 412 {
				t.Errorf("round %d: PUT with If-Match of version 1 answered %d %s; want 412", round, r.status, r.body)
			}
		}
	})
}
