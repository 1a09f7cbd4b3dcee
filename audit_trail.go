package crs

import (
	"context"
	"time"
)

// AuditQuery selects records of a trust's audit trail: of one patient's
// record, by one user (or system), in a time range, newest first.
type AuditQuery struct {
	PatientID string    // only accesses to this patient's record
	Agent     string    // only those by this user, by id or username
	From, To  time.Time // only those at or after From and before To; zero for open
	Before    string    // keyset: only records older than this one (its ID)
	Count     int       // at most this many
}

// AuditTrail reads a trust's audit trail record by record, for a
// privacy officer (ActViewAudit) or a system the FHIR edge has let read
// AuditEvent. Every read of it is itself audited. Nothing writes the
// trail but the accesses it records.
type AuditTrail interface {
	// SearchAudit lists the records q selects, newest first.
	SearchAudit(ctx context.Context, a Actor, q AuditQuery) ([]*AuditRecord, error)
	// AuditRecordByID returns one record; ENOTFOUND when the trust has no
	// such record.
	AuditRecordByID(ctx context.Context, a Actor, id string) (*AuditRecord, error)
}
