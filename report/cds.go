package report

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// CDS XML: the Commissioning Data Set interchanges a trust sends the
// Secondary Uses Service, in the CDS-XML schema version 6-2-2. An
// interchange holds either net change messages (each record sent with
// its CDS UNIQUE IDENTIFIER as an original or replacement, or a
// deletion of one sent before) or bulk replacement messages (every
// record of the period, replacing all the trust sent for it). The
// element mapping followed is in cds.md beside this file.

// cdsNamespace is the namespace of every CDS-XML element.
const cdsNamespace = "http://www.nhsia.nhs.uk/DataStandards/XMLschema/CDS/ns"

// cdsType is what differs between the CDS types an extract writes.
type cdsType struct {
	code      string // CDS TYPE CODE
	bulkGroup string // CDS BULK REPLACEMENT GROUP CODE
	element   string // the element of one record
	prefix    string // the letter the type's unique identifiers start with
}

var cdsTypes = map[string]cdsType{
	crs.CDSEmergencyCare: {code: "011", bulkGroup: "160", element: "EmergencyCare", prefix: "E"},
	crs.CDSOutpatient:    {code: "020", bulkGroup: "060", element: "Outpatient", prefix: "O"},
	crs.CDSAdmitted:      {code: "130", bulkGroup: "010", element: "FinishedGeneralEpisode", prefix: "A"},
}

// CDSOptions says which extract to write.
type CDSOptions struct {
	Type         string   // crs.CDSEmergencyCare, crs.CDSOutpatient or crs.CDSAdmitted
	From, To     crs.Date // the period, both days included
	Bulk         bool     // bulk replacement of the period; otherwise net change
	Provider     string   // the trust's ODS code: sender and provider
	Commissioner string   // ORGANISATION IDENTIFIER (CODE OF COMMISSIONER), also the prime recipient
	Site         string   // ORGANISATION SITE IDENTIFIER (OF TREATMENT); the provider with 01 when empty
	Receiver     string   // the interchange's receiver identity; SUS's when empty
	Now          time.Time
	Test         bool // mark the interchange as a test
	// Progress, when set, is told every thousand records written how
	// many are.
	Progress func(done int)
}

// CDSReject is a record an extract left out because it broke a rule of
// the NHS Data Dictionary: which record, which field and which rule.
type CDSReject struct {
	UniqueID string `json:"unique_id"`
	Record   string `json:"record"` // what the record is, e.g. "A&E attendance 2026-03-02 08:30, MRN R000123"
	Field    string `json:"field"`  // the CDS data element
	Rule     string `json:"rule"`
}

// CDSResult says what an extract wrote.
type CDSResult struct {
	Type      string      `json:"type"`
	Bulk      bool        `json:"bulk"`
	Records   int         `json:"records"`   // records of the period found
	Sent      int         `json:"sent"`      // messages written: originals and replacements
	Deleted   int         `json:"deleted"`   // deletions written
	Unchanged int         `json:"unchanged"` // records already sent as they are (net change)
	Rejected  []CDSReject `json:"rejected"`
	Control   string      `json:"control_reference"`
	Written   bool        `json:"written"` // false when there was nothing to send
}

// cdsRecord is one message's record: checked and written, or a deletion
// (no body).
type cdsRecord struct {
	uid      string
	activity crs.Date
	body     []byte // the record's element, written
}

