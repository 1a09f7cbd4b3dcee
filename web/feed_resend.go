package web

import (
	"net/http"
	"strconv"
)

// handleResendRange queues again a destination's messages of a period.
// A period that cannot be read is shown beside the destination's form.
func (s *Server) handleResendRange(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		destID := r.PathValue("id")
		page := &feedsPage{ResendDest: destID}
		fp := formPost{name: "feeds", page: page, order: []string{"from", "to"},
			anchors: map[string]string{"from": "from-" + destID, "to": "to-" + destID},
			reload:  func() error { return s.feeds(r, m, page) }}
		from, to, err := readPeriod(r, "from", "to", s.now())
		fp.check(err)
		return s.submit(w, r, fp, func() (string, string, error) {
			n, err := m.ResendRange(r.Context(), actorOf(r), destID, from, to)
			what := strconv.Itoa(n) + " messages"
			if n == 1 {
				what = "1 message"
			}
			return "/feeds", what + " queued to be sent again.", err
		})
	}
}
