package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/opencrs/crs"
)

// handleReportDownload generates a return for its period as CSV or JSON,
// records it in the submission history with its checksum, and sends it
// as a download.
func (s *Server) handleReportDownload(w http.ResponseWriter, r *http.Request) error {
	if err := s.needAnalyst(r); err != nil {
		return err
	}
	q := r.URL.Query()
	kind, period, format := q.Get("report"), strings.TrimSpace(q.Get("period")), q.Get("format")
	a := actorOf(r)
	var buf bytes.Buffer
	if err := s.Reports.WriteReturn(r.Context(), a, kind, period, format, s.now(), &buf); err != nil {
		return err
	}
	sum := sha256.Sum256(buf.Bytes())
	sub := &crs.ReportSubmission{Report: kind, Period: period, Format: format, Checksum: hex.EncodeToString(sum[:]), Bytes: buf.Len()}
	if err := s.Submissions.RecordSubmission(r.Context(), a, sub); err != nil {
		return err
	}
	ctype := "text/csv; charset=utf-8"
	if format == "json" {
		ctype = "application/json"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+kind+"-"+period+"."+format+`"`)
	w.Header().Set("X-Checksum-SHA256", sub.Checksum)
	_, err := w.Write(buf.Bytes())
	return err
}
