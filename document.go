package crs

import (
	"context"
	"strings"
	"time"
)

// Events of a patient's clinical documents.
const (
	// EventDocumentFiled records a clinical document (a clinic letter, a
	// discharge summary, a report) filed to a patient's record.
	EventDocumentFiled = "document.filed"
	// EventDocumentReplaced records a new version of a document filed in
	// place of the one before, which is kept as its history.
	EventDocumentReplaced = "document.replaced"
	// EventDocumentCancelled records that the system that wrote a document
	// withdrew it (entered in error, wrong patient).
	EventDocumentCancelled = "document.cancelled"
)

// The states of a version of a document.
const (
	DocumentCurrent    = "current"    // the version clinicians read
	DocumentSuperseded = "superseded" // replaced by a later version, kept as history
	DocumentCancelled  = "cancelled"  // withdrawn by the system that wrote it
)

// The kinds of content a document holds.
const (
	ContentText      = "text/plain"      // text sent in the message (TX, FT, ST)
	ContentPDF       = "application/pdf" // a PDF sent base64-encoded (ED)
	ContentReference = "reference"       // a pointer to the document in its own system (RP)
)

// Document is one version of a clinical document another system filed to
// a patient's record: a clinic letter, a discharge summary, a radiology
// or histology report. It comes from an MDM message: the TXA segment
// says what it is and the OBX segments hold its content.
type Document struct {
	ID        string
	OrgID     string
	PatientID string
	MessageID string // the message that filed it
	// Number is the document's unique number in the system that wrote it
	// (TXA-12); ParentNumber the document it replaces (TXA-13).
	Number        string
	ParentNumber  string
	TypeCode      string    // TXA-2: the kind of document, as the sender codes it (DS, CL, RAD...)
	TypeName      string    // its text, when the sender gives one
	Title         string    // what the content says it is (OBX-3 text), or the type
	Status        string    // TXA-17 completion status: DI, DO, IP, IN, IA, PA, AU, LA
	Availability  string    // TXA-19: AV available, UN unavailable, OB obsolete, CA cancelled
	Author        string    // TXA-9 originator: code and name
	Authenticator string    // TXA-22 (or TXA-10 in older versions): who signed it
	At            time.Time // when it was written (TXA-4 activity time, else TXA-6 origination)
	ContentType   string    // ContentText, ContentPDF, another media type, or ContentReference
	Text          string    // the text, for ContentText
	Content       []byte    `json:"-"` // the file, for a PDF or other binary content; loaded only when asked for
	Size          int       // the size of Content in bytes
	Reference     string    // where the document is, for ContentReference
	// Version counts the versions of the document: 1 for the first.
	// Replaces is the version it replaced and SupersededBy the one that
	// replaced it ("" for the current version).
	Version      int
	Replaces     string
	SupersededBy string
	State        string // DocumentCurrent, DocumentSuperseded or DocumentCancelled
	CancelReason string
	CreatedAt    time.Time
}

// Validate checks a document before it is filed.
func (d *Document) Validate() error {
	var errs Errors
	if d.PatientID == "" {
		errs = append(errs, FieldErrorf("patient_id", "a document belongs to a patient"))
	}
	if strings.TrimSpace(d.Number) == "" {
		errs = append(errs, FieldErrorf("number", "a document needs its unique document number"))
	}
	switch {
	case d.ContentType == ContentReference && d.Reference == "":
		errs = append(errs, FieldErrorf("content", "a document by reference needs the reference"))
	case d.ContentType == ContentText && strings.TrimSpace(d.Text) == "":
		errs = append(errs, FieldErrorf("content", "the document holds no text"))
	case d.ContentType != ContentText && d.ContentType != ContentReference && len(d.Content) == 0:
		errs = append(errs, FieldErrorf("content", "the document holds no content"))
	}
	d.validateText(&errs)
	return errs.Err()
}

// Name is what a page calls the document: its title, its type, or its
// number.
func (d *Document) Name() string {
	for _, s := range []string{d.Title, d.TypeName, d.TypeCode} {
		if s != "" {
			return s
		}
	}
	return "Document " + d.Number
}

// documentStatuses names the completion statuses (HL7 table 0271).
var documentStatuses = map[string]string{
	"DI": "Dictated", "DO": "Documented", "IP": "In progress", "IN": "Incomplete", "IA": "Incomplete, authenticated",
	"PA": "Pre-authenticated", "AU": "Authenticated", "LA": "Legally authenticated",
}

// DocumentStatusName names a completion status code ("AU" →
// "Authenticated"); a code the table lacks is given as it came.
func DocumentStatusName(code string) string {
	if n, ok := documentStatuses[strings.ToUpper(code)]; ok {
		return n
	}
	return code
}

// DocumentTx is what a command may do with clinical documents inside its
// transaction.
type DocumentTx interface {
	// FindDocumentByNumber returns the patient's latest version of the
	// document with the sender's unique number, current or cancelled;
	// ENOTFOUND when none has it.
	FindDocumentByNumber(patientID, number string) (*Document, error)
	// InsertDocument files a document to a patient's record. With
	// d.Replaces set to the id of the current version of a document, the
	// new one replaces it: that version is kept, superseded, as history,
	// and d takes the next version number.
	InsertDocument(d *Document) error
	// CancelDocument withdraws the current version of a document; it stays
	// in the record, marked cancelled, with the reason.
	CancelDocument(id, reason string) error
}

// DocumentService is how clinicians read a patient's clinical documents.
// Each read checks the actor may view the clinical record and is
// audited.
type DocumentService interface {
	// FindDocuments lists the patient's documents, the latest version of
	// each (cancelled ones included, marked), newest first, without their
	// content.
	FindDocuments(ctx context.Context, a Actor, patientID string) ([]*Document, error)
	// DocumentHistory returns every version of the document id belongs to,
	// the latest first, without their content; ENOTFOUND when the patient
	// has no such document.
	DocumentHistory(ctx context.Context, a Actor, patientID, id string) ([]*Document, error)
	// GetDocument returns one version of a document with its content.
	GetDocument(ctx context.Context, a Actor, patientID, id string) (*Document, error)
}

// Inherit fills what a new version of a document leaves empty from the
// version it replaces: a status change names the document and its new
// status, not again its type, title, author and date.
func (d *Document) Inherit(prev *Document) {
	for _, f := range []struct {
		to   *string
		from string
	}{
		{&d.TypeCode, prev.TypeCode}, {&d.TypeName, prev.TypeName}, {&d.Title, prev.Title}, {&d.Status, prev.Status},
		{&d.Availability, prev.Availability}, {&d.Author, prev.Author}, {&d.Authenticator, prev.Authenticator}, {&d.ParentNumber, prev.ParentNumber},
	} {
		if *f.to == "" {
			*f.to = f.from
		}
	}
	if d.At.IsZero() {
		d.At = prev.At
	}
}
