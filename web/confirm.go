package web

import (
	"net/http"
	"net/url"
)

// confirmPage asks a member of staff to confirm an action that is rare or
// cannot simply be undone (cancelling an admission, a transfer or a
// discharge) before it is carried out. It is a page of its own, so it
// works without the script: Yes posts the same form again with
// confirm=yes; No goes back.
type confirmPage struct {
	pageData
	Question string     // "Cancel the admission of SMITH, John?"
	Detail   string     // what will happen
	Action   string     // where Yes posts
	Fields   url.Values // the form as first submitted, sent again
	Yes      string     // the Yes button's words
	Back     string     // where No goes
}

// confirmed reports whether the form carries the confirmation; if not, it
// shows the confirmation page and the handler should stop.
func (s *Server) confirmed(w http.ResponseWriter, r *http.Request, banner *banner, p *confirmPage) (bool, error) {
	if form(r, "confirm") == "yes" {
		return true, nil
	}
	p.Fields = url.Values{}
	for k, v := range r.PostForm {
		if k != "csrf_token" && k != "confirm" {
			p.Fields[k] = v
		}
	}
	p.Title, p.Banner = p.Question, banner
	return false, s.render(w, r, "confirm", p)
}