// WriteCDS writes the CDS extract o asks for to w, reading the period's
// activity from src as actor a, and records what it sent. Records that
// break a rule are left out and listed in the result. When there is
// nothing to send nothing is written to w (an interchange holds at least
// one message) and Written is false. Each record is checked and written
// as it is read: the extract holds what was sent before and what it
// sends (identifiers and checksums), not the records.
func WriteCDS(ctx context.Context, src crs.CDSSource, a crs.Actor, o CDSOptions, w io.Writer) (*CDSResult, error) {
	t, ok := cdsTypes[o.Type]
	if !ok {
		return nil, crs.FieldErrorf("type", "CDS type %q is not ecds, outpatient or apc", o.Type)
	}
	if err := checkCDSOptions(&o); err != nil {
		return nil, err
	}
	sent, err := src.SentCDS(ctx, a, o.Type, o.From, o.To)
	if err != nil {
		return nil, err
	}
	ex := &extract{o: o, t: t, w: w, sent: sent, res: &CDSResult{Type: o.Type, Bulk: o.Bulk, Control: controlReference(o.Now)}}
	switch o.Type {
	case crs.CDSEmergencyCare:
		err = emergencyCareRecords(ctx, src, a, ex)
	case crs.CDSOutpatient:
		err = outpatientRecords(ctx, src, a, ex)
	case crs.CDSAdmitted:
		err = episodeRecords(ctx, src, a, ex)
	}
	if err != nil {
		return nil, err
	}
	res := ex.res
	// By net change, a deletion of each record sent before and gone
	// since: those of what was sent that no record of the period named.
	var deletes []crs.CDSSent
	if !o.Bulk {
		for uid, s := range ex.sent {
			if !s.Deleted {
				deletes = append(deletes, crs.CDSSent{UniqueID: uid, ActivityDate: s.ActivityDate, Checksum: "deleted", Deleted: true})
			}
		}
		sortSent(deletes)
	}
	for _, d := range deletes {
		ex.interchange().message(cdsRecord{uid: d.UniqueID, activity: d.ActivityDate}, true)
	}
	if ex.iw == nil {
		return res, nil
	}
	if err := ex.iw.close(); err != nil {
		return nil, err
	}
	res.Deleted, res.Written = len(deletes), true
	kind := "net change"
	if o.Bulk {
		kind = "bulk replacement"
	}
	summary := fmt.Sprintf("CDS %s %s %s to %s (%s): %d sent, %d deleted, %d rejected", t.code, kind, o.From, o.To, res.Control, res.Sent, res.Deleted, len(res.Rejected))
	if err := src.RecordCDSSent(ctx, a, o.Type, append(ex.record, deletes...), summary); err != nil {
		return nil, err
	}
	return res, nil
}

// extract is an extract being written, record by record as they are read.
type extract struct {
	o   CDSOptions
	t   cdsType
	w   io.Writer
	res *CDSResult
	// sent is what was sent before of the period and not yet met among
	// its records: what is left at the end was deleted since.
	sent    map[string]crs.CDSSent
	iw      *interchange  // nil until the first message
	record  []crs.CDSSent // what the extract sends, to record once written
	scratch bytes.Buffer  // where each record's element is written
}

// interchange returns the extract's interchange, writing its header the
// first time.
func (ex *extract) interchange() *interchange {
	if ex.iw == nil {
		ex.iw = newInterchange(ex.w, ex.t, ex.o, ex.res.Control)
	}
	return ex.iw
}

func checkCDSOptions(o *CDSOptions) error {
	var es crs.Errors
	if o.From.IsZero() || o.To.IsZero() || o.To.Before(o.From.Time) {
		es = append(es, crs.FieldErrorf("from", "give the period: --from on or before --to"))
	}
	if n := len(o.Provider); n < 3 || n > 5 {
		es = append(es, crs.FieldErrorf("provider", "the provider's ODS code %q is not 3 to 5 characters", o.Provider))
	}
	if n := len(o.Commissioner); n < 3 || n > 5 {
		es = append(es, crs.FieldErrorf("commissioner", "ORGANISATION IDENTIFIER (CODE OF COMMISSIONER) %q is not 3 to 5 characters", o.Commissioner))
	}
	if o.Site == "" {
		o.Site = o.Provider + "01"
	}
	if n := len(o.Site); n < 5 || n > 9 {
		es = append(es, crs.FieldErrorf("site", "ORGANISATION SITE IDENTIFIER (OF TREATMENT) %q is not 5 to 9 characters", o.Site))
	}
	if o.Receiver == "" {
		o.Receiver = "X26" // the Secondary Uses Service
	}
	if o.Now.IsZero() {
		return crs.Errorf(crs.EINTERNAL, "the extract has no clock")
	}
	return es.Err()
}

