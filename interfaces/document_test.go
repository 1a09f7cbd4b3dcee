package interfaces

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// testPDF is a one-page PDF of synthetic text.
const testPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R/Resources<</Font<</F1<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>>>>>>>endobj\n" +
	"4 0 obj<</Length 55>>stream\nBT /F1 18 Tf 20 70 Td (Discharge summary: synthetic) Tj ET\nendstream endobj\n" +
	"trailer<</Root 1 0 R>>\n%%EOF\n"

// mdm writes an MDM message of the trigger from the trust's document
// system (v2.3, as older EPR document feeds send) with its TXA fields and
// OBX segments.
func mdm(trig, ctrl, nhsNo string, txa map[int]string, obx ...string) string {
	txa[1] = "1"
	segs := []string{"MSH|^~\\&|DOCSTORE|RXXEPR|OPENCRS|RXX|20260302110000||MDM^" + trig + "|" + ctrl + "|P|2.3",
		"EVN|" + trig + "|20260302110000", "PID|1||" + nhsNo + "^^^NHS^NH||SMITH^ANNE||19800101|F", "PV1|1|O|OPD", segment("TXA", txa)}
	return strings.Join(append(segs, obx...), "\r") + "\r"
}

// TestDocuments files text, PDF and referenced documents over MLLP,
// replaces, re-authenticates and cancels them, and reads them back as a
// clinician with their history.
func TestDocuments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f, n := senderFixture(t, db, "DOCSTORE", "RXXEPR", 31)
		p := findByNHS(t, db, f.trust, n)
		svc := store.NewClinicalService(db)
		doctor := f.trust.Actor(crs.RoleDoctor)
		storetest.Relate(t, db, doctor, p.ID) // the doctor caring for the patient reads what was filed
		ctx := context.Background()
		pdf64 := base64.StdEncoding.EncodeToString([]byte(testPDF))
		send := func(msg, want string) hl7.ACK {
			t.Helper()
			ack, _ := f.send(t, msg)
			if ack.Code != want {
				t.Fatalf("%s: got %s %+v, want %s", strings.Split(msg, "|")[9], ack.Code, ack.Errors, want)
			}
			return ack
		}

		send(mdm("T02", "D1", n, map[int]string{2: "CL^Clinic letter", 3: "TX", 4: "20260302103000", 9: "C1234567^GREY^ANN^^^DR", 12: "DOC-1001", 17: "DI", 19: "AV"},
			"OBX|1|TX|CLINLET^Clinic letter||Dear Dr Patel,||||||F", "OBX|2|TX|CLINLET^Clinic letter||Thank you for referring Mrs Smith <b>today</b>.~She is well.||||||F"), hl7.AA)
		send(mdm("T02", "D2", n, map[int]string{2: "DS^Discharge summary", 4: "20260302104500", 9: "C7654321^BLACK^TOM", 12: "DOC-1002^DOCSTORE", 17: "AU", 22: "C7654321^BLACK^TOM"},
			"OBX|1|ED|PDF^Discharge summary||^application^pdf^Base64^"+pdf64[:40]+"||||||F", "OBX|2|ED|PDF^Discharge summary||^application^pdf^Base64^"+pdf64[40:]+"||||||F"), hl7.AA)
		send(mdm("T02", "D3", n, map[int]string{2: "RAD", 6: "20260302090000", 12: "DOC-1003", 17: "AU"},
			"OBX|1|RP|RADREP^Chest X-ray report||https://pacs.example/reports/77^PACS&1.2.3&ISO^AP^PDF||||||F"), hl7.AA)
		// The letter is edited (T08, a new number whose parent is the
		// first), the summary legally authenticated without its content
		// resent (T04), the report cancelled (T11).
		send(mdm("T08", "D4", n, map[int]string{2: "CL^Clinic letter", 4: "20260302120000", 9: "C1234567^GREY^ANN", 12: "DOC-1001-2", 13: "DOC-1001", 17: "AU"},
			"OBX|1|FT|CLINLET^Clinic letter||Dear Dr Patel,\\.br\\Mrs Smith is well; review in 6 weeks.||||||F"), hl7.AA)
		send(mdm("T04", "D5", n, map[int]string{2: "DS^Discharge summary", 4: "20260302104500", 12: "DOC-1002", 17: "LA"}), hl7.AA)
		send(mdm("T11", "D6", n, map[int]string{2: "RAD", 12: "DOC-1003", 17: "AU", 19: "CA"}), hl7.AA)

		ds, err := svc.FindDocuments(ctx, doctor, p.ID)
		if err != nil || len(ds) != 3 {
			t.Fatalf("documents: got %d, err %v; want 3", len(ds), err)
		}
		by := map[string]*crs.Document{}
		for _, d := range ds {
			by[d.Number] = d
		}
		letter, summary, report := by["DOC-1001-2"], by["DOC-1002"], by["DOC-1003"]
		if letter == nil || summary == nil || report == nil {
			t.Fatalf("documents by number: %v", by)
		}
		if letter.Version != 2 || letter.State != crs.DocumentCurrent || letter.Text != "Dear Dr Patel,\nMrs Smith is well; review in 6 weeks." ||
			letter.TypeCode != "CL" || letter.Author != "C1234567 ANN GREY" || letter.ContentType != crs.ContentText {
			t.Errorf("edited letter: %+v", letter)
		}
		if summary.Version != 2 || summary.Status != "LA" || summary.ContentType != crs.ContentPDF || summary.Size != len(testPDF) || summary.Authenticator != "C7654321 TOM BLACK" {
			t.Errorf("re-authenticated summary: %+v", summary)
		}
		if report.State != crs.DocumentCancelled || report.ContentType != crs.ContentReference || !strings.HasPrefix(report.Reference, "https://pacs.example/reports/77") ||
			!strings.Contains(report.CancelReason, "D6") || report.Title != "Chest X-ray report" {
			t.Errorf("cancelled report: %+v", report)
		}
		// The history of the letter: the first text kept, unescaped and
		// as sent.
		hist, err := svc.DocumentHistory(ctx, doctor, p.ID, letter.ID)
		if err != nil || len(hist) != 2 {
			t.Fatalf("letter history: %d versions, err %v", len(hist), err)
		}
		if hist[1].Number != "DOC-1001" || hist[1].State != crs.DocumentSuperseded || hist[1].Text != "Dear Dr Patel,\nThank you for referring Mrs Smith <b>today</b>.\nShe is well." {
			t.Errorf("the letter's first version: %+v", hist[1])
		}
		// The PDF is whole in both versions of the summary.
		sh, err := svc.DocumentHistory(ctx, doctor, p.ID, summary.ID)
		if err != nil || len(sh) != 2 {
			t.Fatalf("summary history: %d, %v", len(sh), err)
		}
		for _, v := range sh {
			full, err := svc.GetDocument(ctx, doctor, p.ID, v.ID)
			if err != nil || !bytes.Equal(full.Content, []byte(testPDF)) {
				t.Errorf("summary version %d content: %d bytes, err %v; want the PDF sent", v.Version, len(full.Content), err)
			}
		}
		if _, err := svc.FindDocuments(ctx, f.trust.Actor(crs.RoleClerk), p.ID); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("clerk reading documents: %v, want EFORBIDDEN", err)
		}

		// What cannot be filed is refused with the field named.
		for _, tc := range []struct {
			name, msg, code, seg string
			field                int
			want                 string
		}{
			{"cancel of an unknown document", mdm("T11", "E1", n, map[int]string{12: "DOC-9999"}), hl7.AE, "TXA", 12, "nothing to cancel"},
			{"replacement of a cancelled document", mdm("T10", "E2", n, map[int]string{12: "DOC-1003"}, "OBX|1|TX|||Again||||||F"), hl7.AE, "TXA", 12, "cancelled"},
			{"bad base64", mdm("T02", "E3", n, map[int]string{12: "DOC-2001"}, "OBX|1|ED|PDF||^application^pdf^Base64^%%%notbase64||||||F"), hl7.AE, "OBX", 5, "base64"},
			{"no content", mdm("T02", "E4", n, map[int]string{12: "DOC-2002"}), hl7.AE, "OBX", 5, "no content"},
			{"no number", mdm("T02", "E5", n, map[int]string{2: "CL"}, "OBX|1|TX|||Text||||||F"), hl7.AE, "TXA", 12, "TXA-12"},
			{"no TXA", strings.Replace(mdm("T02", "E6", n, map[int]string{}), "TXA|1\r", "", 1), hl7.AE, "TXA", 0, "TXA segment is missing"},
			{"an event MDM does not have", mdm("T12", "E7", n, map[int]string{12: "DOC-2003"}), hl7.AR, "MSH", 9, "T12"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ack := send(tc.msg, tc.code)
				if len(ack.Errors) == 0 || ack.Errors[0].Segment != tc.seg || ack.Errors[0].Field != tc.field || !strings.Contains(ack.Errors[0].Text, tc.want) {
					t.Errorf("ERR: %+v, want %s-%d containing %q", ack.Errors, tc.seg, tc.field, tc.want)
				}
			})
		}
		// A replacement of a document not filed is filed as new, with a
		// warning saying so.
		ack := send(mdm("T08", "W1", n, map[int]string{12: "DOC-3001", 13: "DOC-3000"}, "OBX|1|TX|||Addendum||||||F"), hl7.AA)
		if len(ack.Errors) != 1 || ack.Errors[0].Severity != hl7.SeverityWarning || ack.Errors[0].Field != 13 {
			t.Errorf("replacement of an unknown document: %+v, want one warning on TXA-13", ack.Errors)
		}
		// A notification without content (T01) files the document as held
		// by its sender; an addendum (T06) is a document of its own with
		// its parent named; an empty ED is left out with a warning.
		send(mdm("T01", "N1", n, map[int]string{2: "OP^Operation note", 12: "DOC-4001", 16: "op-4001.rtf", 17: "AU"}), hl7.AA)
		ack = send(mdm("T06", "N2", n, map[int]string{2: "OP^Operation note", 12: "DOC-4002", 13: "DOC-4001", 17: "AU"},
			"OBX|1|ED|PDF||^application^pdf^Base64^||||||F", "OBX|2|TX|||Addendum: drain removed day 2.||||||F"), hl7.AA)
		if len(ack.Errors) != 1 || ack.Errors[0].Segment != "OBX" || ack.Errors[0].Severity != hl7.SeverityWarning {
			t.Errorf("addendum with an empty ED: %+v, want one warning on the OBX", ack.Errors)
		}
		ds, _ = svc.FindDocuments(ctx, doctor, p.ID)
		by = map[string]*crs.Document{}
		for _, d := range ds {
			by[d.Number] = d
		}
		if note := by["DOC-4001"]; note == nil || note.ContentType != crs.ContentReference || note.Reference != "held by DOCSTORE as document DOC-4001, file op-4001.rtf" {
			t.Errorf("notified document: %+v", note)
		}
		if add := by["DOC-4002"]; add == nil || add.ParentNumber != "DOC-4001" || add.Version != 1 || add.Text != "Addendum: drain removed day 2." {
			t.Errorf("addendum: %+v", add)
		}
		if len(ds) != 6 {
			t.Errorf("documents: %d, want 6", len(ds))
		}
	})
}

