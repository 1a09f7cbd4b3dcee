package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/opencrs/crs"
)

// maxCodeMapUpload is the largest CSV of code maps accepted.
const maxCodeMapUpload = 4 << 20

// handleCodeMapImport sets the mappings of an uploaded CSV file (from,to
// per line) of one table, all or none; each bad line is named beside the
// upload form with the file and line.
func (s *Server) handleCodeMapImport(m MessageService, cm CodeMapService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		r.Body = http.MaxBytesReader(w, r.Body, maxCodeMapUpload)
		page := &codeMapsPage{ImportTable: form(r, "table")}
		fp := formPost{name: "codemaps", page: page, order: []string{"import_table", "file"}, fallback: "file",
			names:  map[string]string{"table": "import_table"},
			reload: func() error { return codeMaps(r, m, cm, r.URL.Query(), page) }}
		file, header, err := r.FormFile("file")
		if err != nil {
			fp.check(crs.FieldErrorf("file", "choose a CSV file of from,to lines to upload"))
		} else {
			defer file.Close()
		}
		if !crs.ValidCodeMapTable(page.ImportTable) {
			fp.check(crs.FieldErrorf("table", "choose the table the file maps"))
		}
		return s.submit(w, r, fp, func() (string, string, error) {
			id := r.PathValue("id")
			if _, err := findInterface(r, m, id); err != nil {
				return "", "", err
			}
			n, err := cm.ImportCodeMaps(r.Context(), actorOf(r), id, page.ImportTable, file, header.Filename)
			if err != nil {
				return "", "", crs.FieldErrorf("file", "%s", crs.ErrorMessage(err))
			}
			to := "/interfaces/" + url.PathEscape(id) + "/maps?" + url.Values{"table": {page.ImportTable}}.Encode()
			return to, strconv.Itoa(n) + " mappings of " + page.ImportTable + " set from " + header.Filename + ".", nil
		})
	}
}
