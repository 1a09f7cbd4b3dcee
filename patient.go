package crs

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/opencrs/crs/nhs"
)

// Patient is a person in the trust's patient master index (PMI): who they
// are, how to reach them and who their GP is. The clinical record and the
// patient's journey hang off the patient's ID.
type Patient struct {
	ID    string
	OrgID string

	MRN             string           // hospital number, allocated by the trust, never reused
	NHSNumber       string           // 10 digits, no spaces; "" when not known
	NHSNumberStatus nhs.NumberStatus // 01-08: how far the number is traced

	Title      string
	GivenName  string
	OtherNames string // middle names
	FamilyName string
	BirthDate  Date
	Gender     string // PERSON STATED GENDER CODE: 1, 2, 9 or X

	Address  Address
	Phone    string
	Mobile   string
	Email    string
	Contacts []Contact // next of kin and other contacts

	GPCode         string // registered GP's national code
	GPName         string
	GPPracticeCode string // ODS code of the registered GP practice
	GPPracticeName string

	EthnicCategory string     // ETHNIC CATEGORY code
	DeathTime      *time.Time // when the patient died, if known to have
	MergedInto     string     // the major record this one was merged into, if any
	// Inactive says the record is not in active use, as another system
	// may mark it over the FHIR API (Patient.active false): kept, shown
	// on the banner, and served; a merged record is not in use either
	// (Active).
	Inactive bool

	Version   int // incremented on every change; guards against lost updates
	CreatedAt time.Time
	UpdatedAt time.Time

	// PartsUnknown lets a command hold the record with its family name,
	// given name or date of birth not known, as another system may
	// register or change a patient over the FHIR API (an unidentified
	// patient in A&E, say); a clerk's form and an HL7 registration still
	// need all three. It is not stored: the data quality report lists
	// the records that lack them (DQNoNameOrBirthDate).
	PartsUnknown bool `json:"-"`
	// KeptChanged, set by a command, says that what is kept beside the
	// record (by the FHIR API: other systems' identifiers and names,
	// extensions, what the PMI does not hold) changed with it: the
	// record takes a new version even when none of its own fields did,
	// so that its version and ETag change with what it serves. Not
	// stored.
	KeptChanged bool `json:"-"`
}

// Address is a postal address in the UK form: up to five lines and a
// postcode.
type Address struct {
	Lines    []string
	Postcode string
}

// String writes the address on one line.
func (a Address) String() string {
	parts := make([]string, 0, len(a.Lines)+1)
	for _, l := range a.Lines {
		if strings.TrimSpace(l) != "" {
			parts = append(parts, l)
		}
	}
	if a.Postcode != "" {
		parts = append(parts, a.Postcode)
	}
	return strings.Join(parts, ", ")
}

// Contact is a person to contact about the patient, such as next of kin.
type Contact struct {
	Name         string
	Relationship string
	Phone        string
}

// DisplayName is the name as the NHS shows it on a banner: FAMILY, Given
// (Title).
func (p *Patient) DisplayName() string {
	s := strings.ToUpper(p.FamilyName)
	switch {
	case s == "" && p.GivenName == "":
		s = "(name not known)"
	case s == "":
		s = p.GivenName
	case p.GivenName != "":
		s += ", " + p.GivenName
	}
	if p.Title != "" {
		s += " (" + p.Title + ")"
	}
	return s
}

// GenderName is the description of the gender code.
func (p *Patient) GenderName() string {
	n, _ := nhs.Lookup(nhs.Genders, p.Gender)
	return n
}

// Deceased reports whether the patient is recorded as having died.
func (p *Patient) Deceased() bool { return p.DeathTime != nil }

// Merged reports whether this record was merged into another.
func (p *Patient) Merged() bool { return p.MergedInto != "" }

// Active reports whether the record is in active use: neither merged
// into another nor marked inactive.
func (p *Patient) Active() bool { return !p.Merged() && !p.Inactive }

var postcodePattern = regexp.MustCompile(`^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$`)

