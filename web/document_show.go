package web

import (
	"net/http"
	"strings"

	"github.com/opencrs/crs"
)

// documentPage is the data of the viewer of one version of a document.
type documentPage struct {
	pageData
	Patient  *crs.Patient
	Document *crs.Document   // the version shown
	Versions []*crs.Document // every version, the latest first
	Link     string          // the reference as a link, when it is an https address
}

// handleDocument shows one version of a document: what it is, who wrote
// and signed it, its text (as text, never as markup), a link that opens a
// PDF in the browser, or the reference to it; and the list of its
// versions.
func (s *Server) handleDocument(w http.ResponseWriter, r *http.Request) error {
	if s.Documents == nil {
		return errNoDocuments
	}
	p, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page := &documentPage{Patient: p}
	page.Banner = b
	id := r.PathValue("doc")
	if page.Versions, err = s.Documents.DocumentHistory(r.Context(), actorOf(r), p.ID, id); err != nil {
		return err
	}
	for _, v := range page.Versions {
		if v.ID == id {
			page.Document = v
		}
	}
	if d := page.Document; d.ContentType == crs.ContentReference && strings.HasPrefix(d.Reference, "https://") {
		page.Link = strings.Fields(d.Reference)[0]
	}
	page.Title = page.Document.Name()
	return s.render(w, r, "document", page)
}
