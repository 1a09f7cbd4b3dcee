package web

import (
	"net/http"
	"strings"

	"github.com/opencrs/crs"
)

func (s *Server) handleSkipMessage(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		if reason == "" {
			return crs.FieldErrorf("reason", "Say why the message is skipped.")
		}
		a := actorOf(r)
		a.Purpose = "skip: " + reason
		if err := m.SkipMessage(r.Context(), a, id); err != nil {
			return err
		}
		return s.redirect(w, r, "/feeds", "The message was skipped: "+reason)
	}
}
