package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// interfacesPage is the data of the inbound interfaces page.
type interfacesPage struct {
	pageData
	Interfaces []*crs.Interface
}

// handleInterfaces lists the trust's inbound interfaces with their
// senders' conventions and a link to each one's code maps.
func (s *Server) handleInterfaces(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		is, _, err := m.Channels(r.Context(), actorOf(r))
		if err != nil {
			return err
		}
		page := &interfacesPage{Interfaces: is}
		page.Title, page.Nav = "Interfaces", "interfaces"
		return s.render(w, r, "interfaces", page)
	}
}
