package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/opencrs/crs"
)

// CodeMapService is what the interface analyst's code map pages need:
// each inbound interface's translation tables and the codes it sent that
// have none. The integration engine implements it beside MessageService.
type CodeMapService interface {
	// SetCodeMap adds or changes one mapping of an interface.
	SetCodeMap(ctx context.Context, a crs.Actor, m *crs.CodeMap) error
	// ImportCodeMaps sets the mappings of a CSV file (from,to) of one
	// table, all or none; errors name the file and line.
	ImportCodeMaps(ctx context.Context, a crs.Actor, interfaceID, table string, r io.Reader, name string) (int, error)
	// ListCodeMaps lists an interface's mappings of a table ("" for all)
	// whose codes contain search.
	ListCodeMaps(ctx context.Context, a crs.Actor, interfaceID, table, search string) ([]*crs.CodeMap, error)
	// UnmappedCodes lists the codes an interface sent that no mapping
	// knows, with the messages they hold and those applied with them.
	UnmappedCodes(ctx context.Context, a crs.Actor, interfaceID string) ([]crs.UnmappedCode, error)
	// ReprocessHeld applies an interface's held messages received since
	// a time, in the order they arrived.
	ReprocessHeld(ctx context.Context, a crs.Actor, interfaceID string, since time.Time) (crs.ReprocessReport, error)
}

// codeMapRoutes lists the code map pages, when the message service also
// serves code maps.
func (s *Server) codeMapRoutes(mux *http.ServeMux, m MessageService) {
	cm, ok := m.(CodeMapService)
	if !ok {
		return
	}
	mux.Handle("GET /interfaces", s.authed(s.handleInterfaces(m)))
	mux.Handle("GET /interfaces/{id}/maps", s.authed(s.handleCodeMaps(m, cm)))
	mux.Handle("POST /interfaces/{id}/maps", s.authed(s.handleCodeMapSave(m, cm)))
	mux.Handle("POST /interfaces/{id}/maps/import", s.authed(s.handleCodeMapImport(m, cm)))
	mux.Handle("POST /interfaces/{id}/reprocess", s.authed(s.handleReprocessHeld(m, cm)))
}

// codeMapsPage is the data of an interface's code map page.
type codeMapsPage struct {
	pageData
	Interface *crs.Interface
	Tables    []string
	Table     string // the table shown; "" for all
	Search    string
	Maps      []*crs.CodeMap
	Unmapped  []crs.UnmappedCode
	// HeldLink is the message log filtered to the interface's held messages.
	HeldLink string
	// The add form as typed (or prefilled from an unmapped code).
	AddTable, AddFrom, AddTo string
	// ImportTable is the table of the upload form.
	ImportTable string
}

// findInterface returns the trust's inbound interface with the id.
func findInterface(r *http.Request, m MessageService, id string) (*crs.Interface, error) {
	is, _, err := m.Channels(r.Context(), actorOf(r))
	if err != nil {
		return nil, err
	}
	for _, i := range is {
		if i.ID == id {
			return i, nil
		}
	}
	return nil, crs.Errorf(crs.ENOTFOUND, "no such inbound interface")
}

// codeMaps fills the code map page of the interface for the search in q.
func codeMaps(r *http.Request, m MessageService, cm CodeMapService, q url.Values, page *codeMapsPage) error {
	i, err := findInterface(r, m, r.PathValue("id"))
	if err != nil {
		return err
	}
	a := actorOf(r)
	page.Interface, page.Tables, page.Title, page.Nav = i, crs.CodeMapTables, "Code maps: "+i.Name, "interfaces"
	page.Table, page.Search = q.Get("table"), q.Get("q")
	if page.Table != "" && !crs.ValidCodeMapTable(page.Table) {
		page.Table = ""
	}
	if page.Maps, err = cm.ListCodeMaps(r.Context(), a, i.ID, page.Table, page.Search); err != nil {
		return err
	}
	if page.Unmapped, err = cm.UnmappedCodes(r.Context(), a, i.ID); err != nil {
		return err
	}
	page.HeldLink = "/messages?" + url.Values{"channel": {i.ID}, "status": {crs.MessageHeld}, "direction": {crs.DirectionIn}}.Encode()
	if page.AddTable == "" {
		page.AddTable, page.AddFrom = q.Get("table"), q.Get("from")
	}
	if page.ImportTable == "" {
		page.ImportTable = page.Table
	}
	return nil
}

// handleCodeMaps shows an interface's code maps: a table per code table,
// search, add, edit, CSV upload, and the codes it sent with no mapping.
func (s *Server) handleCodeMaps(m MessageService, cm CodeMapService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		page := &codeMapsPage{}
		if err := codeMaps(r, m, cm, r.URL.Query(), page); err != nil {
			return err
		}
		return s.render(w, r, "codemaps", page)
	}
}
