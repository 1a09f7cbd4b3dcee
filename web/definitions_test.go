package web

import (
	"context"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// undefinedStored reports each resource the trust's resource store
// holds, of every type, that uses an extension, code or system of
// OpenCRS's that OpenCRS's definitions do not define as it is used
// (fhir.UndefinedTerms); it returns how many resources it read.
func undefinedStored(t *testing.T, db *store.DB, a crs.Actor) int {
	t.Helper()
	found, _, err := store.NewResourceService(db).SearchResources(context.Background(), a, crs.ResourceQuery{Count: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		r, err := fhir.Decode(f.Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range fhir.UndefinedTerms(r) {
			t.Errorf("%s/%s: %s", f.Type, f.ID, line)
		}
	}
	return len(found)
}

// TestNoteTermsDefined: clinical notes and clinic letters, drafted,
// signed, amended and entered in error, and the templates they are
// written from, use only extensions, codes and systems of OpenCRS's own
// that its definitions define.
func TestNoteTermsDefined(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		e := newEnvOn(t, db, clock)
		f := startNotes(t, e)
		nurse, doctor := e.a.Actor(crs.RoleNurse), e.a.Actor(crs.RoleDoctor)
		tmpl := f.template(crs.NoteKindNote)
		n := &crs.ClinicalNote{Entry: crs.Entry{PatientID: f.p.ID}, Title: tmpl.Title, TemplateID: tmpl.ID, Sections: append([]crs.NoteSection(nil), tmpl.Sections...)}
		n.Sections[0].Text = "Comfortable overnight, afebrile"
		if err := f.notes.SaveNote(ctx, nurse, n); err != nil {
			t.Fatal(err)
		}
		if err := f.notes.SignNote(ctx, nurse, n); err != nil {
			t.Fatal(err)
		}
		n.Sections[0].Text = "Comfortable overnight, febrile at 06:00"
		if err := f.notes.AmendNote(ctx, doctor, n, "Temperature chart misread"); err != nil {
			t.Fatal(err)
		}
		wrong := &crs.ClinicalNote{Entry: crs.Entry{PatientID: f.p.ID}, Title: tmpl.Title, TemplateID: tmpl.ID, Sections: []crs.NoteSection{{Heading: "Plan", Text: "Home"}}}
		if err := f.notes.SaveNote(ctx, doctor, wrong); err != nil {
			t.Fatal(err)
		}
		if err := f.notes.EnterNoteInError(ctx, doctor, f.p.ID, wrong.ID, "Written on the wrong patient"); err != nil {
			t.Fatal(err)
		}
		f.attend(t)
		letter, err := f.notes.DraftLetter(ctx, doctor, f.appointment.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		for i := range letter.Sections {
			letter.Sections[i].Text = "Symptomatic gallstones"
		}
		if err := f.notes.SaveNote(ctx, doctor, letter); err != nil {
			t.Fatal(err)
		}
		if err := f.notes.SignNote(ctx, doctor, letter); err != nil {
			t.Fatal(err)
		}
		if read := undefinedStored(t, db, e.a.System); read < 4 {
			t.Errorf("read %d resources; the notes, letter and templates are more", read)
		}
	})
}

// TestSummaryTermsDefined: a discharge summary, drafted, signed and
// amended, uses only extensions, codes and systems of OpenCRS's own that
// its definitions define.
func TestSummaryTermsDefined(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		e := newEnvOn(t, db, clock)
		f := startSummaries(t, e)
		doctor := e.a.Actor(crs.RoleDoctor)
		s, err := f.sums.SpellSummary(ctx, doctor, f.spell.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.Diagnoses, s.Medications, s.FollowUp, s.GPInformation = "Community-acquired pneumonia", "Amoxicillin 500 mg oral three times a day", "None", "Nothing"
		if err := f.sums.SaveDraft(ctx, doctor, s); err != nil {
			t.Fatal(err)
		}
		if err := f.sums.SignSummary(ctx, doctor, s); err != nil {
			t.Fatal(err)
		}
		s.Medications = "Amoxicillin 500 mg oral three times a day for 7 days"
		if err := f.sums.AmendSummary(ctx, doctor, s, "Course is 7 days"); err != nil {
			t.Fatal(err)
		}
		if read := undefinedStored(t, db, e.a.System); read < 1 {
			t.Errorf("read %d resources; the summary is one", read)
		}
	})
}
