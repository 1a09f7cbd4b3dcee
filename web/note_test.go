package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/interfaces"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// noteFixture is a trust with the clinical notes wired as cmd/crs wires
// them, a GP feed marked for documents, the sample-like templates
// loaded, a general surgery clinic and a patient registered with a GP
// practice, referred and booked into it.
type noteFixture struct {
	e           *env
	notes       *fhir.NoteService
	p           *crs.Patient
	appointment *crs.Appointment
	clinic      *crs.Clinic
	templates   []*crs.NoteTemplate
}

const noteTemplatesCSV = `specialty,kind,title,heading,prompt
100,letter,General surgery clinic letter,Diagnosis,The working or confirmed diagnosis
100,letter,General surgery clinic letter,Plan,"Operation listed, tests ordered, follow-up"
100,letter,General surgery clinic letter,Actions for the GP,
300,note,Ward round note,Assessment,
300,note,Ward round note,Plan,Jobs for the team today
`

func startNotes(t *testing.T, e *env) *noteFixture {
	t.Helper()
	ctx := context.Background()
	rs := store.NewResourceService(e.db)
	notes := &fhir.NoteService{Store: e.db, Resources: rs, Records: rs, Outpatients: store.NewOutpatientService(e.db)}
	e.server.Notes = notes
	e.withClinicalLists()
	eng := interfaces.New(e.db, e.server.Logger)
	if err := eng.AddDestination(ctx, e.a.System, &crs.Destination{Name: "GP documents", Addr: "127.0.0.1:9", ReceivingApplication: "DOCMAN",
		ReceivingFacility: "GP", Triggers: []string{"T02", "T08"}}); err != nil {
		t.Fatal(err)
	}
	ts, err := crs.ReadNoteTemplates(strings.NewReader(noteTemplatesCSV), "templates.csv")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := notes.LoadTemplates(ctx, e.a.System, ts); err != nil || n != 2 {
		t.Fatalf("load templates: %d changed, %v; want 2", n, err)
	}
	st := e.setUp(e.a)
	p := &crs.Patient{FamilyName: "Letterby", GivenName: "Lena", BirthDate: crs.NewDate(1958, 7, 9), NHSNumber: "9990000034", Gender: "2",
		Address: crs.Address{Lines: []string{"7 Mill Lane", "Leeds"}, Postcode: "LS1 4AP"}, GPName: "Dr Hollis", GPPracticeCode: "B86001", GPPracticeName: "Millbrook Surgery"}
	if err := e.ps.RegisterPatient(ctx, e.a.Actor(crs.RoleClerk), p); err != nil {
		t.Fatal(err)
	}
	e.relate(p.ID, crs.RoleDoctor, crs.RoleNurse)
	clerk := e.a.Actor(crs.RoleClerk)
	ref := &crs.Referral{PatientID: p.ID, Source: "03", ReferrerCode: "G1234567", ReceivedOn: crs.LocalDate(e.clock.Now()), Priority: crs.PriorityRoutine,
		Specialty: "100", TreatmentFunction: "100", ConsultantCode: "C1234567", ConsultantLed: true}
	if err := store.NewReferralService(e.db).RecordReferral(ctx, clerk, ref); err != nil {
		t.Fatal(err)
	}
	op := store.NewOutpatientService(e.db)
	slots, err := op.FindSlots(ctx, clerk, crs.SlotQuery{ClinicID: st.clinic.ID, Type: crs.SlotNew, FreeOnly: true, From: e.clock.Now()})
	if err != nil || len(slots) == 0 {
		t.Fatalf("free slots: %d, %v", len(slots), err)
	}
	ap, err := op.BookAppointment(ctx, clerk, crs.Booking{ReferralID: ref.ID, SlotID: slots[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Set(slots[0].Start.Add(10 * time.Minute))
	templates, err := notes.Templates(ctx, e.a.Actor(crs.RoleDoctor), "")
	if err != nil || len(templates) != 2 {
		t.Fatalf("templates: %+v, %v", templates, err)
	}
	return &noteFixture{e: e, notes: notes, p: p, appointment: ap, clinic: st.clinic, templates: templates}
}

// attend records the fixture's appointment attended, with an outcome.
func (f *noteFixture) attend(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	op := store.NewOutpatientService(f.e.db)
	if err := op.RecordAttendance(ctx, f.e.a.Actor(crs.RoleClerk), f.appointment.ID, true, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := op.RecordOutcome(ctx, f.e.a.Actor(crs.RoleDoctor), f.appointment.ID, &crs.Outcome{RTTStatus: 20, NextStep: crs.NextFollowUp, FollowUpWeeks: 6, Note: "Ultrasound first"}); err != nil {
		t.Fatal(err)
	}
}

func (f *noteFixture) template(kind string) *crs.NoteTemplate {
	for _, t := range f.templates {
		if t.Kind == kind {
			return t
		}
	}
	return nil
}

// outbound lists the messages queued to the feeds, newest first.
func (e *env) outbound(t *testing.T) []*crs.Message {
	t.Helper()
	out, err := e.db.SearchMessages(context.Background(), e.a.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestClinicalNotes drafts, edits, signs, amends and marks in error a
// ward round note through the service on both engines: a lost update is
// refused, a signed note is immutable, an amendment keeps the versions
// before, and an administrative clerk sees none of it.
func TestClinicalNotes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		e := newEnvOn(t, db, clock)
		f := startNotes(t, e)
		nurse, doctor, clerk := e.a.Actor(crs.RoleNurse), e.a.Actor(crs.RoleDoctor), e.a.Actor(crs.RoleClerk)
		tmpl := f.template(crs.NoteKindNote)

		n := &crs.ClinicalNote{Entry: crs.Entry{PatientID: f.p.ID}, Title: tmpl.Title, TemplateID: tmpl.ID, Sections: append([]crs.NoteSection(nil), tmpl.Sections...)}
		if err := f.notes.SaveNote(ctx, nurse, n); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("a note with nothing written: %v, want EINVALID", err)
		}
		n.Sections[0].Text = "Comfortable overnight, afebrile"
		if err := f.notes.SaveNote(ctx, clerk, n); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("a clerk writes a note: %v, want EFORBIDDEN", err)
		}
		if err := f.notes.SaveNote(ctx, nurse, n); err != nil {
			t.Fatal(err)
		}
		if n.Version != 1 || n.Status != crs.SummaryDraft || n.Author != nurse.Username || n.Specialty != "300" || n.RecordedAt.IsZero() || n.EffectiveAt.IsZero() {
			t.Errorf("draft: %+v", n)
		}
		id := n.ID

		// Two edits of version 1: the second is a lost update, refused.
		a := &crs.ClinicalNote{Entry: crs.Entry{ID: id, PatientID: f.p.ID, Version: 1}, Title: n.Title, Sections: []crs.NoteSection{{Heading: "Assessment", Text: "Improving"}, {Heading: "Plan", Text: "Home tomorrow"}}}
		b := &crs.ClinicalNote{Entry: crs.Entry{ID: id, PatientID: f.p.ID, Version: 1}, Title: n.Title, Sections: []crs.NoteSection{{Heading: "Plan", Text: "Stay"}}}
		if err := f.notes.SaveNote(ctx, doctor, a); err != nil || a.Version != 2 {
			t.Fatalf("edit the draft: version %d, %v", a.Version, err)
		}
		if err := f.notes.SaveNote(ctx, nurse, b); crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(crs.ErrorMessage(err), "version 2") {
			t.Errorf("lost update: %v, want ECONFLICT naming version 2", err)
		}

		// A nurse signs a note; once signed it is immutable.
		if err := f.notes.SignNote(ctx, clerk, a); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("a clerk signs: %v, want EFORBIDDEN", err)
		}
		if err := f.notes.SignNote(ctx, nurse, a); err != nil {
			t.Fatal(err)
		}
		if a.Status != crs.SummarySigned || a.SignedBy != nurse.Username || a.Version != 3 {
			t.Errorf("signed: %+v", a)
		}
		a.Sections[1].Text = "Changed after signing"
		if err := f.notes.SaveNote(ctx, doctor, a); crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(crs.ErrorMessage(err), "is amended") {
			t.Errorf("edit a signed note: %v, want ECONFLICT saying it is amended", err)
		}
		if err := f.notes.SignNote(ctx, doctor, a); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("sign a signed note again: %v, want ECONFLICT", err)
		}
		if err := f.notes.AmendNote(ctx, doctor, a, " "); !crs.HasFieldError(err, "reason") {
			t.Errorf("amend without a reason: %v, want an error on reason", err)
		}
		if err := f.notes.AmendNote(ctx, doctor, a, "Plan changed on the evening review"); err != nil {
			t.Fatal(err)
		}
		got, err := f.notes.FindNote(ctx, doctor, f.p.ID, id)
		if err != nil || got.Status != crs.SummaryAmended || got.Sections[1].Text != "Changed after signing" || got.AmendReason != "Plan changed on the evening review" || got.Version != 4 {
			t.Errorf("amended: %+v, %v", got, err)
		}
		hist, err := f.notes.NoteHistory(ctx, doctor, f.p.ID, id)
		if err != nil || len(hist) != 4 {
			t.Fatalf("history: %d versions, %v; want 4", len(hist), err)
		}
		var statuses []string
		for _, h := range hist {
			statuses = append(statuses, h.Status)
		}
		if want := "amended signed draft draft"; strings.Join(statuses, " ") != want || hist[1].Sections[1].Text != "Home tomorrow" {
			t.Errorf("history statuses %v (want %s), signed version's plan %q", statuses, want, hist[1].Sections[1].Text)
		}

		// Entered in error: with a reason, then nothing more changes.
		if err := f.notes.EnterNoteInError(ctx, doctor, f.p.ID, id, ""); !crs.HasFieldError(err, "reason") {
			t.Errorf("in error without a reason: %v", err)
		}
		if err := f.notes.EnterNoteInError(ctx, doctor, f.p.ID, id, "Written on the wrong patient"); err != nil {
			t.Fatal(err)
		}
		if err := f.notes.AmendNote(ctx, doctor, &crs.ClinicalNote{Entry: crs.Entry{ID: id, PatientID: f.p.ID}, Title: "x", Sections: []crs.NoteSection{{Heading: "Plan", Text: "x"}}}, "again"); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("amend a note in error: %v, want ECONFLICT", err)
		}
		list, err := f.notes.ListNotes(ctx, doctor, f.p.ID)
		if err != nil || len(list) != 1 || !list[0].InError() || list[0].ErrorReason != "Written on the wrong patient" {
			t.Errorf("list: %+v, %v", list, err)
		}

		// Over /fhir: the note by patient, type and date, and its versions.
		get := e.fhirAPI(t)
		for q, want := range map[string]int{
			"Composition?patient=" + f.p.ID + "&type=" + fhir.ProgressNoteCode:                                               1,
			"Composition?type=http://snomed.info/sct|" + fhir.ProgressNoteCode + "&date=" + clock.Now().Format("2006-01-02"): 1,
			"Composition?patient=" + f.p.ID + "&status=entered-in-error":                                                     1,
			"Composition?patient=" + f.p.ID + "&type=" + fhir.ProgressNoteCode + "&date=2020-01-01":                          0,
			"Composition/" + id + "/_history":                                                                                5,
		} {
			if n := count(get(q)); n != want {
				t.Errorf("GET %s: %d found, want %d", q, n, want)
			}
		}

		// An administrative clerk sees none of it.
		if _, err := f.notes.ListNotes(ctx, clerk, f.p.ID); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("a clerk lists notes: %v, want EFORBIDDEN", err)
		}
		if _, err := f.notes.FindNote(ctx, clerk, f.p.ID, id); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("a clerk reads a note: %v, want EFORBIDDEN", err)
		}
		// Nor does a doctor once their relationship with the patient ends.
		clock.Advance(48 * time.Hour)
		if _, err := f.notes.ListNotes(ctx, doctor, f.p.ID); crs.ErrorCode(err) != crs.ENORELATIONSHIP {
			t.Errorf("a doctor without a relationship lists notes: %v, want ENORELATIONSHIP", err)
		}
		if err := f.notes.SaveNote(ctx, doctor, &crs.ClinicalNote{Entry: crs.Entry{PatientID: f.p.ID}, Title: "Note", Sections: []crs.NoteSection{{Heading: "Note", Text: "x"}}}); crs.ErrorCode(err) != crs.EFORBIDDEN || !strings.Contains(crs.ErrorMessage(err), "no legitimate relationship") {
			t.Errorf("a doctor without a relationship writes a note: %v, want EFORBIDDEN naming the relationship (the write path's refusal)", err)
		}
		c := e.login(e.a, crs.RoleClerk)
		wantStatus(t, "a clerk opens the notes", c.get("/patients/"+f.p.ID+"/notes"), http.StatusForbidden)
		if r := c.get("/patients/" + f.p.ID); strings.Contains(r.body, "/notes") {
			t.Errorf("the clerk's record page links to the notes")
		}
	})
}

