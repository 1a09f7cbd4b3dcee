package fhir_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
)

// BenchmarkSNOMEDBelow searches 5,000 Conditions by :below a SNOMED CT
// concept with 50,000 concepts below it and by one with 10, 100 of the
// Conditions coded below each, and by a kind of the first with 199
// below it. Past 100 concepts below one the store asks the release of
// each indexed code by one key, so the cost is the rows', not the
// concepts' (wide costs what the kind does); the narrow one reads its
// concepts' rows by the index. The first page of each, and a count.
// SQLite; PostgreSQL with CRS_BENCH_POSTGRES set.
func BenchmarkSNOMEDBelow(b *testing.B) {
	var terms *store.TerminologyService
	srv, _, tr := benchServerWith(b, func(s *fhir.Server, db *store.DB) {
		terms = store.NewTerminologyService(db)
		s.Terminology = terms
	})
	// A root, wide below it with 50,000 (250 kinds of 199 each, and
	// the kinds), narrow with 10, and 1,000 others.
	root, wide, narrow := sctid(0), sctid(1), sctid(2)
	release := []nhs.Concept{{ID: root, Term: "Root", FSN: "Root (disorder)"},
		{ID: wide, Term: "Wide", FSN: "Wide (disorder)", Parents: []string{root}},
		{ID: narrow, Term: "Narrow", FSN: "Narrow (disorder)", Parents: []string{root}}}
	n := 10
	next := func(term string, parent string) string {
		id := sctid(n)
		n++
		release = append(release, nhs.Concept{ID: id, Term: term, FSN: term + " (disorder)", Parents: []string{parent}})
		return id
	}
	var belowWide, belowNarrow, others []string
	for i := 0; i < 250; i++ {
		kind := next(fmt.Sprintf("Wide kind %d", i), wide)
		belowWide = append(belowWide, kind)
		for j := 0; j < 199; j++ {
			belowWide = append(belowWide, next(fmt.Sprintf("Wide kind %d sub %d", i, j), kind))
		}
	}
	for i := 0; i < 10; i++ {
		belowNarrow = append(belowNarrow, next(fmt.Sprintf("Narrow kind %d", i), narrow))
	}
	for i := 0; i < 1000; i++ {
		others = append(others, next(fmt.Sprintf("Other %d", i), root))
	}
	if _, err := terms.LoadSNOMED(context.Background(), tr.System, release); err != nil {
		b.Fatal(err)
	}
	codes := make([]string, 0, 5000)
	for i := 0; i < 5000; i++ {
		switch {
		case i%50 == 0:
			codes = append(codes, belowWide[(i*97)%len(belowWide)])
		case i%50 == 1:
			codes = append(codes, belowNarrow[i%len(belowNarrow)])
		default:
			codes = append(codes, others[i%len(others)])
		}
	}
	for batch := 0; batch < len(codes)/100; batch++ {
		var entries []string
		for _, code := range codes[batch*100 : batch*100+100] {
			entries = append(entries, `{"resource":{"resourceType":"Condition","subject":{"reference":"Patient/p1"},
				"code":{"coding":[{"system":"http://snomed.info/sct","code":"`+code+`"}]}},"request":{"method":"POST","url":"Condition"}}`)
		}
		post(b, srv.URL+"/fhir", "t", `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`)
	}
	for _, bc := range []struct{ name, query string }{
		{"wide-50000", "code:below=" + url.QueryEscape("http://snomed.info/sct|"+wide)},
		{"narrow-10", "code:below=" + url.QueryEscape("http://snomed.info/sct|"+narrow)},
		{"kind-199", "code:below=" + url.QueryEscape("http://snomed.info/sct|"+belowWide[0])},
		{"wide-50000-count", "code:below=" + url.QueryEscape("http://snomed.info/sct|"+wide) + "&_summary=count"},
		{"narrow-10-count", "code:below=" + url.QueryEscape("http://snomed.info/sct|"+narrow) + "&_summary=count"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchGet(b, srv.URL+"/fhir/Condition?"+bc.query, "t")
			}
		})
	}
}