// controlReference numbers an interchange by its time of preparation.
func controlReference(now time.Time) string {
	return now.In(crs.London).Format("060102150405")
}

func sortSent(s []crs.CDSSent) {
	slices.SortFunc(s, func(a, b crs.CDSSent) int { return strings.Compare(a.UniqueID, b.UniqueID) })
}

// uniqueID is a record's CDS UNIQUE IDENTIFIER: the type's letter and
// the record's id without hyphens (33 characters of the 35 allowed).
func uniqueID(t cdsType, id string) string {
	return t.prefix + strings.ReplaceAll(id, "-", "")
}

// shortID is an identifier of at most 12 characters for the data
// elements that allow no more (EMERGENCY CARE ATTENDANCE IDENTIFIER,
// ATTENDANCE IDENTIFIER): 62 bits of the SHA-1 of the record's id in
// base 36, the same every time for the same record.
func shortID(id string) string {
	h := sha1.Sum([]byte(id))
	s := strings.ToUpper(strconv.FormatUint(binary.BigEndian.Uint64(h[:8])>>2, 36))
	if len(s) < 12 {
		s = strings.Repeat("0", 12-len(s)) + s
	}
	return s
}

// rejects collects the broken rules of one record.
type rejects struct {
	res      *CDSResult
	uid      string
	describe func() string // what the record is, worked out at its first broken rule
	record   string
	n        int
}

func (r *rejects) add(field, rule string, args ...any) {
	if r.n == 0 {
		r.record = r.describe()
	}
	r.res.Rejected = append(r.res.Rejected, CDSReject{UniqueID: r.uid, Record: r.record, Field: field, Rule: fmt.Sprintf(rule, args...)})
	r.n++
}

// ppi is the PATIENT PATHWAY IDENTIFIER as the schema takes it: 20
// characters, a shorter identifier right-aligned with leading zeros.
func ppi(id string) string {
	if len(id) >= 20 {
		return id
	}
	return strings.Repeat("0", 20-len(id)) + id
}

// checkPatient checks the patient's identity as every CDS type carries it.
func checkPatient(rj *rejects, p crs.CDSPatient, activity crs.Date) {
	if p.NHSNumber != "" && !nhsValid(p.NHSNumber) {
		rj.add("NHSNumber", "NHS NUMBER %s fails the Modulus 11 check", p.NHSNumber)
	}
	switch {
	case p.NHSNumberStatus == "01" && p.NHSNumber == "":
		rj.add("NHSNumberStatusIndicatorCode", "status 01 (verified) needs an NHS NUMBER")
	case p.NHSNumberStatus == "01" && p.Postcode == "":
		rj.add("PostcodeOfUsualAddress", "POSTCODE OF USUAL ADDRESS is required with a verified NHS NUMBER (use ZZ99 3VZ for no fixed abode)")
	case p.NHSNumberStatus < "01" || p.NHSNumberStatus > "08":
		rj.add("NHSNumberStatusIndicatorCode", "NHS NUMBER STATUS INDICATOR CODE %q is not 01 to 08", p.NHSNumberStatus)
	}
	if p.BirthDate.IsZero() {
		rj.add("PersonBirthDate", "PERSON BIRTH DATE is required to derive AGE AT CDS ACTIVITY DATE")
	} else if p.BirthDate.After(activity.Time) {
		rj.add("PersonBirthDate", "PERSON BIRTH DATE %s is after the CDS ACTIVITY DATE %s", p.BirthDate, activity)
	}
	if n := len(p.MRN); n == 0 || n > 10 {
		rj.add("LocalPatientIdentifier", "LOCAL PATIENT IDENTIFIER %q is not 1 to 10 characters", p.MRN)
	}
}

