package report

import (
	"io"

	"github.com/opencrs/crs"
)

// Service produces the trust's reports from what the record gives it.
type Service struct {
	src crs.ReportSource
}

// New returns the reports over src.
func New(src crs.ReportSource) *Service { return &Service{src: src} }

var _ crs.ReportService = (*Service)(nil)

// flushEvery is how many rows of an extract are buffered before they go
// to the writer, so a long extract starts arriving at once.
const flushEvery = 1000

// csvExtract writes a CSV extract: the header, then each record, flushed
// every flushEvery rows. The header goes with the first record (or at
// close when there is none), so a read refused before any row leaves the
// writer untouched and the error can still be shown as a page.
type csvExtract struct {
	w      *csvWriter
	header []string
	n      int
}

func newCSVExtract(w io.Writer, header []string) *csvExtract {
	return &csvExtract{w: newCSVWriter(w), header: header}
}

// write writes one record.
func (e *csvExtract) write(rec []string) error {
	if e.header != nil {
		if err := e.w.Write(e.header); err != nil {
			return err
		}
		e.header = nil
	}
	if err := e.w.Write(rec); err != nil {
		return err
	}
	if e.n++; e.n%flushEvery == 0 {
		e.w.Flush()
		return e.w.Error()
	}
	return nil
}

// close writes out what is buffered, and the header of an empty extract.
func (e *csvExtract) close() error {
	if e.header != nil {
		if err := e.w.Write(e.header); err != nil {
			return err
		}
	}
	e.w.Flush()
	return e.w.Error()
}
