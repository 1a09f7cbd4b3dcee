package golive

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opencrs/crs/nhs"
)

// The files of a legacy PAS extract ("Oakwood PAS 7.3" migration extract),
// in the order the importer reads them.
const (
	FileExtract     = "extract.csv"
	FileGPPractices = "gp_practices.csv"
	FilePatients    = "patients.csv"
	FileWards       = "wards.csv"
	FileClinics     = "clinics.csv"
	FileSessions    = "clinic_sessions.csv"
	FileReferrals   = "referrals.csv"
	FilePathways    = "rtt_pathways.csv"
	FileEvents      = "rtt_events.csv"
	FileAppts       = "appointments.csv"
	FileWaitingList = "waiting_list.csv"
	FileInpatients  = "inpatients.csv"
)

// Files lists the twelve files of an extract in the order of its
// specification, which is the order of the report.
var Files = []string{FileExtract, FileGPPractices, FilePatients, FileWards, FileClinics, FileSessions,
	FileReferrals, FilePathways, FileEvents, FileAppts, FileWaitingList, FileInpatients}

// kind is the type of a column of the extract, each with the reason a
// value not of the type is rejected with.
type kind uint8

const (
	kID kind = iota
	kText
	kDate
	kDatetime
	kTime
	kInt
	kCode
	kNHS
	kPostcode
	kPhone
	kODSTrust
	kODSSite
	kODSGP
	kConsultant
	kUBRN
	kOPCS4
	kBed
)

// column is one column of a file: its name, type and whether it is
// required.
type column struct {
	name   string
	kind   kind
	req    bool
	n      int // text: most characters; integer: least value
	hi     int // integer: greatest value
	codes  map[string]bool
	global bool // codes: the treatment function list
}

func id(name string, req bool) column { return column{name: name, kind: kID, req: req} }
func text(name string, n int, req bool) column {
	return column{name: name, kind: kText, n: n, req: req}
}
func of(name string, k kind, req bool) column { return column{name: name, kind: k, req: req} }
func integer(name string, lo, hi int) column {
	return column{name: name, kind: kInt, n: lo, hi: hi, req: true}
}
func code(name string, req bool, values ...string) column {
	m := make(map[string]bool, len(values))
	for _, v := range values {
		m[v] = true
	}
	return column{name: name, kind: kCode, req: req, codes: m}
}

var tfcCodes = func() []string {
	var s []string
	for _, c := range nhs.TreatmentFunctions {
		s = append(s, c.Code)
	}
	return s
}()

var rttCodes = []string{"10", "11", "12", "20", "21", "30", "31", "32", "33", "34", "35", "36", "90", "91", "92", "98", "99"}

