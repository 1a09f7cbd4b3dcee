package web

import (
	"net/http"
)

func (s *Server) handleResendMessage(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		if err := m.ResendMessages(r.Context(), actorOf(r), []string{id}); err != nil {
			return err
		}
		return s.redirect(w, r, "/messages/"+id, "The message is queued to be sent again.")
	}
}
