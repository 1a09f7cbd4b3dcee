package crs

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/opencrs/crs/nhs"
)

// Kinds of clinical note: an entry in the record (a ward round or clinic
// note) or a clinic letter to the GP and the patient.
const (
	NoteKindNote   = "note"
	NoteKindLetter = "letter"
)

// Events of clinic letters: the outbound feeds send a signed letter as
// an HL7 MDM^T02, an amended one as an MDM^T08, as they do summaries.
const (
	EventLetterSigned  = "letter.signed"
	EventLetterAmended = "letter.amended"
)

// NoteTemplate is one of the trust's templates for a specialty's notes
// or letters: its title and the sections a clinician writes, in order,
// each with a prompt saying what goes in it.
type NoteTemplate struct {
	ID        string
	Specialty string // the TREATMENT FUNCTION CODE of the specialty, e.g. 110 Trauma and Orthopaedics
	Kind      string // NoteKindNote or NoteKindLetter
	Title     string
	Sections  []NoteSection
}

// Validate checks a template before it is loaded.
func (t *NoteTemplate) Validate() error {
	var es Errors
	if _, ok := nhs.Lookup(nhs.TreatmentFunctions, t.Specialty); !ok {
		es = append(es, FieldErrorf("specialty", "%q is not a current TREATMENT FUNCTION CODE (e.g. 100 General Surgery)", t.Specialty))
	}
	if t.Kind != NoteKindNote && t.Kind != NoteKindLetter {
		es = append(es, FieldErrorf("kind", "the kind is note or letter, not %q", t.Kind))
	}
	if strings.TrimSpace(t.Title) == "" {
		es = append(es, FieldErrorf("title", "a template needs a title"))
	}
	if len(t.Sections) == 0 {
		es = append(es, FieldErrorf("heading", "a template needs at least one section"))
	}
	for _, s := range t.Sections {
		if strings.TrimSpace(s.Heading) == "" {
			es = append(es, FieldErrorf("heading", "every section needs a heading"))
			break
		}
	}
	return es.Err()
}

// NoteSection is one headed part of a note: its heading, the template's
// prompt for it, and what the clinician wrote.
type NoteSection struct {
	Heading string
	Prompt  string
	Text    string
}

// ClinicalNote is a note a clinician writes in a patient's record (a ward
// round note, a clinic note) or a clinic letter written after an
// outpatient attendance to the patient's GP and the patient. It is
// drafted, then signed; a signed note never changes: a correction is an
// amendment, a new signed version with its reason, the versions before
// kept. A note written on the wrong record is marked entered in error.
type ClinicalNote struct {
	Entry
	PatientName string
	Kind        string // NoteKindNote or NoteKindLetter
	Title       string
	TemplateID  string // the template it was written from, or ""
	Specialty   string // treatment function code, from the template or the clinic
	Sections    []NoteSection
	Status      string    // SummaryDraft, SummarySigned, SummaryAmended or EnteredInError
	EffectiveAt time.Time // when the patient was seen (clinically effective)
	Author      string    // who last wrote the draft
	SignedBy    string
	SignedAt    time.Time
	AmendReason string
	// A clinic letter's attendance: the appointment, its clinic, the
	// consultant and the outcome the clinic recorded.
	AppointmentID  string
	ClinicCode     string
	ClinicName     string
	ConsultantName string
	Outcome        string
}

// Signed reports whether the note has been signed (and, for a letter,
// sent).
func (n *ClinicalNote) Signed() bool { return n.Status == SummarySigned || n.Status == SummaryAmended }

// InError reports whether the note was marked entered in error.
func (n *ClinicalNote) InError() bool { return n.Status == EnteredInError }

// Letter reports whether the note is a clinic letter.
func (n *ClinicalNote) Letter() bool { return n.Kind == NoteKindLetter }

// Texts lists the note's sections as heading and text, the shape letters
// and messages are written from.
func (n *ClinicalNote) Texts() [][2]string {
	out := make([][2]string, 0, len(n.Sections))
	for _, s := range n.Sections {
		out = append(out, [2]string{s.Heading, s.Text})
	}
	return out
}

// Validate checks a note before it is saved or signed: a title, at least
// one section, and something written.
func (n *ClinicalNote) Validate() error {
	var es Errors
	n.Title = strings.TrimSpace(n.Title)
	if n.Title == "" {
		es = append(es, FieldErrorf("title", "Enter the note's title (for example: Ward round note)"))
	}
	written := false
	for i := range n.Sections {
		n.Sections[i].Heading = strings.TrimSpace(n.Sections[i].Heading)
		if strings.TrimSpace(n.Sections[i].Text) != "" {
			written = true
		}
		es.addNote(fmt.Sprintf("section_%d", i), n.Sections[i].Heading, n.Sections[i].Text, 20000)
	}
	if !written {
		es = append(es, FieldErrorf("section_0", "Write at least one section of the note"))
	}
	return es.Err()
}

// NoteEventData is the Data of a signed or amended clinic letter's
// event: the letter and the patient, which the outbound feeds render as
// MDM.
type NoteEventData struct {
	Note    *ClinicalNote `json:"note"`
	Patient *Patient      `json:"patient"`
}

