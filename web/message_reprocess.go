package web

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/opencrs/crs"
)

// offerReprocess offers the "Reprocess these" form on a log filtered to
// one inbound interface's messages in error, for the period searched
// (the whole of its last day).
func (p *messagesPage) offerReprocess(q crs.MessageQuery) {
	if q.Status != crs.MessageFailed || q.Direction == crs.DirectionOut ||
		!slices.ContainsFunc(p.Interfaces, func(i *crs.Interface) bool { return i.ID == q.ChannelID }) {
		return
	}
	p.Reprocess = true
	if !q.From.IsZero() {
		p.ReprocessFrom = dateTimeValue(q.From)
	}
	if !q.To.IsZero() {
		p.ReprocessTo = dateTimeValue(q.To)
	}
}

// handleReprocessMessage applies again one inbound message in error, as
// the interface it came in on, and shows the message as it now stands.
func (s *Server) handleReprocessMessage(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		msg, err := m.ReprocessMessage(r.Context(), actorOf(r), id)
		if err != nil {
			return err
		}
		flash := "The message was reprocessed and applied."
		if msg.Status != crs.MessageApplied {
			flash = "The message was reprocessed and is still " + msg.Status + ": put right the errors below and reprocess it again."
		}
		return s.redirect(w, r, "/messages/"+id, flash)
	}
}

// handleReprocessRange reprocesses, oldest first, the messages in error
// of one inbound interface over a period, from the log filtered to them
// (the search comes in the form's address). A period that cannot be read
// is shown beside the form, on the log as it was.
func (s *Server) handleReprocessRange(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ifaceID := r.PostFormValue("channel")
		page := &messagesPage{}
		fp := formPost{name: "messages", page: page, order: []string{"reprocess_from", "reprocess_to"},
			names: map[string]string{"from": "reprocess_from", "to": "reprocess_to"},
			reload: func() error {
				if err := s.messageLog(r, m, r.URL.Query(), page); err != nil {
					return err
				}
				page.Reprocess = true
				return nil
			}}
		from, to, err := readPeriod(r, "reprocess_from", "reprocess_to", s.now())
		fp.check(err)
		return s.submit(w, r, fp, func() (string, string, error) {
			rep, err := m.ReprocessRange(r.Context(), actorOf(r), ifaceID, from, to)
			back := "/messages"
			if q := messageSearchOf(r.URL.Query()).values(); len(q) > 0 {
				back += "?" + q.Encode()
			}
			return back, reprocessSummary(rep), err
		})
	}
}

// reprocessSummary says what became of a reprocessed period.
func reprocessSummary(rep crs.ReprocessReport) string {
	if rep.Tried == 0 {
		return "No messages in error were found in the period; nothing was reprocessed."
	}
	msg := fmt.Sprintf("Reprocessed %s, oldest first: %d applied", crs.Count(rep.Tried, "message", "messages"), rep.Applied)
	if rep.Failed > 0 {
		msg += fmt.Sprintf(", %d still in error", rep.Failed)
	}
	return msg + "."
}

// ReprocessAction is the address of the "Reprocess these" form: the
// search it was offered on, kept so a refused period shows the same log.
func (p *messagesPage) ReprocessAction() string {
	v := p.Q.values()
	if len(v) == 0 {
		return "/messages/reprocess"
	}
	return "/messages/reprocess?" + v.Encode()
}
