package crs

import (
	"context"
	"time"
)

// EventResultAcknowledged records that a clinician saw and acted on a
// result.
const EventResultAcknowledged = "result.acknowledged"

// ResultFiler files a result to the clinical record inside the
// transaction of the inbound message that carried it: as an R4
// DiagnosticReport with its Observations in the resource store, matched
// to the order it answers by placer or filler order number (the order is
// then resulted), or kept unsolicited. A later version of the report (a
// final after a preliminary, a correction) is the next version of the
// same DiagnosticReport, the earlier kept as history, and waits to be
// acknowledged again. Package fhir implements it; cmd/crs hands it to
// the interfaces.
type ResultFiler interface {
	FileResult(tx Tx, r *Result) error
}

// ResultReview is a result as the clinician who must acknowledge it sees
// it on the worklist.
type ResultReview struct {
	ReportID     string // the DiagnosticReport
	ResultID     string // the filed result version it was made from
	PatientID    string
	PatientName  string
	Test         string
	Status       string // HL7 result status: P, F, C...
	Abnormal     int    // how many observations the laboratory flagged
	ObservedAt   time.Time
	Requester    string // the username of the clinician who ordered it; "" for an unsolicited result
	RequesterID  string
	PlacerNumber string
	// AcknowledgedBy and AcknowledgedAt say who acknowledged this version
	// and when; empty while it waits.
	AcknowledgedBy string
	AcknowledgedAt time.Time
}

// ResultReviewService is the results worklist: the results filed to the
// trust's records that no clinician has acknowledged yet.
type ResultReviewService interface {
	// UnacknowledgedResults lists the results waiting to be acknowledged,
	// those with abnormal observations first, then oldest first; with
	// mine, only those ordered by the actor and the unsolicited ones.
	UnacknowledgedResults(ctx context.Context, a Actor, mine bool) ([]*ResultReview, error)
	// AcknowledgeResult records that the actor, a clinician, has seen the
	// result and acted on it: a new version of its DiagnosticReport,
	// audited. ECONFLICT when it is acknowledged already.
	AcknowledgeResult(ctx context.Context, a Actor, reportID string) error
	// ResultReviewOf returns the review state of the patient's filed result.
	ResultReviewOf(ctx context.Context, a Actor, resultID string) (*ResultReview, error)
}