// TestDocumentsOfAnUnknownPatientHeld holds a document and its edit for a
// patient not yet known on an interface set to hold them, and files both,
// in order, when the patient is registered and the analyst reprocesses.
func TestDocumentsOfAnUnknownPatientHeld(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		docs := f.addConfigured(t, &crs.Interface{SendingApplication: "DOCSTORE", SendingFacility: "RXXEPR", UnknownPatient: crs.UnknownPatientHold})
		n := testNHS(35)
		for _, c := range []struct{ trig, ctrl, text string }{{"T02", "H1", "First draft"}, {"T08", "H2", "Final text"}} {
			ack, _ := f.send(t, mdm(c.trig, c.ctrl, n, map[int]string{2: "CL", 12: "DOC-7", 17: "AU"}, "OBX|1|TX|||"+c.text+"||||||F"))
			if ack.Code != hl7.AE || messageByControlID(t, db, f.trust.Org.ID, c.ctrl).Status != crs.MessageHeld {
				t.Fatalf("%s for an unknown patient: %s %+v, want AE and held", c.trig, ack.Code, ack.Errors)
			}
		}
		if ack, _ := f.send(t, adtMsg("A28", "H-REG", "RXX", pidSeg(n, "", "RXX", "SMITH", "ANNE", "19800101"))); ack.Code != hl7.AA {
			t.Fatal(ack)
		}
		clock.Advance(time.Minute)
		rep, err := f.e.ReprocessHeld(ctx, f.trust.Actor(crs.RoleInterfaceAnalyst), docs.ID, time.Time{})
		if err != nil || rep.Applied != 2 {
			t.Fatalf("reprocess: %+v, %v; want both applied", rep, err)
		}
		p := findByNHS(t, db, f.trust, n)
		svc := store.NewClinicalService(db)
		storetest.Relate(t, db, f.trust.Actor(crs.RoleDoctor), p.ID)
		ds, err := svc.FindDocuments(ctx, f.trust.Actor(crs.RoleDoctor), p.ID)
		if err != nil || len(ds) != 1 || ds[0].Version != 2 || ds[0].Text != "Final text" {
			t.Fatalf("documents after reprocessing: %+v, %v; want DOC-7 version 2 with the final text", ds, err)
		}
	})
}

