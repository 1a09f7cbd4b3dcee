package fhir_test

import (
	"fmt"
	"net/url"
	"testing"
)

// BenchmarkDefinitionSearch searches the definitions a validator or an
// integration engine looks up, beside 20 StructureDefinitions of the
// trust's own: an extension of OpenCRS's by url, one of the trust's by
// url, and a page of every extension.
func BenchmarkDefinitionSearch(b *testing.B) {
	srv, tok := benchServer(b)
	for i := range 20 {
		post(b, srv.URL+"/fhir/StructureDefinition", tok, fmt.Sprintf(`{"resourceType":"StructureDefinition","url":"https://trust.example.nhs.uk/fhir/StructureDefinition/bay-%d","name":"Bay%d","status":"active","kind":"complex-type","abstract":false,"type":"Extension"}`, i, i))
	}
	for _, bc := range []struct{ name, query string }{
		{"OpenCRS's by url", "url=" + url.QueryEscape("https://opencrs.org/fhir/StructureDefinition/ward-code")},
		{"the trust's by url", "url=" + url.QueryEscape("https://trust.example.nhs.uk/fhir/StructureDefinition/bay-7")},
		{"every extension", "type=Extension&_count=20"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				benchGet(b, srv.URL+"/fhir/StructureDefinition?"+bc.query, tok)
			}
		})
	}
}
