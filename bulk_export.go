package crs

import (
	"context"
	"time"
)

// Bulk export states: a job is accepted, runs, and ends complete or
// failed. A cancelled job is removed with its files.
const (
	ExportAccepted = "accepted"
	ExportRunning  = "running"
	ExportComplete = "complete"
	ExportFailed   = "failed"
)

// ExportJob is one bulk export of the record a system asked for (FHIR
// Bulk Data $export): which records it covers, how far it has got, and
// the files it wrote. It is kept in the database, so an export survives
// a restart of the service and is resumed.
type ExportJob struct {
	ID          string
	Actor       Actor     // who asked; the export reads the record as them, audited
	Grant       string    // what the requester's token allows it to read (its scopes)
	Level       string    // "system", "patient" (every patient) or "group"
	GroupID     string    // the Group whose members are exported, for a group export
	Types       []string  // the resource types asked for (_type); none for all
	Since       time.Time // only resources changed since (_since); zero for all
	Patients    []string  // only these patients' records (patient), at the patient and group levels; none for all
	Elements    []string  // only these elements of each resource (_elements), as element or Type.element
	Associated  []string  // what is exported with the records (includeAssociatedData): their Provenance
	TypeFilters []string  // searches (Type?query) a type's resources must match one of to be exported (_typeFilter)
	Ignored     []string  // why parameters the server does not support were left out (Prefer: handling=lenient)
	Request     string    // the URL the export was asked for at
	Status      string    // one of the Export constants
	Progress    string    // in words, for the requester polling
	Error       string    // why a failed export failed
	RequestedAt time.Time
	FinishedAt  time.Time
	Files       []ExportFile // the files written so far, in order
}

// ExportFile is one file of an export: newline-delimited resources of
// one type.
type ExportFile struct {
	Seq   int    // its number in the job, from 1
	Type  string // the resource type it holds
	Count int    // how many resources it holds
}

// ExportStore keeps bulk export jobs and their files. Jobs are the
// bookkeeping of the API, not changes to a record; the reads an export
// makes go through the resource store, access-checked and audited as
// the requester.
type ExportStore interface {
	// CreateExport records a new job of the actor's trust as accepted,
	// filling in its ID and RequestedAt, and audits the request.
	CreateExport(ctx context.Context, j *ExportJob) error
	// GetExport returns a job with its files to the one who asked for it;
	// ENOTFOUND for a job of anyone else, or one cancelled.
	GetExport(ctx context.Context, a Actor, id string) (*ExportJob, error)
	// UpdateExport records a job's status, progress, error and finish
	// time; ENOTFOUND when it was cancelled meanwhile.
	UpdateExport(ctx context.Context, j *ExportJob) error
	// AddExportFile stores one file of a running job.
	AddExportFile(ctx context.Context, jobID string, f ExportFile, ndjson []byte) error
	// ExportFileData returns the content of a file of a job to the one
	// who asked for it, auditing the download.
	ExportFileData(ctx context.Context, a Actor, jobID string, seq int) ([]byte, error)
	// DeleteExport cancels a job and removes its files.
	DeleteExport(ctx context.Context, a Actor, id string) error
	// PendingExports lists the jobs, of every trust, not yet finished:
	// those to resume when the service starts.
	PendingExports(ctx context.Context) ([]*ExportJob, error)
}