// TestClinicLetters writes a clinic letter after an attendance through
// its pages on both engines: prefilled from the clinic's template, on the
// unsigned list after 7 days, signed by a doctor only, printed to the GP
// and the patient, sent as MDM^T02 with its text, amended (MDM^T08), and
// all of it found over /fhir.
func TestClinicLetters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		e := newEnvOn(t, db, clock)
		f := startNotes(t, e)
		doc, nurse := e.login(e.a, crs.RoleDoctor), e.login(e.a, crs.RoleNurse)
		apPath := "/appointments/" + f.appointment.ID

		if _, err := f.notes.DraftLetter(ctx, e.a.Actor(crs.RoleDoctor), f.appointment.ID, ""); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("a letter before the patient is seen: %v, want EINVALID", err)
		}
		wantBody(t, "appointment before the outcome", doc.get(apPath), "written once the patient is seen")
		f.attend(t)
		wantBody(t, "appointment page", doc.get(apPath), `id="write-letter"`, "General surgery clinic letter")
		if r := e.login(e.a, crs.RoleClerk).get(apPath); strings.Contains(r.body, "clinic-letter") {
			t.Errorf("the clerk's appointment page shows the letter part")
		}
		r := doc.post(apPath+"/letter", url.Values{"template": {"no-such-template"}})
		wantStatus(t, "letter from an unknown template", r, http.StatusUnprocessableEntity)
		wantBody(t, "letter from an unknown template", r, `id="template-error"`)
		r = doc.post(apPath+"/letter", url.Values{"template": {""}})
		wantStatus(t, "start the letter", r, http.StatusSeeOther)
		path := r.loc
		id := idFrom(t, path, "/patients/"+f.p.ID+"/notes/")
		r = doc.get(path)
		wantBody(t, "draft letter", r, "General surgery clinic letter", "General surgery (GS-MON)", "Follow-up in clinic in 6 weeks. Ultrasound first",
			"The working or confirmed diagnosis", `id="section_2"`, "Sign and send")
		if r := doc.post(apPath+"/letter", url.Values{"template": {""}}); r.loc != path {
			t.Errorf("a second start opens %q (%d %s), want the letter started %q", r.loc, r.status, text(r.body), path)
		}

		clock.Advance(8 * 24 * time.Hour)
		e.relate(f.p.ID, crs.RoleDoctor, crs.RoleNurse) // the day's claim has run out
		doc, nurse = e.login(e.a, crs.RoleDoctor), e.login(e.a, crs.RoleNurse)
		wantBody(t, "unsigned letters", doc.get("/outpatients/letters?clinic=gs-mon"), "Letterby, Lena", "8 days", "Finish and sign")
		wantBody(t, "unsigned letters of another clinic", doc.get("/outpatients/letters?clinic=CARD"), "is signed")
		wantBody(t, "bad days", doc.get("/outpatients/letters?days=x"), `id="days-error"`)

		form := url.Values{"version": {"1"}, "title": {"General surgery clinic letter"}, "sections": {"3"},
			"heading_0": {"Diagnosis"}, "heading_1": {"Plan"}, "heading_2": {"Actions for the GP"},
			"section_0": {"Symptomatic gallstones"}, "section_1": {"Laparoscopic cholecystectomy; added to the waiting list"}, "section_2": {"Please continue omeprazole 20 mg daily"}}
		r = nurse.post(path, with(form, "action", "save"))
		wantStatus(t, "nurse saves the draft", r, http.StatusSeeOther)
		r = nurse.post(path, with(with(form, "action", "sign"), "version", "2"))
		wantStatus(t, "nurse signs a letter", r, http.StatusForbidden)
		wantBody(t, "nurse signs a letter", r, "Only a doctor signs a clinic letter")
		wantStatus(t, "PDF of a draft", doc.get(path+"/letter.pdf"), http.StatusConflict)
		r = doc.post(path, with(with(form, "action", "sign"), "version", "1"))
		wantStatus(t, "sign an old version", r, http.StatusUnprocessableEntity)
		wantBody(t, "sign an old version", r, "version 2")
		r = doc.post(path, with(with(with(form, "action", "sign"), "version", "2"), "title", ""))
		wantStatus(t, "sign without a title", r, http.StatusUnprocessableEntity)
		wantBody(t, "sign without a title", r, `id="title-error"`)
		r = doc.post(path, with(with(form, "action", "sign"), "version", "2"))
		wantStatus(t, "doctor signs", r, http.StatusSeeOther)
		wantBody(t, "signed letter", doc.get(path), "Signed", "Symptomatic gallstones", "Amend the letter", `id="letter-gp"`)
		if r := doc.get("/outpatients/letters"); strings.Contains(r.body, "Letterby") {
			t.Errorf("a signed letter is still on the unsigned list")
		}

		out := e.outbound(t)
		if len(out) != 1 || out[0].Type != "MDM^T02" {
			t.Fatalf("queued when signed: %+v", out)
		}
		for _, want := range []string{"TXA|1|CL^Clinic letter|TX|", "|AU|", "PV1|1|O|GS-MON", "Symptomatic gallstones", "Please continue omeprazole 20 mg daily", "PID|1||9990000034"} {
			if !strings.Contains(out[0].Raw, want) {
				t.Errorf("MDM^T02 lacks %q:\n%s", want, strings.ReplaceAll(out[0].Raw, "\r", "\n"))
			}
		}

		for who, want := range map[string][]string{"gp": {"Dear Doctor", "Millbrook Surgery", "B86001", "Dr Hollis"}, "patient": {"Dear Letterby", "7 Mill Lane", "LS1 4AP", "copy of the letter"}} {
			r := doc.get(path + "/letter.pdf?for=" + who)
			wantStatus(t, "letter to the "+who, r, 200)
			text := checkPDF(t, []byte(r.body))
			for _, w := range append(want, "Lena Letterby", "999 000 0034", "Symptomatic gallstones", "Seen on 02-Mar-2026 in General surgery", "GS-MON") {
				if !strings.Contains(text, w) {
					t.Errorf("letter to the %s lacks %q:\n%s", who, w, text)
				}
			}
		}

		r = doc.post(path, with(with(with(form, "action", "amend"), "version", "3"), "section_2", "Please stop omeprazole after the operation"))
		wantStatus(t, "amend without a reason", r, http.StatusUnprocessableEntity)
		wantBody(t, "amend without a reason", r, `id="reason-error"`)
		r = doc.post(path, with(with(with(with(form, "action", "amend"), "version", "3"), "section_2", "Please stop omeprazole after the operation"), "reason", "Medication advice corrected"))
		wantStatus(t, "amend", r, http.StatusSeeOther)
		wantBody(t, "amended letter", doc.get(path), "Amended and signed", "stop omeprazole", `id="note-history"`, "Medication advice corrected")
		if out := e.outbound(t); len(out) != 2 || out[0].Type != "MDM^T08" || !strings.Contains(out[0].Raw, "Medication advice corrected") {
			t.Errorf("queued when amended: %d, newest %s; want MDM^T08 with the reason", len(out), out[0].Type)
		}
		wantBody(t, "notes list", doc.get("/patients/"+f.p.ID+"/notes"), "General surgery clinic letter", "Amended and signed")
		wantBody(t, "timeline", doc.get("/patients/"+f.p.ID+"/timeline"), "Clinic letter", `href="`+path+`"`)

		// Over /fhir: the Composition and its versions, the document.
		get := e.fhirAPI(t)
		day := clock.Now().Format("2006-01-02")
		for _, q := range []struct {
			path string
			want int
		}{
			{"Composition?patient=" + f.p.ID + "&type=" + fhir.ClinicLetterCode, 1},
			{"Composition?patient=" + f.p.ID + "&type=" + fhir.ProgressNoteCode, 0},
			{"Composition?type=http://snomed.info/sct|" + fhir.ClinicLetterCode + "&status=amended&date=" + day, 1},
			{"Composition?type=" + fhir.ClinicLetterCode + "&date=2020-01-01", 0},
			{"DocumentReference?patient=" + f.p.ID + "&type=http://snomed.info/sct|" + fhir.ClinicLetterCode + "&date=" + day, 1},
			{"DocumentReference?patient=" + f.p.ID + "&type=" + fhir.DischargeSummaryCode, 0},
			{"Questionnaire?url=" + fhir.NoteTemplateSystem + "&status=active", 2},
		} {
			if n := count(get(q.path)); n != q.want {
				t.Errorf("GET %s: %d found, want %d", q.path, n, q.want)
			}
		}
		if n := count(get("Composition/" + id + "/_history")); n != 4 {
			t.Errorf("Composition history: %d versions, want the draft, saved, signed and amended", n)
		}
		// A raw write of the signed letter over /fhir is refused, saying
		// how to amend it; the letter stays as signed and amended.
		api := e.fhirServer(t)
		letter := get("Composition/" + id)
		letter["status"], letter["title"] = "final", "Rewritten outside the note rules"
		body, _ := json.Marshal(letter)
		delete(letter, "id")
		created, _ := json.Marshal(letter)
		for _, w := range []struct{ method, path, ctype, body string }{
			{"PUT", "Composition/" + id, "application/fhir+json", string(body)},
			{"PATCH", "Composition/" + id, "application/json-patch+json", `[{"op":"replace","path":"/status","value":"final"}]`},
			{"POST", "Composition", "application/fhir+json", string(created)},
			{"DELETE", "Composition/" + id, "", ""},
		} {
			req, _ := http.NewRequest(w.method, api.URL+"/fhir/"+w.path, strings.NewReader(w.body))
			if w.ctype != "" {
				req.Header.Set("Content-Type", w.ctype)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), "OperationOutcome") || !strings.Contains(string(b), "amend it (with the reason) on the patient's notes page") {
				t.Errorf("raw %s of the signed letter: %d %s; want 422 with an OperationOutcome saying how to amend", w.method, res.StatusCode, b)
			}
		}
		if n := count(get("Composition/" + id + "/_history")); n != 4 {
			t.Errorf("after the raw writes: %d versions, want still 4", n)
		}
		raw, bundle := documentBundle(t, get("DocumentReference?patient="+f.p.ID))
		if bundle.Type != "document" || len(bundle.Entry) != 2 || bundle.Entry[0].Resource["resourceType"] != "Composition" || !strings.Contains(string(raw), "stop omeprazole") {
			t.Errorf("the stored document Bundle: %s", raw)
		}

		// A letter entered in error withdraws its document.
		r = doc.post(path+"/error", url.Values{"reason": {""}})
		wantStatus(t, "in error without a reason", r, http.StatusUnprocessableEntity)
		wantBody(t, "in error without a reason", r, `id="reason-error"`)
		wantStatus(t, "in error", doc.post(path+"/error", url.Values{"reason": {"Letter of another patient's clinic"}}), http.StatusSeeOther)
		if n := count(get("DocumentReference?patient=" + f.p.ID + "&status=current")); n != 0 {
			t.Errorf("a current document of a letter entered in error: %d", n)
		}
		wantBody(t, "letter in error", doc.get(path), "Entered in error", "Letter of another patient")
	})
}

