package interfaces

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
)

// The MDM triggers by what they do to a document; the even ones carry
// the content, the odd ones notify without it.
var documentTriggers = map[string]string{
	"T01": "original", "T02": "original",
	"T03": "status", "T04": "status",
	"T05": "addendum", "T06": "addendum",
	"T07": "edit", "T08": "edit",
	"T09": "replace", "T10": "replace",
	"T11": "cancel",
}

// applyDocument files MDM documents to the patient PID-3 names: T02 an
// original document, T04 a change of its status (authenticated, say),
// T06 an addendum (a document of its own, whose parent is TXA-13), T08
// an edit and T10 a replacement of it, each a new version that
// supersedes the one before (kept as history), and T11 its cancellation.
// The TXA segment says what the document is; its content is the text of
// the OBX segments (TX, FT, ST), a file in them (ED, such as a
// base64-encoded PDF) or a reference to it in its own system (RP, HD).
// The notifications without content (T01, T03, T05, T07, T09) file the
// document as a reference to the sender's system, or keep the content of
// the version they replace.
func applyDocument(trig string) func(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	kind := documentTriggers[trig]
	withContent := trig[len(trig)-1]%2 == 0 && kind != "cancel"
	return func(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
		m := in.msg
		p, out, txa, err := patientWith(tx, in, "TXA", "a document message needs TXA to say which document it is")
		if err != nil {
			return outcome{}, err
		}
		number := firstOf(strings.TrimSpace(txa.Get("12.1")), strings.TrimSpace(txa.Get("12.3")))
		parent := firstOf(strings.TrimSpace(txa.Get("13.1")), strings.TrimSpace(txa.Get("13.3")))
		if number == "" && (kind == "original" || kind == "addendum" || parent == "") {
			return outcome{}, fieldErr("TXA", 12, hl7.CodeRequiredFieldMissing, "TXA-12 unique document number is missing")
		}
		reason := fmt.Sprintf("%s^%s %s from %s", m.Type(), trig, m.ControlID(), in.iface.Name)

		if kind == "cancel" {
			key := firstOf(number, parent)
			d, err := tx.FindDocumentByNumber(p.ID, key)
			if crs.ErrorCode(err) == crs.ENOTFOUND {
				return outcome{}, fieldErr("TXA", 12, hl7.CodeUnknownKey, "no document numbered %s is filed for the patient: there is nothing to cancel", key)
			} else if err != nil {
				return outcome{}, err
			}
			if d.State == crs.DocumentCancelled {
				out.warn("TXA", 12, "document %s is already cancelled; nothing changed", key)
				return out, nil
			}
			return out, tx.CancelDocument(d.ID, "cancelled by "+reason)
		}

		d := &crs.Document{PatientID: p.ID, MessageID: in.id, Number: number, ParentNumber: parent, TypeCode: txa.Get("2.1"), TypeName: txa.Get("2.2"),
			Status: strings.ToUpper(txa.Get("17")), Availability: strings.ToUpper(txa.Get("19")), Author: firstOf(personName(txa, 9), personName(txa, 5)),
			Authenticator: firstOf(personName(txa, 22), personName(txa, 10))}
		if d.Number == "" {
			d.Number = parent
		}
		for _, f := range []int{4, 6} {
			v := txa.Get(fmt.Sprintf("%d.1", f))
			if v == "" {
				continue
			}
			t, err := hl7.ParseTimeIn(v, e.Zone)
			if err != nil {
				return outcome{}, fieldErr("TXA", f, hl7.CodeDataType, "TXA-%d %q is not an HL7 date/time", f, v)
			}
			if d.At.IsZero() {
				d.At = t.UTC()
			}
		}
		if err := readContent(m, d, &out); err != nil {
			return outcome{}, err
		}

		// Which document this one replaces: an original or an addendum is
		// a document of its own, unless its number is filed already (a
		// sender that resends to update); a status change, an edit and a
		// replacement replace the document TXA-13 names, or TXA-12.
		key := number
		if (kind == "status" || kind == "edit" || kind == "replace") && parent != "" {
			key = parent
		}
		prev, err := tx.FindDocumentByNumber(p.ID, key)
		switch {
		case crs.ErrorCode(err) == crs.ENOTFOUND:
			prev = nil
			if key != number || (kind != "original" && kind != "addendum") {
				field := 12
				if key != number {
					field = 13
				}
				out.warn("TXA", field, "no document numbered %s is filed for the patient; this one is filed as a new document", key)
			}
		case err != nil:
			return outcome{}, err
		case prev.State == crs.DocumentCancelled:
			return outcome{}, fieldErr("TXA", 12, hl7.CodeUnsupportedProcessing, "document %s is cancelled; a cancelled document is not replaced: send it with a new number", key)
		case kind == "original" || kind == "addendum":
			out.warn("TXA", 12, "document %s is already filed; this version replaces it", key)
		}
		switch {
		case prev != nil:
			// A new version without content keeps the content it replaces.
			d.Replaces = prev.ID
			d.Inherit(prev)
		case d.ContentType == "" && withContent:
			return outcome{}, fieldErr("OBX", 5, hl7.CodeRequiredFieldMissing, "the document has no content: OBX-5 is missing")
		case d.ContentType == "":
			d.ContentType = crs.ContentReference
			d.Reference = "held by " + firstOf(m.SendingApplication(), in.iface.Name) + " as document " + d.Number
			if f := strings.TrimSpace(txa.Get("16.1")); f != "" {
				d.Reference += ", file " + f
			}
		}
		if d.ContentType == "" && withContent && kind != "status" {
			return outcome{}, fieldErr("OBX", 5, hl7.CodeRequiredFieldMissing, "the document has no content: OBX-5 is missing")
		}
		if d.At.IsZero() {
			d.At = tx.Now()
		}
		if err := tx.InsertDocument(d); err != nil {
			if crs.ErrorCode(err) == crs.EINVALID {
				if _, ok := crs.FieldErrors(err)["content"]; ok {
					return outcome{}, fieldErr("OBX", 5, hl7.CodeRequiredFieldMissing, "OBX-5: %s", crs.ErrorMessage(err))
				}
				return outcome{}, fieldErr("TXA", 12, hl7.CodeRequiredFieldMissing, "TXA-12: %s", crs.ErrorMessage(err))
			}
			return outcome{}, err
		}
		return out, nil
	}
}

