package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// errNoDocuments is the error of a document page on a server set up
// without the clinical record's reads.
var errNoDocuments = crs.Errorf(crs.ENOTFOUND, "Clinical documents are not switched on in this service.")

// documentsPage is the data of the list of a patient's documents.
type documentsPage struct {
	pageData
	Patient   *crs.Patient
	Documents []*crs.Document
}

// handleDocuments lists the clinical documents other systems filed to the
// patient's record (letters, discharge summaries, reports), the latest
// version of each, newest first; cancelled ones are marked.
func (s *Server) handleDocuments(w http.ResponseWriter, r *http.Request) error {
	if s.Documents == nil {
		return errNoDocuments
	}
	p, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page := &documentsPage{Patient: p}
	page.Title, page.Banner = "Documents", b
	if page.Documents, err = s.Documents.FindDocuments(r.Context(), actorOf(r), p.ID); err != nil {
		return err
	}
	return s.render(w, r, "documents", page)
}