// NormalizePostcode writes a UK postcode in capitals with one space before
// the inward code ("e16an" becomes "E1 6AN"). Other input is trimmed and
// upper-cased.
func NormalizePostcode(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(s) >= 5 && len(s) <= 7 {
		return s[:len(s)-3] + " " + s[len(s)-3:]
	}
	return s
}

// ValidPostcode reports whether s is shaped like a UK postcode.
func ValidPostcode(s string) bool {
	if ok, ascii := validASCIIPostcode(s); ascii {
		return ok
	}
	return postcodePattern.MatchString(NormalizePostcode(s))
}

// validASCIIPostcode is ValidPostcode for text of ASCII letters, digits
// and spaces without a copy or a regular expression, since every patient
// registered or imported is checked: it says whether s is valid, and
// ascii false when s holds anything else (then it says nothing).
func validASCIIPostcode(s string) (ok, ascii bool) {
	var b [7]byte // the postcode without spaces, in capitals
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		default:
			return false, c < 0x80 // other ASCII is never valid
		}
		if n == len(b) {
			return false, asciiOnly(s[i:])
		}
		b[n] = c
		n++
	}
	if n < 5 {
		return false, true
	}
	// Outward code: one or two letters, a digit, maybe a letter or digit;
	// inward code: a digit and two letters.
	letter := func(c byte) bool { return c >= 'A' && c <= 'Z' }
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	out, in := b[:n-3], b[n-3:n]
	if !digit(in[0]) || !letter(in[1]) || !letter(in[2]) || !letter(out[0]) {
		return false, true
	}
	rest := out[1:]
	if len(rest) > 0 && letter(rest[0]) {
		rest = rest[1:]
	}
	if len(rest) == 0 || !digit(rest[0]) {
		return false, true
	}
	return len(rest) == 1 || len(rest) == 2 && (letter(rest[1]) || digit(rest[1])), true
}

