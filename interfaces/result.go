package interfaces

import (
	"fmt"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
)

// applyResult files ORU^R01 results as laboratories send them: each
// ORDER_OBSERVATION group (an OBR with the OBX segments that follow it)
// is one result, with the NTE comments after its OBR and after each OBX,
// the abnormal flags, reference ranges, units and result statuses. A
// report of an order already filed replaces it, the earlier one kept as
// history (see crs.Result.Replace). ORC, SPM, PV1 and Z segments carry
// nothing the result needs and are kept with the raw message.
func applyResult(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	m := in.msg
	p, ids, err := namedPatient(tx, in)
	if err != nil {
		return outcome{}, err
	}
	var results []*crs.Result
	var cur *crs.Result
	var obx *crs.Observation
	var notes []string // NTE before any OBR: comments on the whole report
	nOBR, nOBX := 0, 0
	for _, s := range m.AllSegments() {
		switch s.Name {
		case "OBR":
			nOBR++
			cur = &crs.Result{PatientID: p.ID, MessageID: in.id, PlacerOrder: s.Get("2.1"), FillerOrder: s.Get("3.1"),
				ServiceCode: s.Get("4.1"), ServiceName: s.Get("4.2"), Status: strings.ToUpper(strings.TrimSpace(s.Get("25"))),
				OrderedBy: personName(s, 16), Section: s.Get("24")}
			obx = nil
			for _, f := range []struct {
				n  int
				at *time.Time
				is string
			}{{7, &cur.ObservedAt, "observation time"}, {22, &cur.ReportedAt, "report time"}} {
				v := s.Get(fmt.Sprintf("%d.1", f.n))
				if v == "" {
					continue
				}
				t, err := hl7.ParseTimeIn(v, e.Zone)
				if err != nil {
					return outcome{}, &ackErr{hl7.ACKError{Segment: "OBR", Sequence: nOBR, Field: f.n, Code: hl7.CodeDataType, Severity: hl7.SeverityError,
						Text: fmt.Sprintf("OBR-%d %s %q is not an HL7 date/time", f.n, f.is, v)}}
				}
				*f.at = t.UTC()
			}
			if cur.ObservedAt.IsZero() {
				cur.ObservedAt = cur.ReportedAt
			}
			if cur.ObservedAt.IsZero() {
				if t, err := hl7.ParseTimeIn(m.Get("MSH-7.1"), e.Zone); err == nil {
					cur.ObservedAt = t.UTC()
				}
			}
			if len(results) == 0 {
				cur.Comments = notes
			}
			results = append(results, cur)
		case "OBX":
			nOBX++
			if cur == nil {
				return outcome{}, &ackErr{hl7.ACKError{Segment: "OBX", Sequence: nOBX, Field: 1, Code: hl7.CodeSegmentSequence, Severity: hl7.SeverityError,
					Text: "an OBX comes before any OBR: each observation belongs to the order (OBR) before it"}}
			}
			typ := strings.ToUpper(s.Get("2"))
			cur.Observations = append(cur.Observations, crs.Observation{SetID: s.Get("1"), SubID: s.Get("4"), Type: typ, Code: s.Get("3.1"), Name: s.Get("3.2"),
				Value: obxValue(m, s, typ), Units: firstOf(s.Get("6.1"), s.Get("6.2")), Range: s.Get("7"), Flags: s.Get("8"),
				Status: strings.ToUpper(strings.TrimSpace(s.Get("11"))), Observed: s.Get("14.1")})
			obx = &cur.Observations[len(cur.Observations)-1]
		case "NTE":
			text := repetitions(m, s, 3, false)
			switch {
			case obx != nil:
				obx.Comments = append(obx.Comments, text)
			case cur != nil:
				cur.Comments = append(cur.Comments, text)
			default:
				notes = append(notes, text)
			}
		}
	}
	if len(results) == 0 {
		return outcome{}, fieldErr("OBR", 0, hl7.CodeSegmentSequence, "the result holds no OBR segment")
	}
	if e.Results == nil {
		return outcome{}, crs.Errorf(crs.ECONFLICT, "results cannot be filed: this service has no result filing set up")
	}
	for _, r := range results {
		if err := e.Results.FileResult(tx, r); err != nil {
			return outcome{}, err
		}
	}
	return appliedTo(p, ids), nil
}

