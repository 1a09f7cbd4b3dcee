package fhir

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// TestReadAll: a body is read whole whether its length is given or not,
// past the length read into a buffer made before it is sent, and one
// over maxBody is refused.
func TestReadAll(t *testing.T) {
	for _, tc := range []struct {
		name     string
		size     int
		declared bool
		status   int // 0 when read
	}{
		{"length given", 1000, true, 0},
		{"length given, past the buffer made before", maxBodyHint + 1000, true, 0},
		{"length not given", maxBodyHint + 1000, false, 0},
		{"over the limit, length given", maxBody + 1, true, 413},
		{"over the limit, length not given", maxBody + 1, false, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := bytes.Repeat([]byte("x"), tc.size)
			r := httptest.NewRequest("POST", "/fhir", bytes.NewReader(body))
			if !tc.declared {
				r.ContentLength = -1
			}
			got, err := readAll(r)
			switch o, _ := err.(*Outcome); {
			case tc.status != 0 && (o == nil || o.Status != tc.status):
				t.Errorf("readAll = %d bytes, %v; want %d", len(got), err, tc.status)
			case tc.status == 0 && (err != nil || !bytes.Equal(got, body)):
				t.Errorf("readAll = %d bytes, %v; want the %d bytes sent", len(got), err, tc.size)
			}
		})
	}
}
