package hl7

import (
	"reflect"
	"testing"
	"time"
)

func TestNewACK(t *testing.T) {
	orig, err := Parse([]byte("MSH|^~\\&|PAS|RXH^1.2^ISO|CRS|RXH|20240131||ADT^A01^ADT_A01|MSG00001|P|2.5.1\rPID|1\r"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 1, 31, 14, 30, 6, 0, time.UTC)
	tests := []struct {
		name string
		orig *Message
		code string
		errs []ACKError
		want string
	}{
		{
			name: "accept",
			orig: orig, code: AA,
			want: "MSH|^~\\&|CRS|RXH|PAS|RXH^1.2^ISO|20240131143006+0000||ACK^A01^ACK|ACK1|P|2.5.1\r" +
				"MSA|AA|MSG00001\r",
		},
		{
			name: "errors",
			orig: orig, code: AE,
			errs: []ACKError{
				{Segment: "PID", Field: 3, Code: CodeRequiredFieldMissing, Text: "PID-3 has no NHS number & no MRN"},
				{Code: CodeInternal, Severity: SeverityWarning, Text: "store busy"},
			},
			want: "MSH|^~\\&|CRS|RXH|PAS|RXH^1.2^ISO|20240131143006+0000||ACK^A01^ACK|ACK1|P|2.5.1\r" +
				"MSA|AE|MSG00001|PID-3 has no NHS number \\T\\ no MRN\r" +
				"ERR|PID^1^3^101&PID-3 has no NHS number \\T\\ no MRN&HL70357|PID^1^3^1|101^Required field missing^HL70357|E||||PID-3 has no NHS number \\T\\ no MRN\r" +
				"ERR|^^^207&store busy&HL70357||207^Application internal error^HL70357|W||||store busy\r",
		},
		{
			name: "unparseable original",
			orig: nil, code: AR,
			errs: []ACKError{{Code: CodeUnsupportedMessage, Text: "not HL7"}},
			want: "MSH|^~\\&|||||20240131143006+0000||ACK^^ACK|ACK1|P|2.4\r" +
				"MSA|AR||not HL7\r" +
				"ERR|^^^200&not HL7&HL70357||200^Unsupported message type^HL70357|E||||not HL7\r",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ack := NewACK(tc.orig, tc.code, "ACK1", now, tc.errs...)
			if got := ack.String(); got != tc.want {
				t.Errorf("NewACK:\ngot  %q\nwant %q", got, tc.want)
			}
			back, err := ParseACK(ack.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if back.Code != tc.code || len(back.Errors) != len(tc.errs) {
				t.Fatalf("ParseACK = %+v", back)
			}
			for i, e := range tc.errs {
				if e.Severity == "" {
					e.Severity = SeverityError
				}
				if e.Segment != "" && e.Sequence == 0 {
					e.Sequence = 1
				}
				if !reflect.DeepEqual(back.Errors[i], e) {
					t.Errorf("error %d: got %+v, want %+v", i, back.Errors[i], e)
				}
			}
		})
	}
}

func TestReadACK(t *testing.T) {
	tests := []struct {
		name, in string
		want     ACK
	}{
		{
			name: "v2.4 ERR-1 only",
			in:   "MSH|^~\\&|A|B|C|D|2024||ACK|1|P|2.3\rMSA|AE|M1|Bad PID\rERR|PID^1^3^101&Missing MRN\r",
			want: ACK{Code: "AE", ControlID: "M1", Text: "Bad PID", Errors: []ACKError{{Segment: "PID", Sequence: 1, Field: 3, Code: "101", Text: "Missing MRN"}}},
		},
		{
			name: "v2.5 diagnostic only",
			in:   "MSH|^~\\&|A|B|C|D|2024||ACK|1|P|2.5\rMSA|AR|M2\rERR||PV1^1^3|103^Table value not found^HL70357|E|||Ward unknown\r",
			want: ACK{Code: "AR", ControlID: "M2", Errors: []ACKError{{Segment: "PV1", Sequence: 1, Field: 3, Code: "103", Severity: "E", Text: "Ward unknown"}}},
		},
		{
			name: "accept",
			in:   "MSH|^~\\&|A|B|C|D|2024||ACK^A01|1|P|2.4\rMSA|CA|M3\r",
			want: ACK{Code: "CA", ControlID: "M3"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseACK([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if _, err := ParseACK([]byte("MSH|^~\\&\rPID|1\r")); err == nil {
		t.Errorf("ParseACK without MSA succeeded")
	}
}
