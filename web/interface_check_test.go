package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// checkEnv is the analyst's pages on db with trust A's PAS interface
// configured on the engine.
func checkEnv(t *testing.T, db *store.DB, clock *crs.FixedClock) (*env, *crs.Interface) {
	t.Helper()
	e, eng := newMessagesEnvOn(t, db, clock)
	i := &crs.Interface{Name: "PAS", SendingApplication: "PAS", SendingFacility: "RAA", UserID: e.a.Users[crs.RoleInterface].ID}
	if err := eng.AddInterface(context.Background(), e.a.System, i); err != nil {
		t.Fatal(err)
	}
	return e, i
}

// uploadFiles posts a multipart form with the files (name to content) and the
// fields, adding the CSRF token the client last saw.
func (c *client) uploadFiles(path string, fields map[string]string, files map[string]string) resp {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if _, ok := fields["csrf_token"]; !ok {
		mw.WriteField("csrf_token", c.csrf)
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for name, content := range files {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			c.t.Fatal(err)
		}
		fw.Write([]byte(content))
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// checkTraffic is a file of trust A's PAS: a registration, a change of
// name the registration makes possible, and a result for a patient the
// trust does not know, in LF line ends.
var checkTraffic = strings.Join([]string{
	"MSH|^~\\&|PAS|RAA|OPENCRS|RAA|20260302090000||ADT^A28^ADT_A05|WC1|P|2.4",
	"EVN|A28|20260302090000",
	"PID|1||9990000018^^^NHS^NH||UPLOAD^ADA||19800501|F|||1 High Street^^London^^E1 6AN",
	"MSH|^~\\&|PAS|RAA|OPENCRS|RAA|20260302090500||ADT^A31^ADT_A05|WC2|P|2.4",
	"EVN|A31|20260302090500",
	"PID|1||9990000018^^^NHS^NH||UPLOAD-SMITH^ADA||19800501|F|||1 High Street^^London^^E1 6AN",
	"MSH|^~\\&|PAS|RAA|OPENCRS|RAA|20260302091000||ORU^R01^ORU_R01|WC3|P|2.4",
	"PID|1||9990000026^^^NHS^NH",
	"OBR|1|PL1|FL1|FBC^Full blood count|||20260302080000||||||||||||||||||F",
	"OBX|1|NM|HB^Haemoglobin||135|g/L|120-150|N|||F",
}, "\n") + "\n"

// TestInterfaceCheckPage uploads a file of traffic on the interface's
// check page and checks the report shown, that nothing of it stays in
// the database, what a form without a file gets, and who may check.
func TestInterfaceCheckPage(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e, i := checkEnv(t, db, clock)
		ctx := context.Background()
		path := "/interfaces/" + i.ID + "/check"
		analyst := e.login(e.a, crs.RoleInterfaceAnalyst)
		r := analyst.get("/interfaces")
		wantBody(t, "interfaces page", r, `<a href="`+path+`">Check traffic`)
		r = analyst.get(path)
		wantStatus(t, "check page", r, http.StatusOK)
		wantBody(t, "check page", r, `enctype="multipart/form-data"`, `type="file" id="file" name="file"`, "nothing is written and nothing is sent")

		db.Flush(ctx)
		before := storetest.TableCounts(t, db)
		r = analyst.uploadFiles(path, nil, map[string]string{"monday.hl7": checkTraffic})
		wantStatus(t, "upload", r, http.StatusOK)
		wantBody(t, "report", r,
			`id="report-summary">2 applied, 0 applied with warnings, 0 held, 1 refused, 0 stored but not applied, 0 duplicates.`,
			`<th scope="row">ADT^A28</th><td>1</td><td>1</td>`,
			`<th scope="row">ORU^R01</th><td>1</td><td>0</td><td>0</td><td>0</td><td>1</td>`,
			`id="report-refused"`, "unknown patient", "monday.hl7:7",
			"No code needs a mapping.")
		db.Flush(ctx)
		if diff := cmp.Diff(before, storetest.TableCounts(t, db)); diff != "" {
			t.Errorf("rows after the check (-before +after):\n%s", diff)
		}

		// An admission to a ward the trust does not know: held, and its
		// code listed to map, with the way to the code maps.
		admit := checkTraffic + strings.Join([]string{
			"MSH|^~\\&|PAS|RAA|OPENCRS|RAA|20260302083000||ADT^A01^ADT_A01|WC4|P|2.4",
			"EVN|A01|20260302083000",
			"PID|1||9990000018^^^NHS^NH||UPLOAD-SMITH^ADA||19800501|F|||1 High Street^^London^^E1 6AN",
			"PV1|1|I|WD99^^B01||||C1234567^SMITH^JOHN^^^DR|||100||||19|||||V77",
		}, "\n") + "\n"
		r = analyst.uploadFiles(path, nil, map[string]string{"tuesday.hl7": admit})
		wantStatus(t, "upload with an unknown ward", r, http.StatusOK)
		wantBody(t, "unknown ward", r, `id="report-held"`, "point of care WD99", "tuesday.hl7:11",
			`id="report-unmapped"`, "<td>location</td><td><code>WD99</code></td><td>1</td><td>0</td>", `href="/interfaces/`+i.ID+`/maps"`)

		// No file: the form again with the problem beside the field.
		r = analyst.uploadFiles(path, map[string]string{"fresh": "1"}, nil)
		wantStatus(t, "no file", r, http.StatusUnprocessableEntity)
		wantBody(t, "no file", r, `id="file-error"`, "Choose a file of HL7 messages to check", `id="fresh" name="fresh" value="1" checked`)
		r = analyst.uploadFiles(path, nil, map[string]string{"empty.hl7": "\n# nothing yet\n"})
		wantStatus(t, "no message", r, http.StatusUnprocessableEntity)
		wantBody(t, "no message", r, "There are no HL7 messages in the file")
		// A file that is not HL7: refused, saying where and why.
		r = analyst.uploadFiles(path, nil, map[string]string{"notes.txt": "just notes\n"})
		wantStatus(t, "not HL7", r, http.StatusOK)
		wantBody(t, "not HL7", r, "message does not start with an MSH segment", `<ul class="list" id="report-unreadable"><li>notes.txt:1 (message 1 of the file): the message cannot be read`)

		// A file larger than a form may be: said so, not taken for a forgery.
		r = analyst.uploadFiles(path, nil, map[string]string{"huge.hl7": strings.Repeat("x", maxUpload+1)})
		wantStatus(t, "too large", r, http.StatusBadRequest)
		wantBody(t, "too large", r, "larger than the 32 MB a form may be")

		// Only the interface analysts of the interface's trust.
		clerk := e.login(e.a, crs.RoleClerk)
		wantStatus(t, "clerk", clerk.get(path), http.StatusForbidden)
		wantStatus(t, "clerk uploads", clerk.uploadFiles(path, nil, map[string]string{"x.hl7": checkTraffic}), http.StatusForbidden)
		other := e.login(e.b, crs.RoleInterfaceAnalyst)
		wantStatus(t, "another trust's analyst", other.get(path), http.StatusNotFound)
		wantStatus(t, "without the form's token", analyst.uploadFiles(path, map[string]string{"csrf_token": "forged"}, map[string]string{"x.hl7": checkTraffic}), http.StatusForbidden)
	})
}