// NoteService is how clinicians write, sign and amend the notes and
// clinic letters of a patient's record. Every method checks access (the
// clinical activities and a legitimate relationship) and audits.
type NoteService interface {
	// LoadTemplates makes templates the trust's note and letter templates:
	// new ones added, known ones (by specialty, kind and title) updated,
	// and those not given retired. It returns how many changed.
	LoadTemplates(ctx context.Context, a Actor, ts []NoteTemplate) (int, error)
	// Templates lists the trust's active templates of a kind ("" for
	// every kind), by specialty and title.
	Templates(ctx context.Context, a Actor, kind string) ([]*NoteTemplate, error)
	// ListNotes lists the patient's notes and letters, newest first.
	ListNotes(ctx context.Context, a Actor, patientID string) ([]*ClinicalNote, error)
	// FindNote returns one of the patient's notes.
	FindNote(ctx context.Context, a Actor, patientID, id string) (*ClinicalNote, error)
	// NoteHistory returns every version of a note, newest first.
	NoteHistory(ctx context.Context, a Actor, patientID, id string) ([]*ClinicalNote, error)
	// SaveNote saves a new draft note (n.ID "") or the next version of a
	// draft (n.Version the one edited: ECONFLICT if another was saved
	// since, or once it is signed).
	SaveNote(ctx context.Context, a Actor, n *ClinicalNote) error
	// DraftLetter starts the clinic letter of an attended appointment
	// with an outcome, from a letter template (templateID "" for the
	// clinic's specialty's first), prefilled with the patient, the clinic,
	// the date seen, the consultant and the outcome; an appointment's
	// letter already started is returned as it is.
	DraftLetter(ctx context.Context, a Actor, appointmentID, templateID string) (*ClinicalNote, error)
	// AppointmentLetter returns the clinic letter of an appointment;
	// ENOTFOUND when none is started.
	AppointmentLetter(ctx context.Context, a Actor, appointmentID string) (*ClinicalNote, error)
	// SignNote signs the draft with the sections given (a doctor or nurse
	// signs a note, only a doctor a letter); a signed letter is stored as
	// a FHIR document and its MDM^T02 queued, in the same transaction.
	SignNote(ctx context.Context, a Actor, n *ClinicalNote) error
	// AmendNote signs a corrected version of a signed note with the
	// reason; the versions before stay (a letter is sent again, MDM^T08).
	AmendNote(ctx context.Context, a Actor, n *ClinicalNote, reason string) error
	// EnterNoteInError marks a note entered in error, with why.
	EnterNoteInError(ctx context.Context, a Actor, patientID, id, reason string) error
	// UnsignedLetters lists the clinic letters of a clinic ("" for every
	// clinic) not yet signed longer than age after the attendance,
	// longest waiting first.
	UnsignedLetters(ctx context.Context, a Actor, clinicCode string, age time.Duration) ([]*ClinicalNote, error)
}

// CanSign says whether a role signs notes of a kind: a doctor or a nurse
// signs a note, only a doctor a clinic letter.
func CanSign(role Role, kind string) error {
	switch {
	case kind == NoteKindLetter && role != RoleDoctor:
		return Errorf(EFORBIDDEN, "only a doctor signs a clinic letter")
	case role != RoleDoctor && role != RoleNurse:
		return Errorf(EFORBIDDEN, "only a doctor or a nurse signs a clinical note")
	}
	return nil
}

// CheckSigning refuses a signature the document's status does not allow:
// a draft is signed, a signed document amended, and nothing else.
func CheckSigning(what, status string, amend bool) error {
	signed := status == SummarySigned || status == SummaryAmended
	switch {
	case !amend && status != SummaryDraft:
		return Errorf(ECONFLICT, "the %s is %s already: amend it instead", what, status)
	case amend && !signed:
		return Errorf(ECONFLICT, "the %s is %s: only a signed %s is amended", what, status, what)
	}
	return nil
}

// ReadNoteTemplates reads a file of note templates: CSV (UTF-8) with the
// header specialty,kind,title,heading,prompt, one section a line, a
// template's sections on consecutive lines in order. Every bad line is
// reported as FILE:LINE: what is wrong, and then nothing is read.
func ReadNoteTemplates(r io.Reader, name string) ([]NoteTemplate, error) {
	var out []NoteTemplate
	first := map[string]int{} // the line each template starts on
	last := ""
	err := readCSVFile(r, name, []string{"specialty", "kind", "title", "heading", "prompt"}, func(get func(string) string, line int) []string {
		t := NoteTemplate{Specialty: get("specialty"), Kind: strings.ToLower(get("kind")), Title: get("title"),
			Sections: []NoteSection{{Heading: get("heading"), Prompt: get("prompt")}}}
		if err := t.Validate(); err != nil {
			return fieldProblems(err)
		}
		key := t.Specialty + "|" + t.Kind + "|" + strings.ToLower(t.Title)
		if key == last {
			out[len(out)-1].Sections = append(out[len(out)-1].Sections, t.Sections...)
			return nil
		}
		if at, ok := first[key]; ok {
			return []string{fmt.Sprintf("template %q (%s %s) began on line %d: give a template's sections on consecutive lines", t.Title, t.Specialty, t.Kind, at)}
		}
		first[key], last = line, key
		out = append(out, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, Errorf(EINVALID, "%s: the file holds no templates", name)
	}
	return out, nil
}
