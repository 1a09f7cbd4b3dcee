package fhir_test

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkSearchContent searches a trust's 10,000 Observations for a
// word one in a hundred holds in a note (_content) and in its narrative
// (_text): a scan of the type's stored bodies narrowed in the database,
// each candidate then matched on its values.
func BenchmarkSearchContent(b *testing.B) {
	srv, tok := benchServer(b)
	for batch := 0; batch < 100; batch++ {
		var entries []string
		for i := 0; i < 100; i++ {
			words := "Pulse taken at rest"
			if i == 0 {
				words = "Syncope while standing"
			}
			entries = append(entries, fmt.Sprintf(`{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},
				"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">%s</div>"},"note":[{"text":"%s"}],"valueQuantity":{"value":%d,"unit":"/min"}},
				"request":{"method":"POST","url":"Observation"}}`, words, words, 60+i))
		}
		post(b, srv.URL+"/fhir", tok, `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`)
	}
	for _, q := range []string{"_content=syncope", "_text=syncope", "_content=syncope&_summary=count"} {
		b.Run(q, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchGet(b, srv.URL+"/fhir/Observation?"+q+"&_count=50", tok)
			}
		})
	}
}
