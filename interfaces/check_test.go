package interfaces

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestCheckReplaysInOneDryRun replays three files of traffic (CRLF, MLLP
// framed with CR, LF) in which each message builds on those before it: a
// registration, a change of name, an admission, a transfer and a
// discharge of the one patient, among an admission to a ward the trust
// does not have (held until it is mapped) and a change of that patient's
// name (held behind it), a copy of a message already sent and a line
// that is no message. It checks the report message by message and per type, and
// that afterwards no table has a row more or less: no patient, spell,
// log entry, event, audit record or queued outbound message, though the
// trust has an outbound feed the changes would go to.
func TestCheckReplaysInOneDryRun(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f, _, _, _, _ := wardFeedFixture(t, db, "Check", 70)
		ctx := context.Background()
		n := testNHS(71)
		pid := pidSeg(n, "", "", "DRYRUN", "ADA", "19800501")
		renamed := pidSeg(n, "", "", "DRYRUN-SMITH", "ADA", "19800501")
		admit := pv1(map[int]string{2: "I", 3: "WD10^^B01^RXX", 4: "C", 7: "C1234567^SMITH^JOHN^^^DR", 10: "100", 14: "1", 19: "V900", 44: "20260302080000"})
		crlf := func(m string) string { return strings.ReplaceAll(m, "\r", "\r\n") }
		file1 := crlf(adtMsg("A28", "CK1", "RXX", pid)) + crlf(adtMsg("A31", "CK2", "RXX", renamed)) + crlf(journeyMsg("A01", "CK3", renamed, admit, ""))
		file2 := "\x0b" + journeyMsg("A02", "CK4", renamed, pv1(map[int]string{2: "I", 3: "WD20^BAY1^B01^RXX", 19: "V900"}), "") + "\x1c\r" +
			"\x0b" + journeyMsg("A01", "CK5", pidSeg(testNHS(72), "", "", "OTHER", "BO", "19700101"), strings.Replace(admit, "WD10^^B01", "WDX^^B01", 1), "") + "\x1c\r" +
			"\x0b" + adtMsg("A31", "CK8", "RXX", pidSeg(testNHS(72), "", "", "OTHER-GREY", "BO", "19700101")) + "\x1c\r" +
			"\x0b" + adtMsg("A28", "CK1", "RXX", pid) + "\x1c\r"
		file3 := strings.ReplaceAll(journeyMsg("A03", "CK6", renamed, pv1(map[int]string{2: "I", 3: "WD20^BAY1^B01^RXX", 19: "V900", 45: "20260302090000"}), ""), "\r", "\n") +
			"MSH|^~\\&|PAS|RXX|OPENCRS|RXX|20260302090000||ADT^A08|CK7|P|2.4\nP@D|1\n"
		db.Flush(ctx)
		before := storetest.TableCounts(t, db)
		rep, err := f.e.Check(ctx, f.iface, []crs.TrafficFile{{Name: "day1.hl7", Data: []byte(file1)}, {Name: "day2.mllp", Data: []byte(file2)}, {Name: "day3.txt", Data: []byte(file3)}}, crs.CheckOptions{})
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			Where, Control, Type, Outcome, Reason string
		}
		var got []row
		for _, m := range rep.Messages {
			r := row{m.Where(), m.ControlID, m.Type, m.Outcome, ""}
			if len(m.Reasons) > 0 {
				r.Reason = m.Reasons[0]
			}
			got = append(got, r)
		}
		want := []row{
			{"day1.hl7:1", "CK1", "ADT^A28", crs.CheckApplied, ""},
			{"day1.hl7:5", "CK2", "ADT^A31", crs.CheckApplied, ""},
			{"day1.hl7:9", "CK3", "ADT^A01", crs.CheckApplied, ""},
			{"day2.mllp:1", "CK4", "ADT^A02", crs.CheckApplied, ""},
			{"day2.mllp:6", "CK5", "ADT^A01", crs.CheckHeld, "PV1-3: point of care WDX is not a ward of this trust and has no mapping in table location: map it (crs hl7 map set --table location --from WDX --to WARD) and reprocess (code 103)"},
			{"day2.mllp:11", "CK8", "ADT^A31", crs.CheckHeld, heldBehind},
			{"day2.mllp:16", "CK1", "ADT^A28", crs.CheckDuplicate, ""},
			{"day3.txt:1", "CK6", "ADT^A03", crs.CheckApplied, ""},
			{"day3.txt:5", "", "unreadable", crs.CheckRefused, ""},
		}
		if len(got) == len(want) {
			// The reason a message cannot be read is the parser's; its
			// place is checked, not its words.
			if !strings.Contains(got[8].Reason, "P@D") {
				t.Errorf("unreadable message's reason %q does not name the bad segment", got[8].Reason)
			}
			got[8].Reason = ""
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("messages (-want +got):\n%s", diff)
		}
		wantTotal := crs.CheckCounts{Messages: 9, Applied: 5, Held: 2, Refused: 1, Duplicate: 1}
		if rep.Total != wantTotal {
			t.Errorf("total: got %+v, want %+v", rep.Total, wantTotal)
		}
		var a01 *crs.CheckType
		for _, ty := range rep.Types {
			if ty.Type == "ADT^A01" {
				a01 = ty
			}
		}
		if a01 == nil || a01.Messages != 2 || a01.Applied != 1 || a01.Held != 1 || len(a01.HeldReasons) != 1 || a01.HeldReasons[0].First != "day2.mllp:6" {
			t.Errorf("ADT^A01 in the report: %+v", a01)
		}
		if diff := cmp.Diff([]crs.CheckUnmapped{{Table: "location", Code: "WDX", Held: 1}}, rep.Unmapped); diff != "" {
			t.Errorf("unmapped codes (-want +got):\n%s", diff)
		}
		db.Flush(ctx)
		if diff := cmp.Diff(before, storetest.TableCounts(t, db)); diff != "" {
			t.Errorf("rows after the check (-before +after):\n%s", diff)
		}
		if _, err := store.NewPatientService(db).FindPatientByIdentifier(ctx, f.trust.Actor(crs.RoleClerk), "nhs", n); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("patient of the dry run found afterwards: err = %v", err)
		}

		// The text and JSON forms say the same.
		var text bytes.Buffer
		if err := WriteCheckReport(&text, rep); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"Dry run of 9 messages from 3 files", "ADT^A01               2        1         0      1        0       0         0", "point of care WDX is not a ward", "(first at day2.mllp:6)",
			"Messages that cannot be read:\n  day3.txt:5 (message 2 of the file): the message cannot be read: segment 2 (line 2)",
			"  location               WDX                       1         0"} {
			if !strings.Contains(text.String(), s) {
				t.Errorf("text report lacks %q:\n%s", s, text.String())
			}
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		var back crs.CheckReport
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rep, &back); diff != "" {
			t.Errorf("report through JSON (-before +after):\n%s", diff)
		}
	})
}

