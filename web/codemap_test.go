package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// upload posts a multipart form with one file, adding the CSRF token.
func (c *client) upload(path string, fields url.Values, file, name string) resp {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if _, ok := fields["csrf_token"]; !ok {
		fields.Set("csrf_token", c.csrf)
	}
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write([]byte(file))
	mw.Close()
	req, _ := http.NewRequest("POST", c.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// TestCodeMapPages drives an interface's code map page as an analyst:
// the unmapped code a held message waits for with its count and a link
// to the held messages, adding a mapping (and a refused one beside its
// field), search, editing, a CSV upload refused with file:line and one
// accepted; and the page is the analyst's only.
func TestCodeMapPages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		e := newEnvOn(t, db, clock)
		eng := newEngine(e)
		e.server.once.Do(func() { e.server.pages = mustParseTemplates() })
		mux := http.NewServeMux()
		e.server.routes(mux)
		e.server.messageRoutes(mux, eng)
		e.srv.Close()
		e.srv = httptest.NewServer(securityHeaders(mux))
		t.Cleanup(e.srv.Close)

		iface := &crs.Interface{Name: "Vendor EPR", SendingApplication: "EPR", SendingFacility: "SITE1", UserID: e.a.Users[crs.RoleInterface].ID}
		if err := eng.AddInterface(ctx, e.a.System, iface); err != nil {
			t.Fatal(err)
		}
		raw := "MSH|^~\\&|EPR|SITE1|PAS|RAA|20260302090000||ADT^A01|W1|P|2.4\rEVN|A01\rPID|1||9990000018^^^NHS^NH||WEB^WENDY||19800101|F\rPV1|1|I|NEO^^COT1||||C1234567\r"
		if ack, err := hl7.ParseACK(eng.Handle(ctx, []byte(raw))); err != nil || ack.Code != hl7.AE {
			t.Fatalf("A01 to NEO: %+v %v, want AE (held)", ack, err)
		}
		analyst := e.login(e.a, crs.RoleInterfaceAnalyst)
		wantBody(t, "interfaces", analyst.get("/interfaces"), "Vendor EPR", "EPR@SITE1", "/interfaces/"+iface.ID+"/maps")
		page := "/interfaces/" + iface.ID + "/maps"
		r := analyst.get(page)
		wantStatus(t, "maps", r, http.StatusOK)
		wantBody(t, "maps", r, "Codes with no mapping", "<td>NEO</td>", "status=held", "Map NEO")
		wantBody(t, "held messages", analyst.get("/messages?channel="+iface.ID+"&status=held&direction=in"), "W1")

		r = analyst.post(page, url.Values{"table": {"wards"}, "from": {"NEO"}, "to": {"WD10"}})
		wantStatus(t, "a bad table", r, http.StatusUnprocessableEntity)
		wantBody(t, "a bad table", r, `id="table-error"`, "is not one of location")
		r = analyst.post(page, url.Values{"table": {"location"}, "from": {"neo"}, "to": {"wd10"}})
		wantStatus(t, "add", r, http.StatusSeeOther)
		r = analyst.get(r.loc)
		wantBody(t, "after add", r, "<td>NEO</td><td>WD10</td>", "Every code this interface sent has a mapping")
		r = analyst.post("/interfaces/"+iface.ID+"/reprocess", nil)
		wantStatus(t, "reprocess held", r, http.StatusSeeOther)
		wantBody(t, "after reprocess", analyst.get(r.loc), "Reprocessed 1 held message in the order they arrived: 0 applied, 1 still held")
		if m, err := e.db.SearchMessages(ctx, e.a.Org.ID, crs.MessageQuery{ControlID: "W1"}); err != nil || len(m) != 1 || m[0].Status != crs.MessageHeld {
			t.Errorf("W1 after reprocess: %+v, %v; want still held (the trust has no ward WD10)", m, err)
		}
		r = analyst.post(page+"?table=location", url.Values{"table": {"location"}, "from": {"NEO"}, "to": {"WD20"}})
		wantStatus(t, "edit", r, http.StatusSeeOther)
		wantBody(t, "search", analyst.get(page+"?q=wd2"), "<td>NEO</td><td>WD20</td>")
		if r := analyst.get(page + "?q=zzz"); strings.Contains(r.body, "<td>NEO</td>") {
			t.Errorf("a search for zzz lists NEO")
		}

		r = analyst.upload(page+"/import", url.Values{"table": {"consultant"}}, "from,to\nDRA\nDRB,C1234567\n", "docs.csv")
		wantStatus(t, "a bad CSV", r, http.StatusUnprocessableEntity)
		wantBody(t, "a bad CSV", r, `id="file-error"`, "ocs.csv:2: 1 fields, want 2")
		r = analyst.upload(page+"/import", url.Values{"table": {"consultant"}}, "DRA,C7654321\nDRB,C1234567\n", "docs.csv")
		wantStatus(t, "upload", r, http.StatusSeeOther)
		wantBody(t, "after upload", analyst.get(r.loc), "<td>DRA</td><td>C7654321</td>", "<td>DRB</td><td>C1234567</td>")

		clerk := e.login(e.a, crs.RoleClerk)
		for _, p := range []string{"/interfaces", page} {
			if r := clerk.get(p); r.status != http.StatusForbidden {
				t.Errorf("clerk GET %s: %d, want 403", p, r.status)
			}
		}
		other := e.login(e.b, crs.RoleInterfaceAnalyst)
		if r := other.get(page); r.status != http.StatusNotFound {
			t.Errorf("another trust's analyst GET %s: %d, want 404", page, r.status)
		}
	})
}
