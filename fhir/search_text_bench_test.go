package fhir_test

import (
	"encoding/json"
	"fmt"
	"net/http"
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

// BenchmarkSortedPages reads pages of a search of 5,000 Observations
// sorted by date: the first, and one 4,000 deep by its offset and by the
// cursor of the page before's next link (the values of its last
// resource's sort keys), which the store seeks to rather than counting
// its way there.
func BenchmarkSortedPages(b *testing.B) {
	srv, tok := benchServer(b)
	for batch := 0; batch < 50; batch++ {
		var entries []string
		for i := 0; i < 100; i++ {
			n := batch*100 + i
			entries = append(entries, fmt.Sprintf(`{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},
				"effectiveDateTime":"2026-%02d-%02dT%02d:%02d:00Z","valueQuantity":{"value":%d,"unit":"/min"}},
				"request":{"method":"POST","url":"Observation"}}`, 1+n%12, 1+n%28, n%24, n%60, 60+n%40))
		}
		post(b, srv.URL+"/fhir", tok, `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`)
	}
	search := srv.URL + "/fhir/Observation?code=8867-4&_sort=-date&_count=20"
	req, _ := http.NewRequest("GET", search+"&_offset=3980", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var page map[string]any
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	next := nextLink(page)
	if !strings.Contains(next, "_cursor=sort") {
		b.Fatalf("the next link of a sorted page: %q", next)
	}
	for _, tc := range []struct{ name, url string }{{"first", search}, {"offset-4000", search + "&_offset=4000"}, {"cursor-4000", next}} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchGet(b, tc.url, tok)
			}
		})
	}
}