// TestNoteForms writes a note from a template through the pages: the
// template's sections and prompts are the form, an empty note is refused
// beside its first section.
func TestNoteForms(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		f := startNotes(t, e)
		nurse := e.login(e.a, crs.RoleNurse)
		base := "/patients/" + f.p.ID + "/notes"
		wantBody(t, "record page", nurse.get("/patients/"+f.p.ID), base)
		tmpl := f.template(crs.NoteKindNote)
		r := nurse.get(base + "/new?template=" + tmpl.ID)
		wantBody(t, "form from the template", r, "Ward round note", "Jobs for the team today", `id="section_1"`)
		form := url.Values{"template": {tmpl.ID}, "title": {"Ward round note"}, "sections": {"2"}, "heading_0": {"Assessment"}, "heading_1": {"Plan"}}
		r = nurse.post(base+"/new", form)
		wantStatus(t, "empty note", r, http.StatusUnprocessableEntity)
		wantBody(t, "empty note", r, `id="section_0-error"`, "Write at least one section")
		for _, bad := range []string{"yesterday", e.clock.Now().Add(48 * time.Hour).In(crs.London).Format("02/01/2006 15:04")} {
			r = nurse.post(base+"/new", with(with(form, "section_1", "Bloods in the morning"), "effective", bad))
			wantStatus(t, "effective "+bad, r, http.StatusUnprocessableEntity)
			wantBody(t, "effective "+bad, r, `id="effective-error"`)
		}
		seen := e.clock.Now().Add(-3 * time.Hour).In(crs.London)
		r = nurse.post(base+"/new", with(with(form, "section_1", "Bloods in the morning"), "effective", seen.Format("2006-01-02T15:04")))
		wantStatus(t, "save the draft", r, http.StatusSeeOther)
		path := r.loc
		wantBody(t, "draft", nurse.get(path), "Draft, not signed", "Bloods in the morning", `value="sign"`, `value="`+seen.Format("15:04")+`"`)
		r = nurse.post(path, with(with(with(form, "version", "1"), "section_1", "Bloods in the morning"), "action", "sign"))
		wantStatus(t, "nurse signs the note", r, http.StatusSeeOther)
		wantBody(t, "signed note", nurse.get(path), "As signed", "Amend the note")
		wantBody(t, "notes list", nurse.get(base), "Ward round note", "Signed")
	})
}

