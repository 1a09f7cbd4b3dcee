package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// editPage is the data of the edit demographics page.
type editPage struct {
	pageData
	Form     patientForm
	Conflict string // someone else changed the record meanwhile
}

// handleEditForm shows a patient's demographics for editing, with the
// version read in a hidden field so a change made meanwhile is caught.
func (s *Server) handleEditForm(w http.ResponseWriter, r *http.Request) error {
	p, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	if err := actorOf(r).Authorize(crs.ActAmendDemographics); err != nil {
		return err
	}
	if p.Merged() {
		return crs.Errorf(crs.ECONFLICT, "this record was merged into hospital number %s; change that record instead", b.MergedIntoMRN)
	}
	page := &editPage{Form: formOf(p)}
	page.Title, page.Banner = "Edit demographics", b
	return s.render(w, r, "edit", page)
}

// handleEdit saves changed demographics. If someone else changed the
// record since the form was opened, the user's input is kept and shown
// with the message, and the form takes the new version so saving again
// overwrites knowingly.
func (s *Server) handleEdit(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	cur, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	if err := a.Authorize(crs.ActAmendDemographics); err != nil {
		return err
	}
	page := &editPage{Form: readPatientForm(r)}
	page.Title, page.Banner = "Edit demographics", b
	p := *cur
	page.Form.apply(&p, &page.Errors)
	s.check(&p, &page.Errors)
	err = s.submit(w, r, formPost{name: "edit", page: page, order: patientFields, anchors: patientAnchors}, func() (string, string, error) {
		err := s.Patients.UpdatePatient(r.Context(), a, &p)
		return "/patients/" + p.ID, "Demographics saved", err
	})
	if crs.ErrorCode(err) != crs.ECONFLICT {
		return err
	}
	page.Conflict = sentence(crs.ErrorMessage(err))
	if latest, ferr := s.Patients.FindPatient(r.Context(), a, cur.ID); ferr == nil {
		page.Form.Version = formOf(latest).Version
		page.Banner = s.newBanner(r, latest)
	}
	return s.renderStatus(w, r, http.StatusConflict, "edit", page)
}