// readContent reads a document's content from the OBX segments: text
// (one line per OBX and per repetition), a file (ED, possibly split over
// several OBX) or a reference (RP, or HD, an identifier such as a DICOM
// study's). A file that cannot be decoded is an error at its OBX-5; an
// ED without data is left out, with a warning.
func readContent(m *hl7.Message, d *crs.Document, out *outcome) error {
	var lines []string
	var data strings.Builder
	edAt, n := 0, 0
	var typ, sub, enc string
	for _, s := range m.AllSegments() {
		if s.Name != "OBX" {
			continue
		}
		n++
		if d.Title == "" {
			d.Title = strings.TrimSpace(s.Get("3.2"))
		}
		switch vt := strings.ToUpper(s.Get("2")); vt {
		case "ED":
			if strings.TrimSpace(s.Get("5.5")) == "" {
				out.warn("OBX", 5, "OBX %d holds an ED value without data; it is left out", n)
				continue
			}
			if edAt == 0 {
				edAt = n
				typ, sub, enc = s.Get("5.2"), s.Get("5.3"), strings.ToUpper(s.Get("5.4"))
			}
			data.WriteString(s.Get("5.5"))
		case "RP", "HD":
			if strings.TrimSpace(s.Get("5.1")) == "" {
				continue
			}
			d.ContentType, d.Reference = crs.ContentReference, strings.TrimSpace(s.Get("5.1"))
			if app := s.Get("5.2.1"); app != "" && vt == "RP" {
				d.Reference += " (" + app + ")"
			}
		default:
			lines = append(lines, obxValue(m, s, vt))
		}
	}
	switch {
	case edAt > 0:
		b, err := decodeED(enc, data.String())
		if err != nil {
			return &ackErr{hl7.ACKError{Segment: "OBX", Sequence: edAt, Field: 5, Code: hl7.CodeDataType, Severity: hl7.SeverityError,
				Text: fmt.Sprintf("OBX-5 document data in %s encoding cannot be decoded: %v", firstOf(enc, "no named"), err)}}
		}
		if len(b) == 0 {
			return &ackErr{hl7.ACKError{Segment: "OBX", Sequence: edAt, Field: 5, Code: hl7.CodeRequiredFieldMissing, Severity: hl7.SeverityError,
				Text: "OBX-5 holds no document data (ED.5 is empty)"}}
		}
		d.ContentType = mediaType(typ, sub, b)
		if d.ContentType == crs.ContentText {
			d.Text = string(b)
		} else {
			d.Content = b
		}
	case d.ContentType == crs.ContentReference:
	case strings.TrimSpace(strings.Join(lines, "")) != "":
		d.ContentType, d.Text = crs.ContentText, strings.Join(lines, "\n")
	}
	return nil
}

// decodeED decodes the data of an ED value by its encoding (ED.4):
// Base64 (line breaks and missing padding forgiven), Hex, or A (text as
// it stands).
func decodeED(enc, data string) ([]byte, error) {
	switch enc {
	case "BASE64", "B64":
		clean := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\r' || r == '\n' || r == '\t' {
				return -1
			}
			return r
		}, data)
		b, err := base64.StdEncoding.DecodeString(clean)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "="))
		}
		if err != nil {
			return nil, fmt.Errorf("it is not base64")
		}
		return b, nil
	case "HEX":
		b, err := hex.DecodeString(data)
		if err != nil {
			return nil, fmt.Errorf("it is not hexadecimal")
		}
		return b, nil
	case "A", "":
		return []byte(data), nil
	}
	return nil, fmt.Errorf("the encoding is not Base64, Hex or A")
}

// mediaType names the media type of a file sent as ED, from its type and
// subtype (application^pdf, AP^PDF, application/pdf) or, failing those,
// its first bytes.
func mediaType(typ, sub string, b []byte) string {
	t, s := strings.ToLower(strings.TrimSpace(typ)), strings.ToLower(strings.TrimSpace(sub))
	switch {
	case strings.HasPrefix(string(b), "%PDF-"), s == "pdf", t == "application/pdf":
		return crs.ContentPDF
	case t == "text" || s == "plain" || t == "text/plain":
		return crs.ContentText
	case strings.Contains(t, "/"):
		return t
	case s == "rtf":
		return "application/rtf"
	case s == "jpeg" || s == "jpg":
		return "image/jpeg"
	case s == "png":
		return "image/png"
	case s == "tiff" || s == "tif":
		return "image/tiff"
	}
	return "application/octet-stream"
}
