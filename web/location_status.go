package web

import (
	"net/http"
	"strings"

	"github.com/opencrs/crs"
)

// handleLocationStatus opens, closes or puts out of use one bed. A wrong
// choice, or closing a bed with a patient in it, shows the Locations page
// again with the problem beside that bed's status.
func (s *Server) handleLocationStatus(w http.ResponseWriter, r *http.Request) error {
	p := &locationsPage{Focus: r.PathValue("id"), Status: form(r, "status")}
	if err := s.loadLocations(r, p); err != nil {
		return err
	}
	var bed *crs.Location
	for _, site := range p.Sites {
		site.Walk(func(n *crs.LocationNode) {
			if n.ID == p.Focus && n.Kind == crs.LocationBed {
				bed = n.Location
			}
		})
	}
	if bed == nil {
		return crs.Errorf(crs.ENOTFOUND, "There is no such bed in this trust.")
	}
	field := "status-" + bed.ID
	l := *bed
	l.Status = crs.BedStatus(p.Status)
	return s.submit(w, r, formPost{name: "locations", page: p, names: map[string]string{"status": field}, fallback: field}, func() (string, string, error) {
		err := l.Validate()
		if err == nil {
			err = s.Orgs.UpdateLocation(r.Context(), actorOf(r), &l)
		}
		return "/locations#loc-" + bed.ID, "Bed " + bed.Code + " is now " + strings.ToLower(bedStatusName(l.Status)) + ".", err
	})
}
