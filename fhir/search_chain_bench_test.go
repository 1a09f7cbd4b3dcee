package fhir_test

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkReverseChain searches a trust's 5,000 Observations, 500 of
// them the results of DiagnosticReports, by a reverse chain
// (_has:DiagnosticReport:result:status=final) and a chain
// (DiagnosticReport?result.status=final), and pages of 500 Observations
// with the DiagnosticReports that name them (_revinclude): the
// references the nested search's matches make are found once for the
// search, and a page's 500 references asked as one list, not each once
// for each resource of the type searched.
func BenchmarkReverseChain(b *testing.B) {
	srv, tok := benchServer(b)
	for batch := range 50 {
		var entries []string
		for i := range 100 {
			entries = append(entries, fmt.Sprintf(`{"fullUrl":"urn:uuid:00000000-0000-4000-8000-%012d","resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueQuantity":{"value":%d,"unit":"/min"}},"request":{"method":"POST","url":"Observation"}}`, i, 60+i))
			if i%10 == 0 {
				entries = append(entries, fmt.Sprintf(`{"resource":{"resourceType":"DiagnosticReport","status":"final","code":{"text":"pulse %d"},"result":[{"reference":"urn:uuid:00000000-0000-4000-8000-%012d"}]},"request":{"method":"POST","url":"DiagnosticReport"}}`, batch, i))
			}
		}
		post(b, srv.URL+"/fhir", tok, `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`)
	}
	for _, q := range []string{"Observation?_has:DiagnosticReport:result:status=final&_count=20", "Observation?_has:DiagnosticReport:result:status=final&_summary=count", "DiagnosticReport?result.status=final&_count=20", "Observation?_count=500&_revinclude=DiagnosticReport:result"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				benchGet(b, srv.URL+"/fhir/"+q, tok)
			}
		})
	}
}
