package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// messagePage is the data of one message's page.
type messagePage struct {
	pageData
	Message *crs.Message
	Tree    string
	History []*crs.Event // its reprocesses, newest first
}

// Reprocessable reports whether the page offers to reprocess the
// message: received, refused, from a configured interface.
func (p *messagePage) Reprocessable() bool {
	m := p.Message
	return m.Direction == crs.DirectionIn && crs.Reprocessable(m.Status) && m.ChannelID != "" && p.Can(string(crs.ActManageInterfaces))
}

func (s *Server) handleMessage(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		msg, err := m.FindMessage(r.Context(), actorOf(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		page := &messagePage{Message: msg, Tree: m.MessageTree(msg)}
		if page.History, err = m.MessageHistory(r.Context(), actorOf(r), msg.ID); err != nil {
			return err
		}
		page.Title, page.Nav = "Message "+msg.ControlID, "messages"
		return s.render(w, r, "message", page)
	}
}
