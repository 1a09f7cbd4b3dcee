package fhir_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestBundleEntryResponses checks what each entry of a transaction and
// of a batch answers, as R4 says: a conditional create that finds its
// match 200 OK with the match's location and ETag, as a conditional
// create of its own answers; a create 201 and an update 200, each with
// location, ETag and time; a read 200 with ETag and time; a delete 204.
// On the patient index and on Patients in the resource store.
func TestBundleEntryResponses(t *testing.T) {
	for _, pmi := range []bool{false, true} {
		t.Run(map[bool]string{false: "resource store", true: "patient index"}[pmi], func(t *testing.T) {
			storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
				nhs, begin := "9990000085", func() *fixture { return start(t, db, clock, nil) }
				if pmi {
					begin = func() *fixture { return startPAS(t, db, clock) }
				}
				f := begin()
				c := f.a
				criteria := "identifier=https://fhir.nhs.uk/Id/nhs-number|" + nhs
				patient := `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"name":[{"family":"Answer","given":["Ada"]}],"birthDate":"1960-01-02","gender":"female"}`
				if r := c.do("POST", "/fhir/Patient", patient); r.status != 201 {
					t.Fatalf("creating the patient: %d %s", r.status, r.body)
				}
				// A plain conditional create's answer, the entries' yardstick.
				plain := c.do("POST", "/fhir/Patient", patient, "If-None-Exist", criteria)
				if plain.status != 200 || plain.header.Get("Location") == "" || plain.header.Get("ETag") == "" {
					t.Fatalf("plain conditional create: %d %v", plain.status, plain.header)
				}
				wantLoc := strings.TrimPrefix(plain.header.Get("Location"), f.base+"/fhir/")
				obs := func(text string) string {
					return `{"resourceType":"Observation","status":"final","code":{"text":"` + text + `"}}`
				}
				var ids []string
				for i := 0; i < 3; i++ {
					r := c.do("POST", "/fhir/Observation", obs(fmt.Sprint("before ", i)))
					if r.status != 201 {
						t.Fatalf("observation: %d %s", r.status, r.body)
					}
					ids = append(ids, r.json(t)["id"].(string))
				}
				for _, kind := range []string{"transaction", "batch"} {
					t.Run(kind, func(t *testing.T) {
						put := strings.Replace(obs("changed "+kind), `{"resourceType":"Observation",`, `{"resourceType":"Observation","id":"`+ids[0]+`",`, 1)
						entries := []string{
							`{"resource":` + patient + `,"request":{"method":"POST","url":"Patient","ifNoneExist":"` + criteria + `"}}`,
							`{"resource":` + obs("new "+kind) + `,"request":{"method":"POST","url":"Observation"}}`,
							`{"resource":` + put + `,"request":{"method":"PUT","url":"Observation/` + ids[0] + `"}}`,
							`{"request":{"method":"GET","url":"Observation/` + ids[1] + `"}}`,
						}
						if kind == "transaction" {
							entries = append(entries, `{"request":{"method":"DELETE","url":"Observation/`+ids[2]+`"}}`)
						}
						r := c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"`+kind+`","entry":[`+strings.Join(entries, ",")+`]}`)
						if r.status != 200 {
							t.Fatalf("%s: %d %s", kind, r.status, r.body)
						}
						es := r.json(t)["entry"].([]any)
						resp := func(i int) map[string]any { return es[i].(map[string]any)["response"].(map[string]any) }
						// The conditional create found the patient.
						if got := resp(0); got["status"] != "200 OK" || got["location"] != wantLoc || got["etag"] != plain.header.Get("ETag") || got["lastModified"] == nil {
							t.Errorf("conditional create matching: %v, want 200 at %s, etag %s, and its time", got, wantLoc, plain.header.Get("ETag"))
						}
						if got := es[0].(map[string]any)["fullUrl"]; got != f.base+"/fhir/"+strings.Join(strings.Split(wantLoc, "/")[:2], "/") {
							t.Errorf("conditional create matching: fullUrl %v", got)
						}
						if got := resp(1); got["status"] != "201 Created" || !strings.HasPrefix(fmt.Sprint(got["location"]), "Observation/") || !strings.HasSuffix(fmt.Sprint(got["location"]), "/_history/1") || got["etag"] != `W/"1"` || got["lastModified"] == nil {
							t.Errorf("create: %v", got)
						}
						if got := resp(2); got["status"] != "200 OK" || !strings.HasPrefix(fmt.Sprint(got["location"]), "Observation/"+ids[0]+"/_history/") || got["etag"] == nil || got["lastModified"] == nil {
							t.Errorf("update: %v", got)
						}
						if got := resp(3); got["status"] != "200 OK" || got["etag"] != `W/"1"` || got["lastModified"] == nil || es[3].(map[string]any)["resource"] == nil {
							t.Errorf("read: %v", es[3])
						}
						if kind == "transaction" {
							if got := resp(4); got["status"] != "204 No Content" && got["status"] != "200 OK" {
								t.Errorf("delete: %v", got)
							}
						}
					})
				}
			})
		})
	}
}