// ageAt is a patient's age in whole years on a day.
func ageAt(birth, day crs.Date) int {
	y := day.Year() - birth.Year()
	if day.Month() < birth.Month() || (day.Month() == birth.Month() && day.Day() < birth.Day()) {
		y--
	}
	return y
}

// checksum is a short digest of a record's element as written.
func checksum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:12])
}

// localDay and localTime write a moment as the schema's date and time in
// London.
func localDay(t time.Time) string  { return t.In(crs.London).Format("2006-01-02") }
func localTime(t time.Time) string { return t.In(crs.London).Format("15:04:05") }

func dayOf(t time.Time) crs.Date { return crs.LocalDate(t) }

// xmlw writes indented XML elements, leaving out empty leaves.
type xmlw struct {
	b     *bytes.Buffer
	depth int
	open  []string
}

// indentation is the spaces of the deepest indent written in one go.
const indentation = "                                                                "

func (x *xmlw) indent() {
	n := 2 * x.depth
	for n > len(indentation) {
		x.b.WriteString(indentation)
		n -= len(indentation)
	}
	x.b.WriteString(indentation[:n])
}

// start opens an element, with attributes as name, value pairs.
func (x *xmlw) start(name string, attrs ...string) {
	x.indent()
	x.b.WriteByte('<')
	x.b.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		x.b.WriteByte(' ')
		x.b.WriteString(attrs[i])
		x.b.WriteString(`="`)
		escape(x.b, attrs[i+1])
		x.b.WriteByte('"')
	}
	x.b.WriteString(">\n")
	x.open = append(x.open, name)
	x.depth++
}

// end closes the element opened last.
func (x *xmlw) end() {
	x.depth--
	name := x.open[len(x.open)-1]
	x.open = x.open[:len(x.open)-1]
	x.indent()
	x.b.WriteString("</")
	x.b.WriteString(name)
	x.b.WriteString(">\n")
}

// leaf writes an element holding text; an empty value writes nothing.
func (x *xmlw) leaf(name, value string) {
	if value == "" {
		return
	}
	x.indent()
	x.b.WriteByte('<')
	x.b.WriteString(name)
	x.b.WriteByte('>')
	escape(x.b, value)
	x.b.WriteString("</")
	x.b.WriteString(name)
	x.b.WriteString(">\n")
}

func escape(b *bytes.Buffer, s string) {
	if !needsEscape(s) {
		b.WriteString(s)
		return
	}
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
}

// needsEscape reports whether s holds a character escape writes as an
// entity.
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '>', '&', '"':
			return true
		}
	}
	return false
}

// interchange writes one CDS-XML interchange: header, messages, trailer.
type interchange struct {
	w       io.Writer
	x       xmlw
	t       cdsType
	o       CDSOptions
	control string
	n       int
	err     error
	// the dates and time every message repeats, written once
	day, time, from, to string
}

func newInterchange(w io.Writer, t cdsType, o CDSOptions, control string) *interchange {
	iw := &interchange{w: w, x: xmlw{b: &bytes.Buffer{}}, t: t, o: o, control: control,
		day: localDay(o.Now), time: localTime(o.Now), from: o.From.String(), to: o.To.String()}
	iw.x.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	iw.x.start("CDS-XMLInterchange", "xmlns", cdsNamespace, "SchemaVersion", "6-2-2", "SchemaDate", "2012-05-11")
	iw.x.start("CDSInterchangeHeader")
	iw.x.leaf("CDSInterchangeSenderIdentity", o.Provider)
	iw.x.leaf("CDSInterchangeReceiverIdentity", o.Receiver)
	iw.x.leaf("CDSInterchangeControlReference", control)
	iw.x.leaf("CDSInterchangeDateOfPreparation", localDay(o.Now))
	iw.x.leaf("CDSInterchangeTimeOfPreparation", localTime(o.Now))
	iw.x.leaf("CDSInterchangeApplicationReference", "NHSCDS")
	if o.Test {
		iw.x.leaf("CDSInterchangeTestIndicator", "Y")
	}
	iw.x.end()
	return iw
}

