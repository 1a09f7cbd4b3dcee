package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// handleResendRange queues again a destination's messages of a period.
// A period that cannot be read is shown beside the destination's form.
func (s *Server) handleResendRange(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		destID := r.PathValue("id")
		var es crs.Errors
		parse := func(f string) time.Time {
			v := strings.TrimSpace(r.PostFormValue(f))
			t, err := time.ParseInLocation("2006-01-02T15:04", v, crs.London)
			if err != nil {
				es = append(es, crs.FieldErrorf(f, "enter the %s of the period as a date and time, such as 2026-03-02 09:00", map[string]string{"from": "start", "to": "end"}[f]))
			}
			return t.UTC()
		}
		from, to := parse("from"), parse("to")
		err := es.Err()
		n := 0
		if err == nil {
			n, err = m.ResendRange(r.Context(), actorOf(r), destID, from, to)
		}
		if onForm(err) {
			page, perr := s.feeds(r, m)
			if perr != nil {
				return perr
			}
			page.Errors.addErr(err, map[string]string{"from": "from-" + destID, "to": "to-" + destID})
			page.ResendDest, page.ResendFrom, page.ResendTo = destID, r.PostFormValue("from"), r.PostFormValue("to")
			return s.reshow(w, r, "feeds", page, []string{"from", "to"})
		}
		if err != nil {
			return err
		}
		what := strconv.Itoa(n) + " messages"
		if n == 1 {
			what = "1 message"
		}
		return s.redirect(w, r, "/feeds", what+" queued to be sent again.")
	}
}

// onForm reports whether err is about fields of a form, to be shown
// beside them, rather than a page of its own.
func onForm(err error) bool {
	for f := range crs.FieldErrors(err) {
		if f != "" {
			return true
		}
	}
	return false
}