// layouts are the columns of each file, as the extract's header must name
// them.
var layouts = map[string][]column{
	FileExtract: {of("trust_ods_code", kODSTrust, true), of("extract_datetime", kDatetime, true),
		of("census_date", kDate, true), text("legacy_system_name", 100, true)},
	FileGPPractices: {of("code", kODSGP, true), text("name", 100, true), of("postcode", kPostcode, false)},
	FilePatients: {id("legacy_patient_id", true), of("nhs_number", kNHS, false),
		code("nhs_number_status", true, "01", "02", "03", "04", "05", "06", "07", "08"),
		id("hospital_number", true), text("family_name", 35, true), text("given_names", 35, true),
		text("title", 35, false), of("date_of_birth", kDate, true), of("date_of_death", kDate, false),
		code("gender", true, "1", "2", "9", "X"),
		code("ethnic_category", true, "A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S", "Z", "99"),
		text("address_line1", 35, false), text("address_line2", 35, false), text("address_line3", 35, false),
		of("postcode", kPostcode, false), of("phone", kPhone, false), of("gp_practice_code", kODSGP, false),
		id("merged_into_legacy_patient_id", false)},
	FileWards: {id("ward_code", true), text("name", 100, true), of("site_code", kODSSite, true),
		integer("beds", 1, 99), code("sector", true, "general_acute", "maternity", "mental_illness", "learning_disability")},
	FileClinics: {id("clinic_code", true), text("name", 100, true), code("treatment_function_code", true, tfcCodes...),
		of("consultant_code", kConsultant, true), of("site_code", kODSSite, true)},
	FileSessions: {id("clinic_code", true), code("weekday", true, "1", "2", "3", "4", "5", "6", "7"),
		of("start_time", kTime, true), of("end_time", kTime, true), integer("slot_minutes", 5, 120),
		code("slot_type", true, "new", "follow-up", "urgent"), of("valid_from", kDate, true), of("valid_to", kDate, false)},
	FileReferrals: {id("referral_id", true), id("legacy_patient_id", true), of("received_date", kDate, true),
		code("source_of_referral", true, "01", "02", "03", "04", "05", "06", "07", "10", "11", "12", "13", "14", "15", "16", "17", "92", "93", "97"),
		code("priority", true, "1", "2", "3"), code("treatment_function_code", true, tfcCodes...),
		of("ubrn", kUBRN, false), code("consultant_led", true, "Y", "N")},
	FilePathways: {id("ppid", true), id("referral_id", true), of("clock_start_date", kDate, true),
		code("status", true, "open", "closed"), of("clock_stop_date", kDate, false), code("rtt_status_code", true, rttCodes...)},
	FileEvents: {id("ppid", true), of("event_date", kDate, true), code("rtt_status_code", true, rttCodes...),
		code("event_type", true, "referral", "attendance", "dna", "cancellation_patient", "cancellation_provider",
			"decision_to_admit", "admission", "discharge_to_gp", "active_monitoring", "decision_not_to_treat",
			"declined", "died", "treatment")},
	FileAppts: {id("appointment_id", true), id("legacy_patient_id", true), id("referral_id", true), id("clinic_code", true),
		of("start", kDatetime, true), integer("duration_minutes", 5, 480), code("type", true, "new", "follow-up"),
		code("status", true, "booked", "attended", "dna", "cancelled_patient", "cancelled_provider"),
		code("outcome_rtt_status", false, rttCodes...)},
	FileWaitingList: {id("wl_entry_id", true), id("ppid", true), id("legacy_patient_id", true),
		of("decision_to_admit_date", kDate, true), code("intended_management", true, "1", "2", "3", "4", "5", "8", "9"),
		of("intended_procedure_opcs4", kOPCS4, true), code("priority", true, "P1", "P2", "P3", "P4"),
		of("tci_date", kDate, false), code("status", true, "waiting", "suspended", "removed")},
	FileInpatients: {id("spell_id", true), id("legacy_patient_id", true), of("admitted", kDatetime, true),
		code("admission_method", true, "11", "12", "13", "21", "22", "23", "24", "25", "28", "2A", "2B", "2C", "2D", "31", "32", "81", "82", "83", "98", "99"),
		id("ward_code", true), of("bed_code", kBed, true), of("consultant_code", kConsultant, true)},
}

// keyed says which files have a key column (their first).
var keyed = map[string]bool{FileGPPractices: true, FilePatients: true, FileWards: true, FileClinics: true,
	FileReferrals: true, FilePathways: true, FileAppts: true, FileWaitingList: true, FileInpatients: true}

// Header is the header line a file of the extract must have.
func Header(file string) string {
	cols := layouts[file]
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return strings.Join(names, ",")
}

