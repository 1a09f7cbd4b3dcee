package fhir_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
)

// benchPMI starts a server with the patient index of a trust of n
// synthetic patients, made by the generator of seed.
func benchPMI(b *testing.B, n int, seed int64) (*httptest.Server, []*crs.Patient) {
	srv, db, tr := benchServerWith(b, func(s *fhir.Server, db *store.DB) { s.Patients = store.NewPatientService(db) })
	gen := demo.NewGenerator(seed)
	ps := make([]*crs.Patient, n)
	for i := range ps {
		ps[i] = gen.Patient()
	}
	if _, err := db.LoadPatients(context.Background(), tr.System, ps, crs.LoadOptions{}); err != nil {
		b.Fatal(err)
	}
	return srv, ps
}

// BenchmarkPatientPMI measures Patient served from the patient index
// over HTTP, on a trust of 20,000 patients: reads and searches by
// family name (ranked, and sorted with _sort) and $match from parallel
// clients, and registrations.
func BenchmarkPatientPMI(b *testing.B) {
	srv, ps := benchPMI(b, 20000, 11)
	get := func(b *testing.B, path string) { benchGet(b, srv.URL+path, "t") }
	var n atomic.Int64
	b.Run("read", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(b, "/fhir/Patient/"+ps[int(n.Add(1))%len(ps)].ID)
			}
		})
	})
	b.Run("search-family", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(b, "/fhir/Patient?_count=20&family="+url.QueryEscape(ps[int(n.Add(1))%len(ps)].FamilyName))
			}
		})
	})
	// Sorted by the database: every patient whose family name starts
	// with two letters (a few hundred to thousands of a trust of
	// 20,000), the first page and the fifth.
	for _, page := range []string{"", "&_offset=80"} {
		b.Run("search-family-sorted"+page, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					get(b, "/fhir/Patient?_count=20&_sort=-birthdate,given"+page+"&family="+url.QueryEscape(ps[int(n.Add(1))%len(ps)].FamilyName[:2]))
				}
			})
		})
	}
	b.Run("search-nhs-number", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(b, "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|"+ps[int(n.Add(1))%len(ps)].NHSNumber)
			}
		})
	})
	// $match of a patient by names and date of birth, as another
	// system asks before it registers one.
	b.Run("match", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				p := ps[int(n.Add(1))%len(ps)]
				post(b, srv.URL+"/fhir/Patient/$match", "t", fmt.Sprintf(`{"resourceType":"Patient","name":[{"family":%q,"given":[%q]}],"birthDate":%q}`,
					p.FamilyName, p.GivenName, p.BirthDate.Format("2006-01-02")))
			}
		})
	})
	b.Run("register", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			post(b, srv.URL+"/fhir/Patient", "t", fmt.Sprintf(`{"resourceType":"Patient","name":[{"family":"Bench%d","given":["Ann"]}],"gender":"female","birthDate":"1970-05-01"}`, i))
		}
	})
}
