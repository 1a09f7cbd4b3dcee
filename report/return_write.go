package report

import (
	"context"
	"encoding/json"
	"io"
	"time"

	"github.com/opencrs/crs"
)

// ReturnKinds are the returns WriteReturn writes, with the period each
// is asked for by.
var ReturnKinds = []struct{ Name, Period string }{
	{"rtt", "YYYY-MM"}, {"rtt-incomplete", "YYYY-MM-DD"}, {"ae", "YYYY-MM"}, {"kh03", "YYYY-Qn"}, {"dm01", "YYYY-MM"}, {"dq", "YYYY-MM-DD"},
}

// WriteReturn works out the return named kind for the period (a month
// YYYY-MM, a quarter YYYY-Qn or a date, as the return needs) as of now
// and writes it to w as "csv" or "json".
func (s *Service) WriteReturn(ctx context.Context, a crs.Actor, kind, period, format string, now time.Time, w io.Writer) error {
	if format != "csv" && format != "json" {
		return crs.FieldErrorf("format", "format %q is not csv or json", format)
	}
	var v any
	var csvOut func(io.Writer) error
	month := func() (crs.Date, error) { return ParseMonth(period) }
	switch kind {
	case "rtt":
		m, err := month()
		if err != nil {
			return err
		}
		r, err := s.RTTReturn(ctx, a, m, RTTReturnOptions{})
		if err != nil {
			return err
		}
		v, csvOut = r, func(w io.Writer) error { return WriteRTTReturnCSV(w, r) }
	case "rtt-incomplete", "dq":
		d, err := crs.ParseDate(period)
		if err != nil {
			return crs.FieldErrorf("period", "%s", crs.ErrorMessage(err))
		}
		if kind == "dq" {
			r, err := s.DataQuality(ctx, a, d)
			if err != nil {
				return err
			}
			v, csvOut = r, func(w io.Writer) error { return WriteDQCSV(w, r) }
			break
		}
		r, err := s.RTTIncomplete(ctx, a, d, RTTIncompleteOptions{})
		if err != nil {
			return err
		}
		v, csvOut = r, func(w io.Writer) error { return WriteRTTIncompleteCSV(w, r) }
	case "ae":
		m, err := month()
		if err != nil {
			return err
		}
		r, err := s.AEReturn(ctx, a, m, now, crs.AEReturnOptions{})
		if err != nil {
			return err
		}
		v, csvOut = r, func(w io.Writer) error { return WriteAEReturnCSV(w, r) }
	case "kh03":
		first, last, err := crs.ParseQuarter(period)
		if err != nil {
			return err
		}
		r, err := s.KH03Return(ctx, a, period, first, last, crs.ReportBasis{})
		if err != nil {
			return err
		}
		v, csvOut = r, func(w io.Writer) error { return WriteKH03CSV(w, r) }
	case "dm01":
		m, err := month()
		if err != nil {
			return err
		}
		r, err := s.DM01Return(ctx, a, m)
		if err != nil {
			return err
		}
		v, csvOut = r, func(w io.Writer) error { return WriteDM01CSV(w, r) }
	default:
		return crs.Errorf(crs.ENOTFOUND, "no return %q", kind)
	}
	if format == "csv" {
		return csvOut(w)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(v)
}
