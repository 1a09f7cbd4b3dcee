package fhir_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkLastN answers Observation/$lastn for a patient with 10,000
// vital signs, 1,000 of each of ten codes, beside another patient's
// 1,000: the last of each code, the last three of each vital sign, the
// last three of one code, and a count of the last three of each.
func BenchmarkLastN(b *testing.B) {
	srv, tok := benchServer(b)
	codes := []string{"8867-4", "9279-1", "8310-5", "8480-6", "8462-4", "2708-6", "59408-5", "29463-7", "8302-2", "39156-5"}
	patient := func(nhs string) string {
		return fmt.Sprintf(`{"resource":{"resourceType":"Patient","id":"bench-%[1]s","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":%[1]q}]},"request":{"method":"PUT","url":"Patient/bench-%[1]s"}}`, nhs)
	}
	post(b, srv.URL+"/fhir", tok, `{"resourceType":"Bundle","type":"transaction","entry":[`+patient("9990000018")+","+patient("9990000026")+`]}`)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	load := func(pid string, n int) {
		for batch := 0; batch < n/100; batch++ {
			var entries []string
			for i := 0; i < 100; i++ {
				k := batch*100 + i
				entries = append(entries, fmt.Sprintf(`{"resource":{"resourceType":"Observation","status":"final",
					"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
					"code":{"coding":[{"system":"http://loinc.org","code":%q}]},"subject":{"reference":"Patient/%s"},
					"effectiveDateTime":%q,"valueQuantity":{"value":%d}},"request":{"method":"POST","url":"Observation"}}`,
					codes[k%len(codes)], pid, start.Add(time.Duration(k)*time.Hour).Format(time.RFC3339), 60+k%40))
			}
			post(b, srv.URL+"/fhir", tok, `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`)
		}
	}
	load("bench-9990000018", 10000)
	load("bench-9990000026", 1000)
	for _, bc := range []struct{ name, query string }{
		{"max=1", "patient=bench-9990000018"},
		{"vitals-max=3", "patient=bench-9990000018&category=vital-signs&max=3"},
		{"code-max=3", "patient=bench-9990000018&code=http://loinc.org|8867-4&max=3"},
		{"count-max=3", "patient=bench-9990000018&max=3&_summary=count"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchGet(b, srv.URL+"/fhir/Observation/$lastn?"+bc.query, tok)
			}
		})
	}
}
