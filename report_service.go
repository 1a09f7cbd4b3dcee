package crs

import (
	"context"
	"io"
	"time"
)

// RTTIncompleteOptions choose what the incomplete figures hold.
type RTTIncompleteOptions struct {
	Basis    ReportBasis // which events count; zero is everything known now
	Pathways bool        // list every incomplete pathway as well
}

// RTTReturnOptions choose how the monthly return is worked out.
type RTTReturnOptions struct {
	Basis ReportBasis
	// Commissioners maps a GP practice's ODS code to the code of the
	// commissioner (sub-ICB location) that pays for its patients' care;
	// a patient whose practice is not in it is reported under
	// UnknownCommissioner.
	Commissioners map[string]string
	// Patients keeps who is counted in each part and line.
	Patients bool
}

// RTTMonthShare is the share of incomplete pathways within 18 weeks at
// the end of one month: the standard by month.
type RTTMonthShare struct {
	Month  string
	Total  int
	Within int
	Share  float64
}

// StatutoryReports works out the trust's statutory returns, each from the
// record as it is now unless said otherwise.
type StatutoryReports interface {
	// RTTIncomplete is the incomplete RTT pathways at the census date.
	RTTIncomplete(ctx context.Context, a Actor, census Date, o RTTIncompleteOptions) (*RTTIncomplete, error)
	// RTTReturn is the monthly RTT return of the month.
	RTTReturn(ctx context.Context, a Actor, month Date, o RTTReturnOptions) (*RTTReturn, error)
	// RTTReturnCompare sets the return now beside the return as recorded.
	RTTReturnCompare(ctx context.Context, a Actor, month Date, recordedBy time.Time, o RTTReturnOptions) (*RTTReturnComparison, error)
	// RTTStandardByMonth is the share within 18 weeks at the end of each
	// of the n months up to and including month, oldest first.
	RTTStandardByMonth(ctx context.Context, a Actor, month Date, n int) ([]RTTMonthShare, error)
	// AEReturn is the monthly A&E return; with o.Breaches, who breached.
	AEReturn(ctx context.Context, a Actor, month Date, now time.Time, o AEReturnOptions) (*AEReturn, error)
	// AEReturnCompare sets the A&E return known now beside the return as
	// recorded at recordedBy.
	AEReturnCompare(ctx context.Context, a Actor, month Date, now, recordedBy time.Time) (*ReturnComparison[*AEReturn], error)
	// KH03Return is the KH03 return of the days from first to last, from
	// the census of each night as basis says.
	KH03Return(ctx context.Context, a Actor, quarter string, first, last Date, basis ReportBasis) (*KH03Return, error)
	// KH03ReturnCompare sets the KH03 return known now beside the return
	// as recorded at recordedBy.
	KH03ReturnCompare(ctx context.Context, a Actor, quarter string, first, last Date, recordedBy time.Time) (*ReturnComparison[*KH03Return], error)
	// DM01Return is the DM01 return of the month.
	DM01Return(ctx context.Context, a Actor, month Date) (*DM01Return, error)
	// DataQuality is the data quality report as of today.
	DataQuality(ctx context.Context, a Actor, today Date) (*DQReport, error)
	// WriteReturn writes the return named kind (rtt, rtt-incomplete, ae,
	// kh03, dm01, dq) for the period as csv or json.
	WriteReturn(ctx context.Context, a Actor, kind, period, format string, now time.Time, w io.Writer) error
}

// EventReportGenerated is the event of a return generated for submission.
const EventReportGenerated = "report.generated"

// ReportSubmission is a return generated for submission: what, for which
// period, in which format, when, by whom and the SHA-256 checksum of the
// file, so what was sent can be told from what the record says now.
type ReportSubmission struct {
	ID          string
	Report      string // rtt, rtt-incomplete, ae, kh03, dm01, dq
	Period      string // 2026-10, 2026-Q3, a census date
	Format      string // csv or json
	GeneratedAt time.Time
	UserID      string
	Username    string
	Checksum    string // hex SHA-256 of the file
	Bytes       int
}

// SubmissionService keeps the history of returns generated.
type SubmissionService interface {
	// RecordSubmission records a generated return; it fills in the id,
	// time and user.
	RecordSubmission(ctx context.Context, a Actor, s *ReportSubmission) error
	// Submissions lists the trust's generated returns, latest first.
	Submissions(ctx context.Context, a Actor, limit int) ([]*ReportSubmission, error)
}