// asciiOnly reports whether s holds only ASCII.
func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Normalize tidies the patient's fields as a clerk would expect: spaces
// trimmed, NHS number without spaces, postcode in capitals.
func (p *Patient) Normalize() {
	p.Title = strings.TrimSpace(p.Title)
	p.GivenName = strings.TrimSpace(p.GivenName)
	p.OtherNames = strings.TrimSpace(p.OtherNames)
	p.FamilyName = strings.TrimSpace(p.FamilyName)
	if n, err := nhs.ParseNumber(p.NHSNumber); err == nil {
		p.NHSNumber = n
	} else {
		p.NHSNumber = strings.TrimSpace(p.NHSNumber)
	}
	if p.Address.Postcode != "" {
		p.Address.Postcode = NormalizePostcode(p.Address.Postcode)
	}
	lines := p.Address.Lines[:0]
	for _, l := range p.Address.Lines {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	p.Address.Lines = lines
	p.GPPracticeCode = strings.ToUpper(strings.TrimSpace(p.GPPracticeCode))
	if p.Gender == "" {
		p.Gender = "X"
	}
	if p.NHSNumberStatus == "" {
		if p.NHSNumber != "" {
			p.NHSNumberStatus = nhs.NumberNotTraced
		} else {
			p.NHSNumberStatus = nhs.NumberTraceRequired
		}
	}
}

// Validate checks the patient against the PMI's rules, returning every
// problem found, each naming its field.
func (p *Patient) Validate(now time.Time) error {
	var es Errors
	if p.FamilyName == "" && !p.PartsUnknown {
		es = append(es, FieldErrorf("family_name", "enter the patient's family name"))
	}
	if p.GivenName == "" && !p.PartsUnknown {
		es = append(es, FieldErrorf("given_name", "enter the patient's given name"))
	}
	if p.BirthDate.IsZero() {
		if !p.PartsUnknown {
			es = append(es, FieldErrorf("birth_date", "enter the patient's date of birth"))
		}
	} else if p.BirthDate.After(LocalDate(now).Time) { // the UK's date, as Referral.Validate
		es = append(es, FieldErrorf("birth_date", "date of birth %s is in the future", p.BirthDate.Display()))
	} else if p.BirthDate.Year() < now.Year()-130 {
		es = append(es, FieldErrorf("birth_date", "date of birth %s is more than 130 years ago", p.BirthDate.Display()))
	}
	if _, ok := nhs.Lookup(nhs.Genders, p.Gender); !ok {
		es = append(es, FieldErrorf("gender", "gender %q is not one of 1 (male), 2 (female), 9 (indeterminate), X (not known)", p.Gender))
	}
	if p.NHSNumber != "" {
		if _, err := nhs.ParseNumber(p.NHSNumber); err != nil {
			es = append(es, FieldErrorf("nhs_number", "NHS number %s %s", p.NHSNumber, err))
		}
	}
	if !p.NHSNumberStatus.Valid() {
		es = append(es, FieldErrorf("nhs_number_status", "NHS number status %q is not one of 01 to 08", p.NHSNumberStatus))
	} else if p.NHSNumber == "" && p.NHSNumberStatus.NumberPresent() {
		es = append(es, FieldErrorf("nhs_number", "NHS number status %s (%s) needs an NHS number", p.NHSNumberStatus, p.NHSNumberStatus.Description()))
	} else if p.NHSNumber != "" && (p.NHSNumberStatus == nhs.NumberNotRequired || p.NHSNumberStatus == nhs.NumberTraceNoMatch) {
		es = append(es, FieldErrorf("nhs_number_status", "NHS number status %s (%s) cannot go with an NHS number", p.NHSNumberStatus, p.NHSNumberStatus.Description()))
	}
	if p.Address.Postcode != "" && !ValidPostcode(p.Address.Postcode) {
		es = append(es, FieldErrorf("postcode", "%q is not a UK postcode (for example SW1A 1AA)", p.Address.Postcode))
	}
	if len(p.Address.Lines) > 5 {
		es = append(es, FieldErrorf("address", "an address has at most 5 lines"))
	}
	if p.EthnicCategory != "" {
		if _, ok := nhs.Lookup(nhs.EthnicCategories, p.EthnicCategory); !ok {
			es = append(es, FieldErrorf("ethnic_category", "ethnic category %q is not a Data Dictionary code", p.EthnicCategory))
		}
	}
	p.validateText(&es)
	if p.DeathTime != nil {
		if p.DeathTime.After(now) {
			es = append(es, FieldErrorf("death_time", "date of death is in the future"))
		} else if !p.BirthDate.IsZero() && p.DeathTime.Before(p.BirthDate.Time) {
			es = append(es, FieldErrorf("death_time", "date of death is before the date of birth"))
		}
	}
	return es.Err()
}

// PatientQuery is a search of the PMI. Text is what a clerk types in one
// box: an NHS number, a hospital number, or names with an optional date of
// birth and postcode. The other fields narrow the search.
type PatientQuery struct {
	Text       string
	NHSNumber  string
	MRN        string
	FamilyName string
	GivenName  string
	// NamePart finds the patients one of whose names starts with it,
	// spelt as typed but for case, accents and what is not a letter:
	// FHIR's string search by name, family and given. NameOf says which
	// names ("family", "given"; "" for either) and NameContains finds the
	// names that hold it anywhere.
	NamePart     string
	NameOf       string
	NameContains bool
	BirthDate    Date
	Postcode     string
	Gender       string
	Limit        int // at most this many results; 0 means 20, at most MaxPatientResults
	Offset       int // how many of the best results to skip: the second page of 50 starts at 50
}

// MaxPatientResults is the most patients one search of the patient index
// returns (PatientQuery.Limit): the FHIR API's search reads that many
// candidates and refuses one that finds more, asking for a narrower one.
const MaxPatientResults = 10000

// PatientList is a search of the PMI listed in the order Sort names
// rather than best match first: the FHIR API's Patient search with
// _sort. Each field that is set narrows the list, any one of its values
// matching; the identifier fields together are one such choice (a
// patient holding any of those NHS numbers or hospital numbers, or one
// of HeldIDs). Names are matched by the start of the name as the PMI
// normalizes it (match.Normalize).
type PatientList struct {
	IDs        []string
	NHSNumbers []string
	MRNs       []string
	HeldIDs    []string // patients found by another system's identifier kept beside their record
	Families   []string // family name starts with one of these
	Givens     []string // given name starts with one of these
	BirthDates []Date
	Genders    []string // PMI gender codes (1, 2, 9, X)
	Sort       []PatientSort
	Limit      int // at most this many results; 0 means 20, at most 1000
	Offset     int // how many to skip in the order
	// Count asks for every match to be counted into the results' Total.
	// Without it Total is the matches up to the page's end, and one more
	// when more follow (More says whether there is a next page): a list
	// of a common name's start costs its page, not a count of the
	// thousands it holds.
	Count bool
}

// PatientSort is one key of a PatientList's order: id, updated (when
// the record last changed), family, given, name (family then given),
// birth_date, gender, postcode or identifier (the lower of the NHS
// number and hospital number, the higher when descending). A patient
// without the value comes last in either direction; ties are broken by
// id.
type PatientSort struct {
	Key  string
	Desc bool
}

// PatientScan asks for a page of the trust's patients in id order, or
// in the order of their birth dates.
type PatientScan struct {
	After string // the cursor of the page before ("" for the first)
	Limit int    // at most this many; 0 means 20, at most 1000
	// ByBirth reads the patients by their birth date, then id, the
	// latest first with Desc (the cursor "date|id"): a sorted list of
	// the trust's patients by birth date that reads only up to its
	// page. A patient without a birth date comes first, as the earliest.
	ByBirth, Desc bool
	// ByFamily reads the patients by their family name as a search folds
	// it (match.Fold), then id, the last first with Desc (the cursor
	// "name|id"): a list of the trust's patients by family name that
	// reads only up to its page.
	ByFamily bool
	// ByGiven reads the patients by the first of their given and middle
	// names as a search folds them (match.Fold), then id, or with Desc
	// by the last of them, the last first (the cursor "name|id"): a list
	// of the trust's patients by given name, each by the name that comes
	// first in the list's order, as a search sorted by given name orders
	// it, that reads only up to its page. A patient without a given name
	// comes first, or last with Desc.
	ByGiven bool
	// BornFrom and BornBefore, when not zero, keep the patients born on
	// or after BornFrom and before BornBefore (with ByBirth only).
	BornFrom, BornBefore Date
	// For names the search the scan reads for (Patient?address-city=Leeds),
	// when its caller keeps the patients that match and shows each read
	// whole, that read audited: the scan is audited as that search, and
	// the patients it reads are not listed as shown, as most are not.
	For string
}

// PatientResults is one page of a search of the PMI: the patients shown,
// best first, and how many matched in all, so that a clerk is told when
// there are more than one page holds ("50 of 54 shown").
type PatientResults struct {
	Matches []PatientMatch
	Total   int // patients that matched the search, on every page
	Offset  int // how many better matches come before Matches[0]
}

// More reports how many matches come after this page.
func (r *PatientResults) More() int { return max(0, r.Total-r.Offset-len(r.Matches)) }

// PatientMatch is one search or duplicate-check result: the patient, how
// well it matches (0-100) and why.
type PatientMatch struct {
	Patient *Patient
	Score   int
	Reasons []string
}

// PatientService is the patient master index: registration, demographics,
// search, duplicates, merge. Each method is one transaction; each change
// appends an event and an audit record, each read of a record an audit
// record.
type PatientService interface {
	// RegisterPatient adds a patient, allocating the hospital number. It
	// fills in p.ID, p.MRN, p.Version and the times.
	RegisterPatient(ctx context.Context, a Actor, p *Patient) error
	// UpdatePatient replaces the patient's demographics. p.Version must be
	// the version read; ECONFLICT if someone changed it since.
	UpdatePatient(ctx context.Context, a Actor, p *Patient) error
	// RecordDeath records that the patient died at the given time.
	RecordDeath(ctx context.Context, a Actor, id string, at time.Time) error
	// MergePatients merges the minor record into the major: the minor's
	// identifiers, history and links move to the major, and the minor
	// remains findable and points to the major.
	MergePatients(ctx context.Context, a Actor, majorID, minorID, reason string) error
	// UnmergePatient reverses the merge of a minor record. It is refused
	// (ECONFLICT, naming the patient) when another live patient was given
	// the record's NHS number while it was merged, and the merge stands:
	// one NHS number has one live record.
	UnmergePatient(ctx context.Context, a Actor, minorID, reason string) error
	// DeletePatient deletes a record registered in error: one with no
	// activity, not merged and with none merged into it (ECONFLICT
	// otherwise, naming what it has). Its history and audit stay.
	DeletePatient(ctx context.Context, a Actor, id, reason string) error

	// FindPatient returns a patient's record by ID (an audited view).
	FindPatient(ctx context.Context, a Actor, id string) (*Patient, error)
	// ReadPatientRecord returns a patient's record with the records
	// merged into it and, when clinical is true and the actor may see the
	// patient's clinical record, the resource kept beside it (what a FHIR
	// Patient read serves). The read is audited as one record naming all
	// it read.
	ReadPatientRecord(ctx context.Context, a Actor, id string, clinical bool) (*PatientRecord, error)
	// FindPatientByIdentifier returns the patient holding an NHS number
	// ("nhs") or hospital number ("mrn"), following merges to the major.
	FindPatientByIdentifier(ctx context.Context, a Actor, kind, value string) (*Patient, error)
	// SearchPatients finds patients, best matches first, and returns the
	// page of them that q.Offset and q.Limit ask for with the total. Each
	// match carries what a result list shows and ranks by (identifiers,
	// names, date of birth, gender, postcode, death and merge); the whole
	// record is read with FindPatient.
	SearchPatients(ctx context.Context, a Actor, q PatientQuery) (*PatientResults, error)
	// ListPatients finds the patients a PatientList names, in its order,
	// and returns the page of them its Offset and Limit ask for with the
	// total; the database sorts, so a list of a common name costs a
	// page, not the trust. Each patient carries what SearchPatients'
	// matches do; the list is audited as a search.
	ListPatients(ctx context.Context, a Actor, q PatientList) (*PatientResults, error)
	// ScanPatients lists the trust's patients in id order, a page at a
	// time: the scan a search by what no index leads (a FHIR search by
	// gender or an address alone, or by nothing) pages through. Merged
	// records are listed too. It returns the cursor of the next page, ""
	// after the last; the patients read are audited as a list shown,
	// unless the scan is For a search whose caller audits what it shows.
	ScanPatients(ctx context.Context, a Actor, q PatientScan) ([]*Patient, string, error)
	// ScanPatientRecords reads the trust's patients' records in the
	// order ScanPatients would (id, birth date, family or given name),
	// a page at a time, each as ReadPatientRecord reads one, for
	// a search (q.For) by what only the whole record answers (a FHIR
	// search by language): the page is audited as read for that search,
	// and its caller shows the matches read again, audited as views.
	ScanPatientRecords(ctx context.Context, a Actor, q PatientScan, clinical bool) ([]*PatientRecord, string, error)
	// CountPatients counts the trust's patient records, merged ones
	// included: ScanPatients's every page. The count is audited.
	CountPatients(ctx context.Context, a Actor) (int, error)
	// FindDuplicates scores existing patients against a record about to be
	// registered and returns the likely duplicates, best first.
	FindDuplicates(ctx context.Context, a Actor, p *Patient) ([]PatientMatch, error)
	// PatientHistory lists the events of a patient's record, newest first.
	PatientHistory(ctx context.Context, a Actor, id string) ([]*Event, error)
	// PatientChanges lists the events that carry a version of the
	// trust's patients' records (registrations, changes, deaths, merges
	// and unmerges), newest first: recorded at or after since, with an
	// id before before ("" for the newest), at most count. Event ids are
	// time-ordered, as the resource store's version keys are, so that
	// the two histories page together.
	PatientChanges(ctx context.Context, a Actor, since time.Time, before string, count int) ([]*Event, error)
	// PatientChangesAt lists events as PatientChanges does, keeping
	// those whose version was current at some time in the period at:
	// recorded before its end and not followed, for the same patient, by
	// another version at or before its start.
	// A page of them is placed as ResourceHistoryAt's.
	PatientChangesAt(ctx context.Context, a Actor, since time.Time, at Period, place HistoryPlace, count int) ([]*Event, error)
}
