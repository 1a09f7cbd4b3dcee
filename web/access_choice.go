package web

import (
	"net/http"
	"strings"

	"github.com/opencrs/crs"
)

// accessChoicePage is the page a clinician sees instead of a patient's
// clinical record when they have no legitimate relationship with the
// patient, or the record is sealed: what they can do about it, with the
// reason they must give.
type accessChoicePage struct {
	pageData
	PatientID string
	Message   string
	Sealed    bool   // the record is sealed: open it with a justification
	Next      string // the page to go back to once access is given
	Kind      string
	Reason    string
}

// accessKinds are the choices of the no-relationship page.
var accessKinds = map[string]crs.GrantKind{"claim": crs.GrantClaim, "break_glass": crs.GrantBreakGlass, "sealed": crs.GrantSealed}

// showAccessChoice answers a refusal for want of a relationship (or of a
// sealed record opened) with the page offering to claim one, break the
// glass or open the sealed record, with status 403.
func (s *Server) showAccessChoice(w http.ResponseWriter, r *http.Request, err error) {
	page := &accessChoicePage{PatientID: r.PathValue("id"), Message: sentence(crs.ErrorMessage(err)),
		Sealed: crs.ErrorCode(err) == crs.ESEALED, Next: r.URL.RequestURI()}
	if r.Method != http.MethodGet {
		page.Next = "/patients/" + page.PatientID
	}
	s.renderAccessChoice(w, r, http.StatusForbidden, page)
}

func (s *Server) renderAccessChoice(w http.ResponseWriter, r *http.Request, status int, page *accessChoicePage) {
	page.Title = "You need a reason to see this record"
	if page.Sealed {
		page.Title = "This record is sealed"
	}
	if page.PatientID != "" {
		if _, b, err := s.findPatient(r); err == nil {
			page.Banner = b
		}
	}
	if err := s.renderStatus(w, r, status, "access_choice", page); err != nil {
		s.logger().Error("render access choice", "path", r.URL.Path, "err", err)
		http.Error(w, page.Title, status)
	}
}

// handleGrantAccess records a self-claimed relationship, a break-glass or
// a sealed record opened, with the reason given, and goes back to the
// page asked for. The privacy officer is alerted.
func (s *Server) handleGrantAccess(w http.ResponseWriter, r *http.Request) error {
	page := &accessChoicePage{PatientID: r.PathValue("id"), Kind: form(r, "kind"), Reason: form(r, "reason"), Next: safeNext(form(r, "next"))}
	page.Sealed = page.Kind == "sealed"
	if !strings.HasPrefix(page.Next, "/patients/"+page.PatientID) {
		page.Next = "/patients/" + page.PatientID
	}
	kind, ok := accessKinds[page.Kind]
	if !ok {
		page.Errors.add("kind", "kind-claim", "Choose why you need to see the record")
	}
	if s.Access == nil {
		return errNoPage
	}
	if !page.Errors.Any() {
		g, err := s.Access.GrantAccess(r.Context(), actorOf(r), page.PatientID, kind, page.Reason)
		if err == nil {
			return s.redirect(w, r, page.Next, "Access recorded until "+showDateTime(g.EndsAt)+". The privacy officer has been told.")
		}
		if !(formPost{page: page, fallback: "reason"}).check(err) {
			return err
		}
	}
	page.Message = "Give your reason to go on."
	s.renderAccessChoice(w, r, http.StatusUnprocessableEntity, page)
	return nil
}
