package crs

import (
	"context"
	"io"
	"time"
)

// ReportSource is what the trust's reports read from the record: its
// lists row by row, each read checked for access and audited as one
// access, as the pages' reads are. Package store implements it; package
// report reads through it and writes nothing to the record.
type ReportSource interface {
	RTTReportSource
	AEReportSource
	KH03ReportSource
	DQReportSource
	DM01ReportSource
	// EventsRecordedAfter lists the trust's events of the types beginning
	// with one of prefixes (ed., spell., census.) recorded after t, in the
	// order recorded: what a return as recorded at t did not know.
	EventsRecordedAfter(ctx context.Context, a Actor, t time.Time, prefixes ...string) ([]Event, error)
	// EachPTLRow calls fn with each pathway on the patient tracking list
	// matching f (its cursor and limit aside), in the list's order, read
	// from one query so the whole list need not be held in memory. The
	// row is valid only during the call. It stops at fn's first error and
	// returns it.
	EachPTLRow(ctx context.Context, a Actor, f PTLFilter, fn func(*PTLRow) error) error
	// EachWaitingListRow calls fn with each waiting list entry matching q
	// (its cursor and limit aside), in the query's order, as EachPTLRow
	// does.
	EachWaitingListRow(ctx context.Context, a Actor, q WaitingListQuery, fn func(*WaitingListRow) error) error
}

// ReportService produces the trust's reports and extracts: the files
// managers and commissioners load into their own tools.
type ReportService interface {
	StatutoryReports
	// ExportPTL writes the whole patient tracking list matching f as CSV
	// to w, streaming row by row.
	ExportPTL(ctx context.Context, a Actor, w io.Writer, f PTLFilter) error
	// ExportWaitingList writes the whole waiting list matching the query
	// (in its order, without paging) as CSV to w, streaming row by row.
	ExportWaitingList(ctx context.Context, a Actor, w io.Writer, q WaitingListQuery) error
}
