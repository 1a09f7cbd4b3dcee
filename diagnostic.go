package crs

import (
	"context"
	"strings"
	"time"

	"github.com/opencrs/crs/nhs"
)

// Event types of diagnostic requests.
const (
	EventDiagnosticRequested = "diagnostic.requested" // a diagnostic test was requested
	EventDiagnosticDone      = "diagnostic.done"      // the test was done
	EventDiagnosticCancelled = "diagnostic.cancelled" // the request was cancelled
)

// DiagnosticRequest is a request for one of the diagnostic tests of the
// DM01 return (an MRI, an echocardiogram, a colonoscopy ...): the patient
// waits for it from the date requested until it is done. A planned test
// (a surveillance or repeat test due on a set date) is not on the waiting
// list. Recorded by hand, or by an order for a test the catalogue names
// a DM01 test (OrderID is then the order's).
type DiagnosticRequest struct {
	ID           string
	OrgID        string
	PatientID    string
	Test         string // a DM01 test code (nhs.DM01Tests), e.g. "MRI"
	RequestedOn  Date
	Planned      bool
	DueOn        Date // a planned test's due date
	PerformedOn  Date // zero until done
	CancelledOn  Date // zero unless cancelled
	CancelReason string
	OrderID      string // the order that requested the test, "" if recorded by hand
	CreatedAt    time.Time
}

// Open says the test is neither done nor cancelled.
func (d *DiagnosticRequest) Open() bool { return d.PerformedOn.IsZero() && d.CancelledOn.IsZero() }

// Validate checks the request as of now.
func (d *DiagnosticRequest) Validate(now time.Time) error {
	var es Errors
	d.Test = strings.ToUpper(strings.TrimSpace(d.Test))
	if d.PatientID == "" {
		es = append(es, FieldErrorf("patient", "say whose test it is"))
	}
	if _, ok := nhs.Lookup(nhs.DM01Tests, d.Test); !ok {
		es = append(es, FieldErrorf("test", "test %q is not one of the DM01 tests (MRI, CT, NON_OBSTETRIC_ULTRASOUND, ..., GASTROSCOPY)", d.Test))
	}
	if d.RequestedOn.IsZero() {
		es = append(es, FieldErrorf("requested_on", "give the date the test was requested"))
	} else if d.RequestedOn.After(LocalDate(now).Time) {
		es = append(es, FieldErrorf("requested_on", "the request date %s is in the future", d.RequestedOn.Display()))
	}
	if d.Planned && d.DueOn.IsZero() {
		es = append(es, FieldErrorf("due_on", "a planned test needs the date it is due"))
	}
	return es.Err()
}

// DiagnosticService records diagnostic requests and their outcome.
type DiagnosticService interface {
	// RequestDiagnostic records a request; it fills in d.ID.
	RequestDiagnostic(ctx context.Context, a Actor, d *DiagnosticRequest) error
	// RecordDiagnosticDone records that the test was done on the date.
	RecordDiagnosticDone(ctx context.Context, a Actor, id string, on Date) error
	// CancelDiagnostic cancels a request not yet done, with the reason.
	CancelDiagnostic(ctx context.Context, a Actor, id string, on Date, reason string) error
	// FindDiagnosticRequests lists a patient's requests, latest first.
	FindDiagnosticRequests(ctx context.Context, a Actor, patientID string) ([]*DiagnosticRequest, error)
}

// DiagnosticTx is what a command may do with diagnostic requests inside
// its transaction: an order for a DM01 test requests one, its
// cancellation cancels it and its first result records the test done.
type DiagnosticTx interface {
	// InsertDiagnosticRequest validates and records a request and
	// appends its event; it fills in d.ID.
	InsertDiagnosticRequest(d *DiagnosticRequest) error
	// FindDiagnosticRequestByOrder returns the request the order made;
	// ENOTFOUND when it made none.
	FindDiagnosticRequestByOrder(orderID string) (*DiagnosticRequest, error)
	// RecordDiagnosticDone records an open request's test done on the
	// date (not before it was requested, not in the future).
	RecordDiagnosticDone(id string, on Date) error
	// CancelDiagnosticRequest cancels an open request on the date, with
	// the reason.
	CancelDiagnosticRequest(id string, on Date, reason string) error
}