// check returns the reason a value is rejected for in the column, or "".
func (c column) check(v string) string {
	if v == "" {
		if c.req {
			return ReasonMissingRequired
		}
		return ""
	}
	switch c.kind {
	case kID:
		if !isID(v) {
			return ReasonBadFormat
		}
	case kText:
		if !isText(v, c.n) {
			return ReasonBadFormat
		}
	case kDate:
		if !isDate(v) {
			return ReasonBadDate
		}
	case kDatetime:
		if len(v) != 16 || v[10] != 'T' || !isDate(v[:10]) || !isTime(v[11:]) {
			return ReasonBadDatetime
		}
	case kTime:
		if !isTime(v) {
			return ReasonBadFormat
		}
	case kInt:
		if !digits(v) || v[0] == '0' || len(v) > 6 {
			return ReasonBadFormat
		}
		if n, _ := strconv.Atoi(v); n < c.n || n > c.hi {
			return ReasonBadFormat
		}
	case kCode:
		if !c.codes[v] {
			return ReasonBadCode
		}
	case kNHS:
		if len(v) != 10 || !digits(v) {
			return ReasonBadFormat
		}
		if d, ok := nhs.CheckDigit(v[:9]); !ok || int(v[9]-'0') != d {
			return ReasonNHSCheckDigit
		}
	case kPostcode:
		if !isPostcode(v) {
			return ReasonBadFormat
		}
	case kPhone:
		if !isPhone(v) {
			return ReasonBadFormat
		}
	case kODSTrust:
		if !alnum(v, 3) {
			return ReasonBadFormat
		}
	case kODSSite:
		if !alnum(v, 5) {
			return ReasonBadFormat
		}
	case kODSGP:
		if len(v) != 6 || !upper(v[0]) || !digits(v[1:]) {
			return ReasonBadFormat
		}
	case kConsultant:
		if len(v) != 8 || v[0] != 'C' || !digits(v[1:]) {
			return ReasonBadFormat
		}
	case kUBRN:
		if len(v) != 12 || !digits(v) {
			return ReasonBadFormat
		}
	case kOPCS4:
		if len(v) != 4 || !upper(v[0]) || !digits(v[1:]) {
			return ReasonBadFormat
		}
	case kBed:
		if len(v) != 3 || v[0] != 'B' || !digits(v[1:]) {
			return ReasonBadFormat
		}
	}
	return ""
}

func upper(c byte) bool { return c >= 'A' && c <= 'Z' }
func digit(c byte) bool { return c >= '0' && c <= '9' }

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !digit(s[i]) {
			return false
		}
	}
	return true
}

func alnum(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !upper(s[i]) && !digit(s[i]) {
			return false
		}
	}
	return true
}

func isID(s string) bool {
	if len(s) < 1 || len(s) > 20 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !upper(c) && !digit(c) && c != '-' {
			return false
		}
	}
	return true
}

func isText(s string, n int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > n {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s[:4]) || !digits(s[5:7]) || !digits(s[8:]) {
		return false
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:])
	if y < 1900 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func isTime(s string) bool {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return false
	}
	return s[:2] <= "23" && s[3:] <= "59"
}

// minutes is a valid HH:MM as minutes after midnight.
func minutes(s string) int {
	return int(s[0]-'0')*600 + int(s[1]-'0')*60 + int(s[3]-'0')*10 + int(s[4]-'0')
}

func isPostcode(s string) bool {
	sp := strings.IndexByte(s, ' ')
	if sp < 0 || len(s)-sp != 4 {
		return false
	}
	out, in := s[:sp], s[sp+1:]
	if !digit(in[0]) || !upper(in[1]) || !upper(in[2]) {
		return false
	}
	i := 0
	for i < len(out) && i < 2 && upper(out[i]) {
		i++
	}
	if i == 0 || i >= len(out) || !digit(out[i]) {
		return false
	}
	rest := out[i+1:]
	return len(rest) == 0 || len(rest) == 1 && (upper(rest[0]) || digit(rest[0]))
}

func isPhone(s string) bool {
	if len(s) > 20 {
		return false
	}
	if s[0] == '+' {
		s = s[1:]
	}
	if s == "" || !digit(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !digit(s[i]) && s[i] != ' ' {
			return false
		}
	}
	return true
}