// TestBrowserClinicLetter has a doctor write a clinic letter from the
// clinic's template after an attendance in headless Chromium, sign it,
// download the letter to the GP and find its MDM^T02 on the GP feed.
func TestBrowserClinicLetter(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t)
	f := startNotes(t, e)
	f.attend(t)
	loginAs(t, ctx, e.srv.URL, e.a.Users[crs.RoleDoctor])
	run(t, ctx, "write and sign the letter",
		chromedp.Navigate(e.srv.URL+"/appointments/"+f.appointment.ID),
		waitText("#clinic-letter", "Clinic letter"),
		chromedp.Click(chromedp.ID("#write-letter")),
		waitText("h1", "General surgery clinic letter"),
		waitText("#letter-outcome", "Follow-up in clinic in 6 weeks"),
		chromedp.SendKeys(chromedp.ID("#section_0"), "Symptomatic gallstones"),
		chromedp.SendKeys(chromedp.ID("#section_1"), "Laparoscopic cholecystectomy"),
		chromedp.SendKeys(chromedp.ID("#section_2"), "Please continue omeprazole 20 mg daily"),
		chromedp.Click(chromedp.ID("#sign")),
		waitText("#note-status", "Signed"),
		waitText("#signed-note", "As sent"),
	)
	// The GP's letter, fetched as the link's download in the user's session.
	pdf := value(t, ctx, "download the letter to the GP", chromedp.Evaluate[string](`(() => {
		const x = new XMLHttpRequest();
		x.open("GET", document.getElementById("letter-gp").href, false);
		x.overrideMimeType("text/plain; charset=x-user-defined");
		x.send();
		let s = "";
		for (let i = 0; i < x.responseText.length; i++) s += String.fromCharCode(x.responseText.charCodeAt(i) & 0xff);
		return x.status + " " + x.getResponseHeader("Content-Type") + " " + btoa(s);
	})()`))
	parts := strings.SplitN(pdf, " ", 3)
	if len(parts) != 3 || parts[0] != "200" || parts[1] != "application/pdf" {
		t.Fatalf("download: %.80s", pdf)
	}
	b, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	if text := checkPDF(t, b); !strings.Contains(text, "Millbrook Surgery") || !strings.Contains(text, "Lena Letterby") || !strings.Contains(text, "Symptomatic gallstones") {
		t.Errorf("the letter to the GP:\n%s", text)
	}
	out := e.outbound(t)
	if len(out) != 1 || out[0].Type != "MDM^T02" || !strings.Contains(out[0].Raw, "TXA|1|CL^Clinic letter") ||
		!strings.Contains(out[0].Raw, "Please continue omeprazole 20 mg daily") || !strings.Contains(out[0].Raw, e.a.Users[crs.RoleDoctor].Username) {
		t.Fatalf("queued MDM: %+v", out)
	}
}