// appliedTo is the outcome of a message applied to the patient's record,
// with the warnings reading the patient's identifiers gave.
func appliedTo(p *crs.Patient, ids identifiers) outcome {
	return outcome{status: crs.MessageApplied, patientID: p.ID, nhs: p.NHSNumber, mrn: p.MRN, warnings: ids.warnings}
}

// patientWith finds the patient a message names, with the outcome of
// applying it to their record, and the segment the message cannot do
// without (why says what it is for).
func patientWith(tx crs.Tx, in *inbound, seg, why string) (*crs.Patient, outcome, *hl7.Segment, error) {
	p, ids, err := namedPatient(tx, in)
	if err != nil {
		return nil, outcome{}, nil, err
	}
	s := in.msg.Segment(seg)
	if s == nil {
		return nil, outcome{}, nil, fieldErr(seg, 0, hl7.CodeSegmentSequence, "the %s segment is missing: %s", seg, why)
	}
	return p, appliedTo(p, ids), s, nil
}

// warn adds a warning ERR to an applied message's AA: what was applied
// differently from what was sent, and why.
func (o *outcome) warn(seg string, field int, format string, args ...any) {
	o.warnings = append(o.warnings, hl7.ACKError{Segment: seg, Sequence: 1, Field: field, Code: hl7.CodeAccepted, Severity: hl7.SeverityWarning,
		Text: fmt.Sprintf(format, args...)})
}

// obxValue reads OBX-5 as text by its value type (OBX-2): coded values
// (CE, CWE, CNE) give their text, or their code when they have none;
// structured numbers (SN, such as <^5 or 1^:^128) are written out; text
// (TX, FT, ST) keeps its repetitions as lines and its \.br\ breaks.
func obxValue(m *hl7.Message, s *hl7.Segment, typ string) string {
	switch typ {
	case "CE", "CWE", "CNE", "CF":
		var out []string
		for _, rep := range strings.Split(s.GetRaw("5"), string(m.Delimiters().Repetition)) {
			c := strings.Split(rep, string(m.Delimiters().Component))
			v := c[0]
			if len(c) > 1 && c[1] != "" {
				v = c[1]
			}
			out = append(out, hl7.Unescape(m.Delimiters(), v))
		}
		return strings.Join(out, "\n")
	case "SN":
		return strings.Join(strings.Split(s.Get("5"), string(m.Delimiters().Component)), "")
	}
	return repetitions(m, s, 5, true)
}

// repetitions reads field n of s with its repetitions as lines. Text
// types keep their components as written (a ^ in free text); others take
// the field as it is.
func repetitions(m *hl7.Message, s *hl7.Segment, n int, keepComponents bool) string {
	d := m.Delimiters()
	raw := s.GetRaw(fmt.Sprint(n))
	reps := strings.Split(raw, string(d.Repetition))
	for i, r := range reps {
		if !keepComponents {
			r = strings.ReplaceAll(r, string(d.Component), " ")
		}
		reps[i] = hl7.Unescape(d, r)
	}
	return strings.Join(reps, "\n")
}

// personName writes an XCN field (id^family^given^middle^suffix^prefix)
// as "ID GIVEN FAMILY" for display, or "".
func personName(s *hl7.Segment, n int) string {
	f := fmt.Sprint(n)
	var parts []string
	for _, c := range []string{".1", ".6", ".3", ".2"} {
		if v := strings.TrimSpace(s.Get(f + c)); v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " ")
}

// firstOf returns the first of vs that is not empty.
func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
