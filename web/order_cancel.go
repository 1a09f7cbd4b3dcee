package web

import (
	"net/http"
	"net/url"
)

// handleCancelOrder withdraws an open order; the performing system is
// told.
func (s *Server) handleCancelOrder(w http.ResponseWriter, r *http.Request) error {
	if s.Orders == nil {
		return errNoJourney
	}
	o, err := s.Orders.GetOrder(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.Orders.CancelOrder(r.Context(), actorOf(r), o.ID, form(r, "reason")); err != nil {
		return err
	}
	return s.redirect(w, r, "/patients/"+url.PathEscape(o.PatientID)+"/orders", o.Test.Name+" order "+o.PlacerNumber+" cancelled")
}
