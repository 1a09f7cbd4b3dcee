package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// alertsPage is the privacy officer's inbox of alerts.
type alertsPage struct {
	pageData
	Alerts []*crs.PrivacyAlert
	Open   int
	Note   string
}

// handleAlerts shows the privacy officer's alerts: self-claimed
// relationships, break-glass, sealed records opened, staff opening their
// own record or one at their surname and postcode, and users whose
// volume of access stands out from their peers'.
func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request) error {
	page, err := s.loadAlerts(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "privacy_alerts", page)
}

func (s *Server) loadAlerts(r *http.Request) (*alertsPage, error) {
	if s.Access == nil {
		return nil, errNoPage
	}
	alerts, err := s.Access.Alerts(r.Context(), actorOf(r))
	if err != nil {
		return nil, err
	}
	page := &alertsPage{Alerts: alerts}
	for _, a := range alerts {
		if a.ClosedAt.IsZero() {
			page.Open++
		}
	}
	page.Title, page.Nav = "Privacy alerts", "privacy"
	return page, nil
}

// handleCloseAlert closes an alert with what the privacy officer found.
func (s *Server) handleCloseAlert(w http.ResponseWriter, r *http.Request) error {
	err := s.Access.CloseAlert(r.Context(), actorOf(r), r.PathValue("id"), form(r, "note"))
	if crs.ErrorCode(err) == crs.EINVALID {
		page, lerr := s.loadAlerts(r)
		if lerr != nil {
			return lerr
		}
		(formPost{page: page, fallback: "note"}).check(err)
		return s.reshow(w, r, "privacy_alerts", page, nil)
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, "/privacy/alerts", "Alert closed.")
}