// BenchmarkCheck measures a dry run of a file of traffic on SQLite: b.N
// messages, a registration and a change of name for each of b.N/2
// patients, replayed in one rolled-back transaction. It reports the
// messages checked per second.
func BenchmarkCheck(b *testing.B) {
	e, i := benchEngine(b)
	var file strings.Builder
	for k := 0; k < b.N; k++ {
		family := "SMITH"
		if k%2 == 1 {
			family = "SMITH-JONES"
		}
		file.WriteString(adtMsg(map[bool]string{false: "A28", true: "A31"}[k%2 == 1], fmt.Sprint("BC", k), "RBN",
			pidSeg(testNHS(k/2), "", "", family, "ANNE", "19800101")))
	}
	data := []byte(file.String())
	b.ResetTimer()
	rep, err := e.Check(context.Background(), i, []crs.TrafficFile{{Name: "bench.hl7", Data: data}}, crs.CheckOptions{})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if rep.Total.Applied != b.N {
		b.Fatalf("%d of %d applied: %+v", rep.Total.Applied, b.N, rep.Types)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// TestClassify checks how the report reads a message's outcome from its
// acknowledgement and the log entry the dry run wrote for it.
func TestClassify(t *testing.T) {
	raw := []byte(adtMsg("A01", "CL1", "RXX", pidSeg(testNHS(1), "", "", "GREEN", "ANN", "19700101")))
	msg, err := hl7.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	warn := hl7.ACKError{Segment: "PV1", Sequence: 1, Field: 10, Code: hl7.CodeTableValueNotFound, Severity: hl7.SeverityWarning, Text: "PV1-10 hospital service \"GEN\" has no mapping"}
	bad := hl7.ACKError{Segment: "PV1", Sequence: 1, Field: 3, Code: hl7.CodeUnknownKey, Severity: hl7.SeverityError, Text: "point of care X has no mapping"}
	ack := func(code string, errs ...hl7.ACKError) []byte {
		return hl7.NewACK(msg, code, "A1", storetest.Epoch, errs...).Bytes()
	}
	tests := []struct {
		name    string
		ack     []byte
		logged  *crs.Message
		outcome string
		reasons []string
	}{
		{"applied", ack(hl7.AA), &crs.Message{Status: crs.MessageApplied}, crs.CheckApplied, nil},
		{"applied with a warning", ack(hl7.AA, warn), &crs.Message{Status: crs.MessageApplied}, crs.CheckWarned, []string{`PV1-10 hospital service "GEN" has no mapping (code 103)`}},
		{"held", ack(hl7.AE, bad), &crs.Message{Status: crs.MessageHeld}, crs.CheckHeld, []string{"PV1-3: point of care X has no mapping (code 204)"}},
		{"refused", ack(hl7.AE, bad), &crs.Message{Status: crs.MessageFailed}, crs.CheckRefused, []string{"PV1-3: point of care X has no mapping (code 204)"}},
		{"rejected", ack(hl7.AR, bad), &crs.Message{Status: crs.MessageRejected}, crs.CheckRefused, []string{"PV1-3: point of care X has no mapping (code 204)"}},
		{"stored, not applied", ack(hl7.AA, warn), &crs.Message{Status: crs.MessageNotApplied}, crs.CheckStored, []string{`stored, not applied: PV1-10 hospital service "GEN" has no mapping (code 103)`}},
		{"duplicate", ack(hl7.AA), nil, crs.CheckDuplicate, nil},
		{"no acknowledgement", []byte("garbage"), nil, crs.CheckRefused, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &crs.CheckMessage{File: "f.hl7", N: 1, Line: 1}
			classify(m, raw, tc.ack, tc.logged)
			if m.Outcome != tc.outcome || m.ControlID != "CL1" || m.Type != "ADT^A01" {
				t.Errorf("got %s %s %s, want %s CL1 ADT^A01", m.Outcome, m.ControlID, m.Type, tc.outcome)
			}
			if tc.reasons != nil {
				if diff := cmp.Diff(tc.reasons, m.Reasons); diff != "" {
					t.Errorf("reasons (-want +got):\n%s", diff)
				}
			}
		})
	}
}