// message writes one record (or a deletion of one) in its message.
func (iw *interchange) message(r cdsRecord, deletion bool) {
	iw.n++
	ref := strconv.Itoa(iw.n)
	x := &iw.x
	if iw.o.Bulk {
		x.start("CDSBulkGroup-"+iw.t.bulkGroup+"-Message", "CDSProtocolIdentifierCode", "020", "CDSBulkReplacementGroupCode", iw.t.bulkGroup, "CDSTypeCode", iw.t.code)
	} else {
		x.start("CDSNetChange-All-MessageTypes", "CDSProtocolIdentifierCode", "010", "CDSTypeCode", iw.t.code)
	}
	x.start("CDSMessageHeader")
	x.leaf("CDSMessageType", "NHSCDS")
	x.leaf("CDSMessageVersionNumber", "CDS062")
	x.leaf("CDSMessageReferenceNumber", ref)
	x.end()
	if iw.o.Bulk {
		x.start("CDSTransactionHeader_BulkUpdate")
		x.leaf("CDSTypeCode", iw.t.code)
		x.leaf("CDSProtocolIdentifierCode", "020")
		x.leaf("CDSUniqueIdentifier", r.uid)
		x.leaf("CDSBulkReplacementGroupCode", iw.t.bulkGroup)
		x.leaf("CDSExtractDate", iw.day)
		x.leaf("CDSExtractTime", iw.time)
		x.leaf("CDSReportPeriodStartDate", iw.from)
		x.leaf("CDSReportPeriodEndDate", iw.to)
	} else {
		x.start("CDSTransactionHeader_NetChange")
		x.leaf("CDSTypeCode", iw.t.code)
		x.leaf("CDSProtocolIdentifierCode", "010")
		x.leaf("CDSUniqueIdentifier", r.uid)
		if deletion {
			x.leaf("CDSUpdateType", "1")
		} else {
			x.leaf("CDSUpdateType", "9")
		}
		x.leaf("CDSApplicableDate", iw.day)
		x.leaf("CDSApplicableTime", iw.time)
	}
	x.leaf("CDSActivityDate", r.activity.String())
	x.leaf("OrganisationCode_CDSSenderIdentity", iw.o.Provider)
	x.leaf("OrganisationCode_CDSPrimeRecipientIdentity", iw.o.Commissioner)
	x.end()
	if deletion {
		x.indent()
		x.b.WriteString("<DeleteTransaction/>\n")
	} else {
		for body := r.body; len(body) > 0; {
			n := bytes.IndexByte(body, '\n') + 1
			if n == 0 {
				n = len(body)
			}
			x.indent()
			x.b.Write(body[:n])
			body = body[n:]
		}
	}
	x.start("CDSMessageTrailer")
	x.leaf("CDSMessageReferenceNumber", ref)
	x.end()
	x.end()
	iw.flush(false)
}

func (iw *interchange) flush(force bool) {
	if iw.err != nil || (!force && iw.x.b.Len() < 64<<10) {
		return
	}
	_, iw.err = iw.w.Write(iw.x.b.Bytes())
	iw.x.b.Reset()
}

// close writes the trailer and what is buffered.
func (iw *interchange) close() error {
	iw.x.start("CDSInterchangeTrailer")
	iw.x.leaf("CDSInterchangeControlReference", iw.control)
	iw.x.leaf("CDSInterchangeControlCount", strconv.Itoa(iw.n))
	iw.x.end()
	iw.x.end()
	iw.flush(true)
	return iw.err
}
