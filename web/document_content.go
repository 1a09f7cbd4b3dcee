package web

import (
	"mime"
	"net/http"
	"regexp"
	"strconv"

	"github.com/opencrs/crs"
)

// unsafeFileName matches what a file name offered to the browser may not
// hold.
var unsafeFileName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// handleDocumentContent sends the file of one version of a document: a
// PDF inline, for the browser to show in its own viewer; any other file
// as a download, never rendered as a page of ours.
func (s *Server) handleDocumentContent(w http.ResponseWriter, r *http.Request) error {
	if s.Documents == nil {
		return errNoDocuments
	}
	p, _, err := s.findPatient(r)
	if err != nil {
		return err
	}
	d, err := s.Documents.GetDocument(r.Context(), actorOf(r), p.ID, r.PathValue("doc"))
	if err != nil {
		return err
	}
	if len(d.Content) == 0 {
		return crs.Errorf(crs.ENOTFOUND, "This document has no file: its text is on its page.")
	}
	name := unsafeFileName.ReplaceAllString(d.Number, "_") + "-v" + strconv.Itoa(d.Version)
	h := w.Header()
	if d.ContentType == crs.ContentPDF {
		h.Set("Content-Type", crs.ContentPDF)
		h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": name + ".pdf"}))
		// The browser's PDF viewer runs in the page: let it, and nothing else.
		h.Set("Content-Security-Policy", "default-src 'none'; object-src 'self'; frame-ancestors 'self'")
		h.Set("X-Frame-Options", "SAMEORIGIN")
	} else {
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	h.Set("Content-Length", strconv.Itoa(len(d.Content)))
	_, _ = w.Write(d.Content) // a client gone away is not an error of the page
	return nil
}
