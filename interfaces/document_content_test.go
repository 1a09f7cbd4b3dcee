package interfaces

import (
	"testing"

	"github.com/opencrs/crs"
)

func TestDecodeED(t *testing.T) {
	for _, tc := range []struct {
		enc, data, want string
		bad             bool
	}{
		{"BASE64", "JVBERi0xLjQ=", "%PDF-1.4", false},
		{"BASE64", "JVBER\ni0xLjQ", "%PDF-1.4", false}, // a line break, no padding
		{"B64", "aGk=", "hi", false},
		{"HEX", "255044462D", "%PDF-", false},
		{"A", "plain", "plain", false},
		{"BASE64", "%%%", "", true},
		{"HEX", "zz", "", true},
		{"UUENCODE", "x", "", true},
	} {
		got, err := decodeED(tc.enc, tc.data)
		if tc.bad != (err != nil) || (!tc.bad && string(got) != tc.want) {
			t.Errorf("decodeED(%s, %q) = %q, %v; want %q (error %v)", tc.enc, tc.data, got, err, tc.want, tc.bad)
		}
	}
}

func TestMediaType(t *testing.T) {
	for _, tc := range []struct {
		typ, sub, data, want string
	}{
		{"application", "pdf", "x", crs.ContentPDF},
		{"AP", "PDF", "x", crs.ContentPDF},
		{"application/pdf", "", "x", crs.ContentPDF},
		{"", "", "%PDF-1.7", crs.ContentPDF},
		{"TEXT", "", "hello", crs.ContentText},
		{"IM", "JPEG", "x", "image/jpeg"},
		{"AP", "RTF", "x", "application/rtf"},
		{"AP", "octet-stream", "x", "application/octet-stream"},
	} {
		if got := mediaType(tc.typ, tc.sub, []byte(tc.data)); got != tc.want {
			t.Errorf("mediaType(%q, %q) = %q, want %q", tc.typ, tc.sub, got, tc.want)
		}
	}
}
