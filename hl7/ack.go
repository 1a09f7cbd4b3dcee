package hl7

import (
	"fmt"
	"strconv"
	"time"
)

// Acknowledgement codes for MSA-1: original mode (AA, AE, AR) and enhanced
// mode commit acknowledgements (CA, CE, CR).
const (
	AA = "AA" // application accept: the message was processed
	AE = "AE" // application error: the message was read but could not be processed
	AR = "AR" // application reject: the message was refused (bad type, version, syntax)
	CA = "CA" // commit accept: the message was stored safely
	CE = "CE" // commit error
	CR = "CR" // commit reject
)

// Error severities for ERR-4 (HL7 table 0516).
const (
	SeverityError       = "E"
	SeverityWarning     = "W"
	SeverityInformation = "I"
	SeverityFatal       = "F"
)

// Error condition codes (HL7 table 0357) for ACKError.Code.
const (
	CodeAccepted              = "0"
	CodeSegmentSequence       = "100"
	CodeRequiredFieldMissing  = "101"
	CodeDataType              = "102"
	CodeTableValueNotFound    = "103"
	CodeValueTooLong          = "104"
	CodeUnsupportedMessage    = "200"
	CodeUnsupportedEvent      = "201"
	CodeUnsupportedProcessing = "202"
	CodeUnsupportedVersion    = "203"
	CodeUnknownKey            = "204"
	CodeDuplicateKey          = "205"
	CodeRecordLocked          = "206"
	CodeInternal              = "207"
)

// conditionText gives the table 0357 text of each code.
var conditionText = map[string]string{
	"0":   "Message accepted",
	"100": "Segment sequence error",
	"101": "Required field missing",
	"102": "Data type error",
	"103": "Table value not found",
	"104": "Value too long",
	"200": "Unsupported message type",
	"201": "Unsupported event code",
	"202": "Unsupported processing id",
	"203": "Unsupported version id",
	"204": "Unknown key identifier",
	"205": "Duplicate key identifier",
	"206": "Application record locked",
	"207": "Application internal error",
}

// ACKError is one problem reported in an acknowledgement's ERR segment:
// where it is in the original message, its HL7 table 0357 code, its
// severity and a message for the person who reads the sender's error log.
type ACKError struct {
	Segment   string // segment ID, such as "PID"; empty when the problem is not in one segment
	Sequence  int    // which segment of that name, from 1
	Field     int    // field number, 0 when not known
	Component int    // component number, 0 when not known
	Code      string // HL7 table 0357 code, such as CodeRequiredFieldMissing
	Severity  string // SeverityError and so on; empty means SeverityError
	Text      string // human message
}

// NewACK builds the acknowledgement of orig: an MSH that answers it
// (sending and receiving application and facility swapped, MSH-9
// ACK^<trigger>^ACK, MSH-10 controlID, MSH-12 the original's version or
// 2.4), an MSA with code (AA, AE, AR, CA, CE or CR), the original MSH-10
// and the first error's text, and one ERR segment per error. Each ERR is
// written for both v2.4 receivers (ERR-1 segment^sequence^field^code&text)
// and v2.5 and later (ERR-2 location, ERR-3 code, ERR-4 severity, ERR-8
// message). orig may be nil when the message could not be parsed at all.
func NewACK(orig *Message, code, controlID string, now time.Time, errs ...ACKError) *Message {
	d := DefaultDelimiters
	if orig != nil {
		d = orig.delims
	}
	m, err := NewMessage(d)
	if err != nil { // a parsed message's delimiters always validate; be safe
		m, _ = NewMessage(DefaultDelimiters)
		d = DefaultDelimiters
	}
	get := func(path string) string {
		if orig == nil {
			return ""
		}
		return orig.GetRaw(path)
	}
	version := "2.4"
	if orig != nil && orig.Version() != "" {
		version = orig.GetRaw("MSH-12.1")
	}
	processing := get("MSH-11")
	if processing == "" {
		processing = "P"
	}
	trigger := ""
	if orig != nil {
		trigger = Escape(d, orig.Trigger())
	}
	msh := m.segments[0]
	msh.fields = append(msh.fields,
		get("MSH-5"), get("MSH-6"), get("MSH-3"), get("MSH-4"),
		FormatTime(now), "",
		"ACK"+string(d.Component)+trigger+string(d.Component)+"ACK",
		Escape(d, controlID), processing, version)

	text := ""
	if len(errs) > 0 {
		text = errs[0].Text
	}
	msa, _ := m.AddSegment("MSA", Escape(d, code), get("MSH-10"))
	if text != "" {
		msa.fields = append(msa.fields, Escape(d, text))
	}
	for _, e := range errs {
		m.segments = append(m.segments, e.segment(m))
	}
	return m
}

