package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// preadmissionPage is the data of a planned admission's page.
type preadmissionPage struct {
	pageData
	Planned *crs.Preadmission
	Ward    string // the ward's code and name, or the code as the sender gave it
	Reason  string
}

func (s *Server) loadPreadmission(r *http.Request, page *preadmissionPage) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	a := actorOf(r)
	p, err := s.Inpatients.FindPreadmission(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := s.patientBanner(r, p.PatientID)
	if err != nil {
		return err
	}
	page.Planned, page.Banner, page.Title = p, b, "Planned admission"
	page.Ward, err = s.wardNames(r, p)
	return err
}

// wardNames writes the planned admission's ward as "CODE Name" when it is
// a ward of the trust, else the code as given.
func (s *Server) wardNames(r *http.Request, p *crs.Preadmission) (string, error) {
	if p.WardID == "" {
		return p.WardCode, nil
	}
	locs, err := s.Orgs.FindLocationsByID(r.Context(), actorOf(r), []string{p.WardID})
	if err != nil {
		return "", err
	}
	if name := wardName(locs[p.WardID]); name != "" {
		return name, nil
	}
	return p.WardCode, nil
}

// handlePreadmission shows a planned admission (pre-admission): when the
// patient is expected, where and under whom, its visit number, and the
// actions to admit the patient or cancel it.
func (s *Server) handlePreadmission(w http.ResponseWriter, r *http.Request) error {
	page := &preadmissionPage{}
	if err := s.loadPreadmission(r, page); err != nil {
		return err
	}
	return s.render(w, r, "preadmission", page)
}
