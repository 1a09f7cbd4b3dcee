package bench

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestReadAnswer reads answers as net/http's own parser does (their
// status, body and whether the connection is to close), two after one
// another on one connection where it stays open, and refuses a broken
// one with what was wrong.
func TestReadAnswer(t *testing.T) {
	valid := []struct {
		name, raw string
		close     bool
	}{
		{"by length", "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 13\r\n\r\n{\"id\":\"p-1\"}\n", false},
		{"length in other case", "HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}", false},
		{"chunked, an extension and a trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n", false},
		{"chunked, upper-case size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n", false},
		{"connection close", "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbad", true},
		{"no length: to the end", "HTTP/1.1 200 OK\r\n\r\nall of it", true},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", true},
		{"no content", "HTTP/1.1 204 No Content\r\n\r\n", false},
		{"not modified", "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", false},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			want, err := http.ReadResponse(bufio.NewReader(strings.NewReader(tc.raw)), nil)
			if err != nil {
				t.Fatal(err)
			}
			wantBody, err := io.ReadAll(want.Body)
			if err != nil {
				t.Fatal(err)
			}
			raw := tc.raw
			if !tc.close {
				raw += tc.raw // a second answer on the connection
			}
			r := bufio.NewReader(strings.NewReader(raw))
			var body bytes.Buffer
			for range 1 + btoi(!tc.close) {
				status, closeAfter, err := readAnswer(r, &body)
				if err != nil {
					t.Fatal(err)
				}
				if status != want.StatusCode || body.String() != string(wantBody) || closeAfter != want.Close {
					t.Errorf("got %d %q close %v, want %d %q close %v", status, body.String(), closeAfter, want.StatusCode, wantBody, want.Close)
				}
			}
		})
	}
	broken := []struct{ name, raw, want string }{
		{"no status line", "", "read the status line"},
		{"not HTTP", "SMTP 220 ready\r\n\r\n", "malformed status line"},
		{"status not a number", "HTTP/1.1 2x0 OK\r\n\r\n", "malformed status line"},
		{"header without a colon", "HTTP/1.1 200 OK\r\nbroken\r\n\r\n", "malformed header line"},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\n", "malformed Content-Length"},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "read a body of 10 bytes"},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunk size"},
		{"chunk without its line end", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", "not followed by its line end"},
		{"header cut off", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", "read the header"},
	}
	for _, tc := range broken {
		t.Run(tc.name, func(t *testing.T) {
			var body bytes.Buffer
			_, _, err := readAnswer(bufio.NewReader(strings.NewReader(tc.raw)), &body)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BenchmarkReadAnswer reads a FHIR read's answer as the benchmark's
// client does, against net/http's parser reading it (the client before).
func BenchmarkReadAnswer(b *testing.B) {
	raw := "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json; charset=utf-8\r\nEtag: W/\"1\"\r\nLast-Modified: Sun, 06 Dec 2026 06:31:02 GMT\r\nDate: Sun, 06 Dec 2026 06:31:02 GMT\r\nContent-Length: 1200\r\n\r\n" + strings.Repeat("x", 1200)
	src := strings.NewReader("")
	r := bufio.NewReaderSize(src, 16<<10)
	var body bytes.Buffer
	b.Run("readAnswer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			src.Reset(raw)
			r.Reset(src)
			if _, _, err := readAnswer(r, &body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("http.ReadResponse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			src.Reset(raw)
			r.Reset(src)
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				b.Fatal(err)
			}
			body.Reset()
			body.ReadFrom(resp.Body)
			resp.Body.Close()
		}
	})
}
