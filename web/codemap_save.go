package web

import (
	"net/http"
	"net/url"

	"github.com/opencrs/crs"
)

// handleCodeMapSave adds a mapping, or changes one (the edit form of a
// row posts the same): the sender's code in a table means our code. A
// refusal is shown beside the form, on the page as it was.
func (s *Server) handleCodeMapSave(m MessageService, cm CodeMapService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		page := &codeMapsPage{AddTable: form(r, "table"), AddFrom: form(r, "from"), AddTo: form(r, "to")}
		back := r.URL.Query()
		fp := formPost{name: "codemaps", page: page, order: []string{"table", "from", "to"}, fallback: "to",
			reload: func() error { return codeMaps(r, m, cm, back, page) }}
		c := &crs.CodeMap{InterfaceID: r.PathValue("id"), Table: page.AddTable, From: page.AddFrom, To: page.AddTo}
		c.Normalize()
		fp.check(c.Validate())
		return s.submit(w, r, fp, func() (string, string, error) {
			if _, err := findInterface(r, m, c.InterfaceID); err != nil {
				return "", "", err
			}
			err := cm.SetCodeMap(r.Context(), actorOf(r), c)
			to := "/interfaces/" + url.PathEscape(c.InterfaceID) + "/maps?" + url.Values{"table": {c.Table}}.Encode()
			return to, c.Table + " " + c.From + " now maps to " + c.To + ". Reprocess the held messages to apply those waiting for it.", err
		})
	}
}
