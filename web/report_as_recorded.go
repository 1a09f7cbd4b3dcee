package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// asRecordedChoice is the "as recorded at" choice of a return's page: the
// time asked for as typed, and, when given, the figures that differ from
// the return known now and the records that explain them.
type asRecordedChoice struct {
	AsRecordedAt string // as typed, e.g. 2026-11-03 09:00
	RecordedBy   string // RFC 3339, once read
	Differences  []crs.FigureDifference
	Changes      []crs.RecordChange
}

// asRecordedParam reads ?as_recorded_at=, a UK time (YYYY-MM-DD HH:MM) or
// a date; zero when not given.
func asRecordedParam(r *http.Request) (time.Time, asRecordedChoice, error) {
	c := asRecordedChoice{AsRecordedAt: strings.TrimSpace(r.URL.Query().Get("as_recorded_at"))}
	if c.AsRecordedAt == "" {
		return time.Time{}, c, nil
	}
	t, err := crs.ParseRecordedAt(c.AsRecordedAt)
	if err != nil {
		return t, c, crs.Errorf(crs.EINVALID, "as recorded at: %q is not a time; write it as YYYY-MM-DD HH:MM (UK time) or a date", c.AsRecordedAt)
	}
	c.RecordedBy = t.UTC().Format(time.RFC3339)
	return t, c, nil
}