// TestLargePDFOverMLLP files a discharge summary with a 3 MB PDF (4 MB
// base64-encoded, as scanned letters are) over MLLP, whole.
func TestLargePDFOverMLLP(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f, n := senderFixture(t, db, "DOCSTORE", "RXXEPR", 36)
		pdf := make([]byte, 3<<20)
		copy(pdf, "%PDF-1.4\n")
		for i := 9; i < len(pdf); i++ {
			pdf[i] = byte(i * 7)
		}
		msg := mdm("T02", "BIG1", n, map[int]string{2: "DS^Discharge summary", 12: "DOC-BIG", 17: "AU"},
			"OBX|1|ED|PDF^Discharge summary||^application^pdf^Base64^"+base64.StdEncoding.EncodeToString(pdf)+"||||||F")
		if ack, _ := f.send(t, msg); ack.Code != hl7.AA {
			t.Fatalf("large PDF: %s %+v", ack.Code, ack.Errors)
		}
		p := findByNHS(t, db, f.trust, n)
		svc := store.NewClinicalService(db)
		storetest.Relate(t, db, f.trust.Actor(crs.RoleDoctor), p.ID)
		ds, err := svc.FindDocuments(context.Background(), f.trust.Actor(crs.RoleDoctor), p.ID)
		if err != nil || len(ds) != 1 {
			t.Fatalf("documents: %d, %v", len(ds), err)
		}
		d, err := svc.GetDocument(context.Background(), f.trust.Actor(crs.RoleDoctor), p.ID, ds[0].ID)
		if err != nil || !bytes.Equal(d.Content, pdf) || d.ContentType != crs.ContentPDF {
			t.Errorf("content: %d bytes of %s, err %v; want the %d bytes sent", len(d.Content), d.ContentType, err, len(pdf))
		}
	})
}
