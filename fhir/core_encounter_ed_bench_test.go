package fhir_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkOutpatientEncounters measures the outpatient Encounters read
// one at a time, on a trust of 2,000 patients (see BenchmarkCoreScan): a
// read of one, and a search of 50 by a list of _id, each read on its
// own with its clinic.
func BenchmarkOutpatientEncounters(b *testing.B) {
	srv, _ := benchCore(b, 2000)
	req, _ := http.NewRequest("GET", srv.URL+"/fhir/Encounter?class=AMB&_count=50", nil)
	req.Header.Set("Authorization", "Bearer t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var page struct {
		Entry []struct {
			Resource struct{ ID string } `json:"resource"`
		} `json:"entry"`
	}
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if err != nil || len(page.Entry) < 50 {
		b.Fatalf("the trust's outpatient Encounters: %d, %v", len(page.Entry), err)
	}
	var ids []string
	for _, e := range page.Entry {
		ids = append(ids, e.Resource.ID)
	}
	for _, bc := range []struct{ name, query string }{
		{"read", "Encounter/" + ids[0]},
		{"ids-50", "Encounter?_id=" + strings.Join(ids, ",")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchGet(b, srv.URL+"/fhir/"+bc.query, "t")
			}
		})
	}
}
