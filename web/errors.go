package web

import (
	"errors"
	"net/http"

	"github.com/opencrs/crs"
)

// errNoPage is the error of an address that names no page.
var errNoPage = crs.Errorf(crs.ENOTFOUND, "There is no page at this address. Check the address, or find the patient again.")

// errorPage is the data of the error page.
type errorPage struct {
	pageData
	Status  int
	Heading string
	Message string
	Ref     string // the reference of an internal error, logged with its details
}

// fail shows err to the user. It is the one place crs error codes map to
// HTTP statuses and pages: ENOTFOUND 404, EINVALID 400, ECONFLICT 409
// (with the message), EUNAUTHORIZED to the login page, EFORBIDDEN 403
// naming the role, and anything else 500 with a reference logged with the
// details (ids only: never a patient's name or NHS number).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := &errorPage{}
	msg := sentence(crs.ErrorMessage(err))
	var ce *crs.Error
	if errors.As(err, &ce) && ce.Field != "" {
		msg = sentence(ce.Message)
	}
	switch crs.ErrorCode(err) {
	case crs.ENORELATIONSHIP, crs.ESEALED: // a reason can open it: access_choice.go
		s.showAccessChoice(w, r, err)
		return
	case crs.EUNAUTHORIZED:
		s.clearCookie(w, sessionCookie, "/")
		s.toLogin(w, r)
		return
	case crs.ENOTFOUND:
		p.Status, p.Heading, p.Message = http.StatusNotFound, "Page not found", msg
		if err != errNoPage {
			p.Heading = "Not found"
		}
	case crs.EINVALID:
		p.Status, p.Heading, p.Message = http.StatusBadRequest, "There is a problem", msg
	case crs.ECONFLICT:
		p.Status, p.Heading, p.Message = http.StatusConflict, "This cannot be done now", msg
	case crs.EFORBIDDEN:
		p.Status, p.Heading, p.Message = http.StatusForbidden, "You do not have access", msg
		if err == errCSRF {
			p.Heading = "This form could not be accepted"
		}
	default:
		p.Status, p.Heading = http.StatusInternalServerError, "Sorry, there is a problem with the service"
		p.Ref = newRef()
		user := ""
		if sess := sessionOf(r); sess != nil {
			user = sess.user.ID
		}
		s.logger().Error("internal error", "ref", p.Ref, "method", r.Method, "path", r.URL.Path, "user", user, "err", err)
		p.Message = "Try again later. If it happens again, call the service desk and give them the reference below."
	}
	p.Title = p.Heading
	if rerr := s.renderStatus(w, r, p.Status, "error", p); rerr != nil {
		s.logger().Error("render error page", "path", r.URL.Path, "err", rerr)
		http.Error(w, p.Heading, p.Status)
	}
}
