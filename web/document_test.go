package web

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// txa writes a TXA segment with the fields given by number.
func txa(fields map[int]string) string {
	f := make([]string, 23)
	f[0], f[1] = "TXA", "1"
	for n, v := range fields {
		f[n] = v
	}
	return strings.Join(f, "|")
}

// TestDocumentPages files a letter (with markup in its text), its edit
// and a PDF discharge summary from trust A's document system, and reads
// them in the record: the list, the viewer with the text as text, the PDF
// opened inline by its own address, who may, and the audit of the reads.
func TestDocumentPages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		eng := labEngine(t, e)
		p := e.register(e.a, "KING", "Ada", crs.NewDate(1950, 1, 1), "9990000018", "E1 6AN")
		msh := func(trig, ctrl string) string {
			return "MSH|^~\\&|LIMS|RAALAB|OPENCRS|RAA|20260302100000||MDM^" + trig + "^MDM_T02|" + ctrl + "|P|2.5|||AL|NE|GBR"
		}
		pid := "PID|1||9990000018^^^NHS^NH"
		pdf := "%PDF-1.4\n% synthetic discharge summary\ntrailer<<>>\n%%EOF\n"
		handle(t, eng, msh("T02", "M1"), pid, txa(map[int]string{2: "CL^Clinic letter", 3: "TX", 4: "20260302093000", 9: "C1234567^GREY^ANN", 12: "DOC-1", 17: "DI", 19: "AV"}),
			"OBX|1|TX|LET^Clinic letter||Dear Dr Patel, <script>alert(1)</script>~Mrs King is well.||||||F")
		handle(t, eng, msh("T08", "M2"), pid, txa(map[int]string{2: "CL^Clinic letter", 3: "TX", 4: "20260302113000", 9: "C1234567^GREY^ANN", 12: "DOC-1", 17: "AU", 19: "AV"}),
			"OBX|1|TX|LET^Clinic letter||Dear Dr Patel, Mrs King is well; review in 6 weeks.||||||F")
		handle(t, eng, msh("T02", "M3"), pid, txa(map[int]string{2: "DS^Discharge summary", 4: "20260302103000", 9: "C7654321^BLACK^TOM", 12: "DOC-2", 17: "AU", 19: "AV"}),
			"OBX|1|ED|PDF^Discharge summary||^application^pdf^Base64^"+base64.StdEncoding.EncodeToString([]byte(pdf))+"||||||F")

		doctor := e.login(e.a, crs.RoleDoctor)
		// With no legitimate relationship the doctor is offered a claim or
		// break-glass instead of the record; with one, they read it.
		refused := doctor.get("/patients/" + p.ID + "/documents")
		wantStatus(t, "documents without a relationship", refused, http.StatusForbidden)
		wantBody(t, "documents without a relationship", refused, "break the glass")
		storetest.Relate(t, db, e.a.Actor(crs.RoleDoctor), p.ID)
		wantBody(t, "record", doctor.get("/patients/"+p.ID), `href="/patients/`+p.ID+`/documents"`)
		list := doctor.get("/patients/" + p.ID + "/documents")
		wantBody(t, "documents", list, "Clinic letter", "version 2", "Discharge summary", "PDF", "Authenticated")
		ds, err := store.NewClinicalService(db).FindDocuments(context.Background(), e.a.Actor(crs.RoleDoctor), p.ID)
		if err != nil || len(ds) != 2 {
			t.Fatalf("documents: %d, %v", len(ds), err)
		}
		var letter, summary *crs.Document
		for _, d := range ds {
			if d.Number == "DOC-1" {
				letter = d
			} else {
				summary = d
			}
		}
		// The letter's first version: its markup is shown as text.
		first := doctor.get("/patients/" + p.ID + "/documents/" + letter.Replaces)
		wantBody(t, "first version", first, "&lt;script&gt;alert(1)&lt;/script&gt;", "A later version replaced this one", "(shown)")
		if strings.Contains(first.body, "<script>alert") {
			t.Errorf("the letter's markup reached the page")
		}
		wantBody(t, "letter", doctor.get("/patients/"+p.ID+"/documents/"+letter.ID), "review in 6 weeks", "Versions", "Dictated")
		view := doctor.get("/patients/" + p.ID + "/documents/" + summary.ID)
		content := "/patients/" + p.ID + "/documents/" + summary.ID + "/content"
		wantBody(t, "summary", view, `href="`+content+`"`, "Open the PDF")
		r := doctor.get(content)
		if r.status != http.StatusOK || r.body != pdf || r.header.Get("Content-Type") != "application/pdf" ||
			!strings.HasPrefix(r.header.Get("Content-Disposition"), "inline") || !strings.Contains(r.header.Get("Content-Disposition"), `filename=DOC-2-v1.pdf`) {
			t.Errorf("PDF: status %d type %q disposition %q body %d bytes", r.status, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"), len(r.body))
		}
		if r := doctor.get("/patients/" + p.ID + "/documents/" + letter.ID + "/content"); r.status != http.StatusNotFound {
			t.Errorf("content of a text document: status %d, want 404", r.status)
		}
		// Who may.
		if r := e.login(e.a, crs.RoleClerk).get(content); r.status != http.StatusForbidden {
			t.Errorf("clerk: status %d, want 403", r.status)
		}
		if r := e.login(e.b, crs.RoleDoctor).get(content); r.status != http.StatusNotFound {
			t.Errorf("trust B's doctor: status %d, want 404", r.status)
		}
		seen := doctorReads(t, db, e, p.ID)
		for _, w := range []string{"documents", "document", "document content"} {
			if !seen[w] {
				t.Errorf("no audit of the doctor's %q read: %v", w, seen)
			}
		}
	})
}
