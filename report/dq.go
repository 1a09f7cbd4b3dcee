package report

import (
	"context"
	"io"

	"github.com/opencrs/crs"
)

// DataQuality runs every data quality check as of today: how many records
// each finds, and each record with the page to fix it on.
func (s *Service) DataQuality(ctx context.Context, a crs.Actor, today crs.Date) (*crs.DQReport, error) {
	out := &crs.DQReport{AsOf: today.String(), Counts: map[string]int{}, Items: []crs.DQItem{}}
	for _, c := range crs.DQChecks {
		out.Counts[c] = 0
	}
	err := s.src.EachDataQualityItem(ctx, a, today, func(it *crs.DQItem) error {
		out.Counts[it.Check]++
		out.Items = append(out.Items, *it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WriteDQCSV writes the data quality items as CSV, one line per record to
// fix, check by check.
func WriteDQCSV(w io.Writer, r *crs.DQReport) error {
	cw := newCSVWriter(w)
	_ = cw.Write([]string{"as_of", "check", "record", "record_id", "patient_id", "detail", "link"})
	for _, it := range r.Items {
		_ = cw.Write([]string{r.AsOf, it.Check, it.RecordKind, it.RecordID, it.PatientID, it.Detail, it.Link})
	}
	cw.Flush()
	return cw.Error()
}
