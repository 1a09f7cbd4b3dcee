package web

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestCompression: pages, downloads and assets longer than a few
// kilobytes go gzip-compressed to a browser that takes gzip, with Vary:
// Accept-Encoding, and decompress to what goes to one that does not; a
// short answer, a redirect, a HEAD and a range of an asset go as they
// are, and the live board's event stream is neither compressed nor held
// back.
func TestCompression(t *testing.T) {
	e := newEnv(t)
	for i := range 40 {
		e.register(e.a, "Smith", fmt.Sprintf("Zip%02d", i), crs.NewDate(1950+i, 1, 2), "", "E1 6AN")
	}
	c := e.login(e.a, crs.RoleNurse)
	// raw is the logged-in browser, seeing answers as they come.
	raw := &http.Client{Jar: c.http.Jar, Transport: &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(method, path string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, e.srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := raw.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return resp, b
	}

	// Long answers: a page of patients found, the style sheet, the script.
	for _, tc := range []struct{ path, ctype, says string }{
		{"/patients?q=smith", "text/html", "SMITH, Zip39"},
		{"/static/crs.css?v=" + staticHashes["crs.css"], "text/css", "{"},
		{"/static/crs.js", "javascript", "function"},
	} {
		plain, want := send("GET", tc.path)
		if plain.StatusCode != 200 || plain.Header.Get("Content-Encoding") != "" || !strings.Contains(string(want), tc.says) || len(want) <= 4096 {
			t.Fatalf("%s without Accept-Encoding: %d, Content-Encoding %q, %d bytes; want 200 as it is, over 4 KB, saying %q",
				tc.path, plain.StatusCode, plain.Header.Get("Content-Encoding"), len(want), tc.says)
		}
		for _, ae := range []string{"gzip", "gzip, deflate, br, zstd"} {
			resp, b := send("GET", tc.path, "Accept-Encoding", ae)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s, Accept-Encoding %q: %d, Content-Encoding %q, Vary %q; want 200 gzip varying by Accept-Encoding",
					tc.path, ae, resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
				continue
			}
			if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, tc.ctype) {
				t.Errorf("%s compressed: Content-Type %q, want %s", tc.path, ct, tc.ctype)
			}
			if cl := resp.Header.Get("Content-Length"); cl != "" && cl != fmt.Sprint(len(b)) {
				t.Errorf("%s compressed: Content-Length %s of %d bytes sent", tc.path, cl, len(b))
			}
			got := gunzip(t, tc.path, b)
			if !bytes.Equal(got, want) {
				t.Errorf("%s, Accept-Encoding %q: gunzips to %d bytes unlike the %d sent as they are", tc.path, ae, len(got), len(want))
			}
			if len(b)*2 > len(want) {
				t.Errorf("%s: %d bytes compressed from %d, want under half", tc.path, len(b), len(want))
			}
		}
		if resp, _ := send("GET", tc.path, "Accept-Encoding", "gzip;q=0"); resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s, Accept-Encoding gzip;q=0: Content-Encoding %q, want none", tc.path, resp.Header.Get("Content-Encoding"))
		}
		// A HEAD says what a GET would carry but carries no body, and
		// nothing compressed.
		resp, b := send("HEAD", tc.path, "Accept-Encoding", "gzip")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || len(b) != 0 {
			t.Errorf("HEAD %s with gzip: %d, Content-Encoding %q, %d bytes of body; want 200, none, none", tc.path, resp.StatusCode, resp.Header.Get("Content-Encoding"), len(b))
		}
	}

	// A range of an asset is of the file as it is.
	_, css := send("GET", "/static/crs.css")
	resp, b := send("GET", "/static/crs.css", "Accept-Encoding", "gzip", "Range", "bytes=100-5199")
	if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(b, css[100:5200]) {
		t.Errorf("a range of crs.css with gzip: %d, Content-Encoding %q, %d bytes; want 206 with bytes 100-5199 as they are", resp.StatusCode, resp.Header.Get("Content-Encoding"), len(b))
	}

	// Short answers and redirects go as they are.
	resp, b = send("GET", "/healthz", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "" || string(b) != "ok" {
		t.Errorf("healthz with gzip: Content-Encoding %q, body %q; want ok as it is", resp.Header.Get("Content-Encoding"), b)
	}
	anon := &http.Client{Transport: &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", e.srv.URL+"/patients?q=smith", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := anon.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("not logged in, with gzip: %d to %q, Content-Encoding %q, body %.80q; want a 303 to the login page as it is",
			res.StatusCode, res.Header.Get("Location"), res.Header.Get("Content-Encoding"), b)
	}

	// The live board's stream: its first lines come at once, as they are.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/live?topic=beds", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err = raw.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	first, err := bufio.NewReader(res.Body).ReadString('\n')
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "" || first != "retry: 5000\n" {
		t.Errorf("live board with gzip: %d, Content-Encoding %q, first line %q (%v); want 200 as it is starting retry: 5000",
			res.StatusCode, res.Header.Get("Content-Encoding"), first, err)
	}
}

// gunzip is b decompressed, failing the test when it is not gzip data.
func gunzip(t *testing.T, what string, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not gzip data: %v", what, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: damaged gzip data: %v", what, err)
	}
	return out
}