// segment writes the ERR segment for e.
func (e ACKError) segment(m *Message) *Segment {
	d := m.delims
	esc := func(s string) string { return Escape(d, s) }
	num := func(n int) string {
		if n <= 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	comp := func(parts ...string) string { return joinTrim(parts, d.Component) }
	seq := e.Sequence
	if seq == 0 && e.Segment != "" {
		seq = 1
	}
	codeText := conditionText[e.Code]
	// ERR-1 (v2.4 and earlier, CM_ELD): segment^sequence^field^code&text&table.
	var codeCE string
	if e.Code != "" || e.Text != "" {
		if d.Subcomponent != 0 {
			codeCE = joinTrim([]string{esc(e.Code), esc(e.Text), tableIf(e.Code)}, d.Subcomponent)
		} else {
			codeCE = esc(e.Code)
		}
	}
	err1 := comp(esc(e.Segment), num(seq), num(e.Field), codeCE)
	// ERR-2 (ERL): segment^sequence^field^repetition^component.
	rep := ""
	if e.Field > 0 {
		rep = "1"
	}
	err2 := ""
	if e.Segment != "" {
		err2 = comp(esc(e.Segment), num(seq), num(e.Field), rep, num(e.Component))
	}
	// ERR-3 (CWE, table 0357).
	err3 := ""
	if e.Code != "" {
		err3 = comp(esc(e.Code), esc(codeText), "HL70357")
	}
	sev := e.Severity
	if sev == "" {
		sev = SeverityError
	}
	fields := []string{err1, err2, err3, esc(sev), "", "", "", esc(e.Text)}
	for len(fields) > 0 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1]
	}
	return &Segment{Name: "ERR", fields: fields, d: &m.delims}
}

func tableIf(code string) string {
	if code == "" {
		return ""
	}
	return "HL70357"
}

// joinTrim joins parts with sep, leaving out empty trailing parts.
func joinTrim(parts []string, sep byte) string {
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	var b []byte
	for i, p := range parts {
		if i > 0 {
			b = append(b, sep)
		}
		b = append(b, p...)
	}
	return string(b)
}

// ACK is what an acknowledgement says about the message it answers.
type ACK struct {
	Code      string     // MSA-1: AA, AE, AR, CA, CE or CR
	ControlID string     // MSA-2: MSH-10 of the message acknowledged
	Text      string     // MSA-3, when sent
	Errors    []ACKError // one per ERR segment, read from v2.5 or v2.4 fields
}

// Accepted reports whether the code is AA or CA.
func (a ACK) Accepted() bool { return a.Code == AA || a.Code == CA }

// ParseACK parses data and reads it as an acknowledgement (see ReadACK).
func ParseACK(data []byte) (ACK, error) {
	m, err := Parse(data)
	if err != nil {
		return ACK{}, err
	}
	return ReadACK(m)
}

// ReadACK reads the MSA and ERR segments of an acknowledgement. It is
// tolerant: it takes ERR fields from v2.5 and later (ERR-2, ERR-3, ERR-4,
// ERR-8) and falls back to v2.4's ERR-1, and any text it finds. It fails
// only when there is no MSA segment.
func ReadACK(m *Message) (ACK, error) {
	msa := m.Segment("MSA")
	if msa == nil {
		return ACK{}, fmt.Errorf("hl7: %s message %s has no MSA segment", m.Type(), m.ControlID())
	}
	a := ACK{Code: msa.Get("1"), ControlID: msa.Get("2"), Text: msa.Get("3")}
	for _, s := range m.Segments("ERR") {
		var e ACKError
		e.Segment = s.Get("2.1")
		e.Sequence, _ = strconv.Atoi(s.Get("2.2"))
		e.Field, _ = strconv.Atoi(s.Get("2.3"))
		e.Component, _ = strconv.Atoi(s.Get("2.5"))
		e.Code = s.Get("3.1")
		e.Severity = s.Get("4")
		e.Text = s.Get("8")
		if e.Segment == "" {
			e.Segment = s.Get("1.1")
			e.Sequence, _ = strconv.Atoi(s.Get("1.2"))
			e.Field, _ = strconv.Atoi(s.Get("1.3"))
		}
		if e.Code == "" {
			e.Code = s.Get("1.4.1")
		}
		for _, p := range []string{"1.4.2", "7", "3.2"} {
			if e.Text != "" {
				break
			}
			e.Text = s.Get(p)
		}
		if e.Text == "" {
			e.Text = a.Text
		}
		a.Errors = append(a.Errors, e)
	}
	return a, nil
}
