package fhir

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/opencrs/crs/internal/gzipped"
)

// The API speaks gzip both ways. An answer of more than 4 KB to a client
// whose Accept-Encoding takes gzip is sent compressed (Content-Encoding:
// gzip, Vary: Accept-Encoding; package gzipped): a Bulk Data file of the
// trust's observations, a page of a search, $everything or the
// CapabilityStatement are a tenth of their size, and a single resource
// read, smaller than that, goes as it is, without the cost. A request
// body sent with Content-Encoding: gzip (a transaction Bundle of a
// migration) is read uncompressed; any other coding is refused with 415.

// compressing serves next with request bodies decompressed and answers
// compressed where the client takes them so.
func compressing(next http.Handler) http.Handler {
	answers := gzipped.Answers(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ce := r.Header.Get("Content-Encoding"); ce != "" {
			switch strings.ToLower(strings.TrimSpace(ce)) {
			case "identity":
			case "gzip", "x-gzip":
				zr, err := gzip.NewReader(r.Body)
				if err != nil {
					writeOutcome(w, outcomeOf(http.StatusBadRequest, "invalid", "the request body is sent with Content-Encoding: gzip but is not gzip data: %v", err))
					return
				}
				r.Body = gunzippedBody{zr, r.Body}
				r.Header.Del("Content-Encoding")
				r.Header.Del("Content-Length")
				r.ContentLength = -1
			default:
				writeOutcome(w, outcomeOf(http.StatusUnsupportedMediaType, "not-supported", "the request body is sent with Content-Encoding: %s; this server reads gzip or no coding", ce))
				return
			}
		}
		answers.ServeHTTP(w, r)
	})
}

// gunzippedBody reads a request body through its gzip reader and
// closes both.
type gunzippedBody struct {
	*gzip.Reader
	body io.ReadCloser
}

func (b gunzippedBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("the request body's gzip data is damaged: %w", err)
	}
	return n, err
}

func (b gunzippedBody) Close() error {
	b.Reader.Close()
	return b.body.Close()
}
