package fhir

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// Identifier systems, extensions and codes of clinical notes, clinic
// letters and their templates.
const (
	// NoteTemplateSystem is the url of the trust's note and letter
	// templates (Questionnaires) and the system of their identifiers.
	NoteTemplateSystem = "https://opencrs.org/fhir/note-template"
	// LetterAppointmentSystem identifies a clinic letter's Composition by
	// the appointment it was written after.
	LetterAppointmentSystem = "https://opencrs.org/Id/clinic-letter-appointment"
	noteSystem              = "https://opencrs.org/Id/clinical-note"
	letterDocSystem         = "https://opencrs.org/Id/clinic-letter-document"
	treatmentFunctionSystem = "https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-TreatmentFunctionCode"
	extNoteTemplate         = "https://opencrs.org/fhir/StructureDefinition/note-template"
	extSpecialty            = "https://opencrs.org/fhir/StructureDefinition/treatment-function"
	extClinic               = "https://opencrs.org/fhir/StructureDefinition/clinic-code"
	extClinicName           = "https://opencrs.org/fhir/StructureDefinition/clinic-name"
	extConsultantName       = "https://opencrs.org/fhir/StructureDefinition/consultant-name"
	extOutcome              = "https://opencrs.org/fhir/StructureDefinition/clinic-outcome"
	extErrorReason          = "https://opencrs.org/fhir/StructureDefinition/entered-in-error-reason"
	extRecordedAt           = "https://opencrs.org/fhir/StructureDefinition/recorded-at"
	extRecordedBy           = "https://opencrs.org/fhir/StructureDefinition/recorded-by"
	extSectionPrompt        = "https://opencrs.org/fhir/StructureDefinition/section-prompt"
	// ProgressNoteCode and ClinicLetterCode are the SNOMED CT document
	// types of a clinical note ("Progress report") and a clinic letter
	// ("Report of clinical encounter").
	ProgressNoteCode = "371532007"
	ClinicLetterCode = "371531000"
)

// noteTypes gives each kind of note its SNOMED CT document type.
var noteTypes = map[string]coding{
	crs.NoteKindNote:   {System: snomed, Code: ProgressNoteCode, Display: "Progress report"},
	crs.NoteKindLetter: {System: snomed, Code: ClinicLetterCode, Display: "Report of clinical encounter"},
}

// NoteService keeps clinical notes and clinic letters as R4 Compositions
// in the resource store, and their templates as Questionnaires; a signed
// letter is sent as a FHIR document Bundle (stored as a
// DocumentReference) and HL7 MDM, as a discharge summary is. It
// implements crs.NoteService.
type NoteService struct {
	Store       crs.Store
	Resources   crs.ResourceStore
	Records     crs.PatientResourceReader
	Outpatients crs.OutpatientService // the clinics letters are written for
}

var _ crs.NoteService = (*NoteService)(nil)

// composeNote maps a note to its Composition, dated at.
func composeNote(n *crs.ClinicalNote, at time.Time) *composition {
	t := noteTypes[n.Kind]
	ident := jsonIdentifier{System: noteSystem, Value: n.ID}
	if n.Letter() {
		ident = jsonIdentifier{System: LetterAppointmentSystem, Value: n.AppointmentID}
	}
	c := &composition{ResourceType: "Composition", Status: compositionStatus[n.Status], Title: n.Title, Identifier: ident,
		Type:     codeableConcept{Coding: []coding{t}},
		Category: []codeableConcept{{Text: map[bool]string{true: "Clinic letter", false: "Clinical note"}[n.Letter()]}},
		Subject:  reference{Reference: "Patient/" + n.PatientID, Display: n.PatientName},
		Date:     at.UTC().Format(instant),
		Author:   []reference{{Display: firstNonEmpty(n.Author, "OpenCRS")}},
		Event:    []compositionEvent{{Period: jsonPeriod{Start: n.EffectiveAt.UTC().Format(instant)}}},
	}
	for _, e := range []jsonExtension{{URL: extSummaryStatus, ValueCode: n.Status}, {URL: extNoteTemplate, ValueString: n.TemplateID},
		{URL: extSpecialty, ValueCode: n.Specialty}, {URL: extClinic, ValueString: n.ClinicCode}, {URL: extClinicName, ValueString: n.ClinicName},
		{URL: extConsultantName, ValueString: n.ConsultantName}, {URL: extOutcome, ValueString: n.Outcome},
		{URL: extAmendReason, ValueString: n.AmendReason}, {URL: extErrorReason, ValueString: n.ErrorReason},
		{URL: extRecordedAt, ValueString: n.RecordedAt.UTC().Format(instant)}, {URL: extRecordedBy, ValueString: n.RecordedBy}} {
		if e.ValueString != "" || e.ValueCode != "" {
			c.Extension = append(c.Extension, e)
		}
	}
	if n.Signed() || (n.InError() && n.SignedBy != "") {
		c.Attester = []compositionAttester{{Mode: "legal", Time: n.SignedAt.UTC().Format(instant), Party: reference{Display: n.SignedBy}}}
	}
	c.Section = compositionSections(n.Texts())
	for i, s := range n.Sections {
		if s.Prompt != "" {
			c.Section[i].Extension = append(c.Section[i].Extension, jsonExtension{URL: extSectionPrompt, ValueString: s.Prompt})
		}
	}
	return c
}

// noteOf reads a note back from its stored Composition.
func noteOf(r *crs.Resource) (*crs.ClinicalNote, error) {
	var c composition
	if err := json.Unmarshal(r.Body, &c); err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read Composition/%s: %w", r.ID, err)
	}
	n := &crs.ClinicalNote{Entry: crs.Entry{ID: r.ID, PatientID: strings.TrimPrefix(c.Subject.Reference, "Patient/"), Version: r.Version,
		RecordedBy: extension(c.Extension, extRecordedBy), UpdatedAt: r.LastUpdated, ErrorReason: extension(c.Extension, extErrorReason)},
		PatientName: c.Subject.Display, Kind: crs.NoteKindNote, Title: c.Title, Status: extension(c.Extension, extSummaryStatus),
		TemplateID: extension(c.Extension, extNoteTemplate), Specialty: extension(c.Extension, extSpecialty), ClinicCode: extension(c.Extension, extClinic),
		ClinicName: extension(c.Extension, extClinicName), ConsultantName: extension(c.Extension, extConsultantName),
		Outcome: extension(c.Extension, extOutcome), AmendReason: extension(c.Extension, extAmendReason)}
	if code, _ := c.Type.first(snomed); code == ClinicLetterCode {
		n.Kind, n.AppointmentID = crs.NoteKindLetter, c.Identifier.Value
	}
	n.RecordedAt, _ = parseInstant(extension(c.Extension, extRecordedAt))
	if len(c.Author) > 0 {
		n.Author = c.Author[0].Display
	}
	if len(c.Attester) > 0 {
		n.SignedBy = c.Attester[0].Party.Display
		n.SignedAt, _ = parseInstant(c.Attester[0].Time)
	}
	if len(c.Event) > 0 {
		n.EffectiveAt, _ = parseInstant(c.Event[0].Period.Start)
	}
	for _, sec := range c.Section {
		n.Sections = append(n.Sections, crs.NoteSection{Heading: sec.Title, Text: extension(sec.Extension, extSectionText),
			Prompt: extension(sec.Extension, extSectionPrompt)})
	}
	return n, nil
}

// isNote says whether a stored Composition is a note or letter (not a
// discharge summary).
func isNote(r *crs.Resource) bool {
	var c struct {
		Type codeableConcept `json:"type"`
	}
	_ = json.Unmarshal(r.Body, &c)
	code, _ := c.Type.first(snomed)
	return code == ProgressNoteCode || code == ClinicLetterCode
}

// putNote writes n as the given version of its Composition.
func putNote(tx crs.Tx, n *crs.ClinicalNote, version int) error {
	stored, err := putTyped(tx, composeNote(n, tx.Now()), "Composition", n.ID, version)
	if err != nil {
		return err
	}
	n.Version, n.UpdatedAt = stored.Version, tx.Now()
	return nil
}

// currentNote reads the note in names inside a command, checking it is
// the patient's, is the version the writer saw and is not in error; it
// returns the note and the version a change writes.
func currentNote(tx crs.Tx, in *crs.ClinicalNote) (*crs.ClinicalNote, int, error) {
	r, next, err := nextVersion(tx, "Composition", in.ID, in.PatientID, in.Version)
	if err != nil {
		return nil, 0, err
	}
	if !isNote(r) {
		return nil, 0, crs.Errorf(crs.ENOTFOUND, "Composition/%s is not a clinical note", in.ID)
	}
	cur, err := noteOf(r)
	if err != nil {
		return nil, 0, err
	}
	if cur.InError() {
		return nil, 0, crs.Errorf(crs.ECONFLICT, "this note was marked entered in error and cannot be changed: write a new note")
	}
	return cur, next, nil
}

// withTexts copies what the writer wrote in each section onto cur,
// matching sections by heading; a draft without a template takes the
// sections as given.
func withTexts(cur, in *crs.ClinicalNote) {
	if len(cur.Sections) == 0 {
		cur.Sections = in.Sections
		return
	}
	for i := range cur.Sections {
		for _, s := range in.Sections {
			if s.Heading == cur.Sections[i].Heading {
				cur.Sections[i].Text = s.Text
			}
		}
	}
}

// SaveNote saves a new draft note or the next version of a draft.
func (s *NoteService) SaveNote(ctx context.Context, a crs.Actor, in *crs.ClinicalNote) error {
	if err := in.Validate(); err != nil {
		return err
	}
	var tmpl *crs.NoteTemplate
	if in.ID == "" && in.TemplateID != "" {
		var err error
		if tmpl, err = s.template(ctx, a, in.TemplateID); err != nil {
			return err
		}
	}
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		p, err := tx.GetPatient(in.PatientID)
		if err != nil {
			return err
		}
		if in.EffectiveAt.After(tx.Now().Add(5 * time.Minute)) {
			return crs.FieldErrorf("effective", "The time the note is about cannot be in the future")
		}
		if in.ID == "" {
			n := &crs.ClinicalNote{Entry: crs.Entry{ID: crs.NewID(), PatientID: p.ID, RecordedAt: tx.Now(), RecordedBy: a.Username},
				PatientName: p.FamilyName + ", " + p.GivenName, Kind: crs.NoteKindNote, Title: in.Title, Status: crs.SummaryDraft,
				EffectiveAt: firstTime(in.EffectiveAt, tx.Now()), Author: a.Username, Sections: in.Sections}
			if tmpl != nil {
				n.TemplateID, n.Specialty = tmpl.ID, tmpl.Specialty
			}
			if err := putNote(tx, n, 1); err != nil {
				return err
			}
			*in = *n
			return nil
		}
		cur, next, err := currentNote(tx, in)
		if err != nil {
			return err
		}
		if cur.Status != crs.SummaryDraft {
			return crs.Errorf(crs.ECONFLICT, "the note is %s and cannot be edited: a signed note is amended, with the reason", cur.Status)
		}
		withTexts(cur, in)
		cur.Title, cur.Author = in.Title, a.Username
		if !in.EffectiveAt.IsZero() {
			cur.EffectiveAt = in.EffectiveAt
		}
		if err := putNote(tx, cur, next); err != nil {
			return err
		}
		*in = *cur
		return nil
	})
}

// SignNote signs a draft note with the sections given.
func (s *NoteService) SignNote(ctx context.Context, a crs.Actor, in *crs.ClinicalNote) error {
	return s.sign(ctx, a, in, "")
}

// AmendNote signs an amended version of a signed note.
func (s *NoteService) AmendNote(ctx context.Context, a crs.Actor, in *crs.ClinicalNote, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return crs.FieldErrorf("reason", "Enter why the note is amended")
	}
	return s.sign(ctx, a, in, strings.TrimSpace(reason))
}

// sign signs in's sections as the next version; a letter is sent.
func (s *NoteService) sign(ctx context.Context, a crs.Actor, in *crs.ClinicalNote, reason string) error {
	if err := in.Validate(); err != nil {
		return err
	}
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		cur, next, err := currentNote(tx, in)
		if err != nil {
			return err
		}
		if err := crs.CanSign(a.Role, cur.Kind); err != nil {
			return err
		}
		what := map[bool]string{true: "letter", false: "note"}[cur.Letter()]
		if err := crs.CheckSigning(what, cur.Status, reason != ""); err != nil {
			return err
		}
		p, err := tx.GetPatient(cur.PatientID)
		if err != nil {
			return err
		}
		withTexts(cur, in)
		cur.Title = in.Title
		cur.Status, cur.SignedBy, cur.SignedAt, cur.AmendReason, cur.Author = crs.SummarySigned, a.Username, tx.Now(), reason, a.Username
		if reason != "" {
			cur.Status = crs.SummaryAmended
		}
		if err := putNote(tx, cur, next); err != nil {
			return err
		}
		*in = *cur
		if !cur.Letter() {
			return nil
		}
		comp := composeNote(cur, tx.Now())
		comp.ID = cur.ID
		if err := putDocumentBundle(tx, comp, p, sentDocument{system: letterDocSystem, id: cur.ID, version: cur.Version, code: ClinicLetterCode,
			display: "Clinic letter", signedBy: cur.SignedBy, context: map[string]any{
				"period": map[string]any{"start": cur.EffectiveAt.UTC().Format(instant)}}}); err != nil {
			return err
		}
		event := crs.EventLetterSigned
		if reason != "" {
			event = crs.EventLetterAmended
		}
		return tx.EmitData(&crs.Event{Type: event, PatientID: p.ID, SubjectID: cur.ID, Summary: "Clinic letter " + cur.Status},
			"clinic letter "+cur.Status, crs.NoteEventData{Note: cur, Patient: p})
	})
}

// EnterNoteInError marks a note entered in error, with why; a letter
// sent is withdrawn too (its DocumentReference entered in error).
func (s *NoteService) EnterNoteInError(ctx context.Context, a crs.Actor, patientID, id, reason string) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		cur, next, err := currentNote(tx, &crs.ClinicalNote{Entry: crs.Entry{ID: id, PatientID: patientID}})
		if err != nil {
			return err
		}
		cur.Status, cur.ErrorReason, cur.Author = crs.EnteredInError, reason, a.Username
		if err := putNote(tx, cur, next); err != nil {
			return err
		}
		doc, err := findByIdentifier(tx, "DocumentReference", letterDocSystem, id)
		if err != nil || doc == nil {
			return err
		}
		var body map[string]any
		if err := json.Unmarshal(doc.Body, &body); err != nil {
			return crs.Errorf(crs.EINTERNAL, "read DocumentReference/%s: %w", doc.ID, err)
		}
		body["status"] = "entered-in-error"
		_, err = putNext(tx, body, "DocumentReference", doc)
		return err
	})
}

// ListNotes lists the patient's notes and letters, newest first.
func (s *NoteService) ListNotes(ctx context.Context, a crs.Actor, patientID string) ([]*crs.ClinicalNote, error) {
	rs, err := patientEntries(ctx, s.Records, a, patientID, "Composition")
	if err != nil {
		return nil, err
	}
	var out []*crs.ClinicalNote
	for _, r := range rs {
		if !isNote(r) {
			continue
		}
		n, err := noteOf(r)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].EffectiveAt.After(out[j].EffectiveAt) })
	return out, nil
}

// FindNote returns one of the patient's notes.
func (s *NoteService) FindNote(ctx context.Context, a crs.Actor, patientID, id string) (*crs.ClinicalNote, error) {
	r, err := readPatientEntry(ctx, s.Resources, a, patientID, "Composition", id)
	if err != nil {
		return nil, err
	}
	if !isNote(r) {
		return nil, crs.Errorf(crs.ENOTFOUND, "Composition/%s is not a clinical note", id)
	}
	return noteOf(r)
}

// NoteHistory returns every version of a note, newest first.
func (s *NoteService) NoteHistory(ctx context.Context, a crs.Actor, patientID, id string) ([]*crs.ClinicalNote, error) {
	versions, err := entryHistory(ctx, s.Resources, a, patientID, "Composition", id)
	if err != nil {
		return nil, err
	}
	return entriesOf(versions, noteOf)
}

// AppointmentLetter returns the clinic letter of an appointment.
func (s *NoteService) AppointmentLetter(ctx context.Context, a crs.Actor, appointmentID string) (*crs.ClinicalNote, error) {
	r, err := readByIdentifier(ctx, s.Resources, a, "Composition", LetterAppointmentSystem, appointmentID)
	if err != nil {
		return nil, err
	}
	return noteOf(r)
}

// outcomeText says in a sentence what the clinic decided.
func outcomeText(o *crs.Outcome) string {
	var t string
	switch o.NextStep {
	case crs.NextDischarge:
		t = "Discharged to the care of the GP"
	case crs.NextFollowUp:
		t = fmt.Sprintf("Follow-up in clinic in %d weeks", o.FollowUpWeeks)
	case crs.NextWaitingList:
		t = "Added to the waiting list for admission"
	case crs.NextReferOn:
		t = "Referred on to another consultant or provider"
	case crs.NextRebook:
		t = "Another appointment to be offered"
	default:
		t = o.NextStep
	}
	if o.Note != "" {
		t += ". " + o.Note
	}
	return t
}

// DraftLetter starts the clinic letter of an attended appointment.
func (s *NoteService) DraftLetter(ctx context.Context, a crs.Actor, appointmentID, templateID string) (*crs.ClinicalNote, error) {
	if s.Outpatients == nil {
		return nil, crs.Errorf(crs.EINTERNAL, "clinic letters need the outpatient service")
	}
	if _, err := s.Outpatients.FindAppointment(ctx, a, appointmentID); err != nil {
		return nil, err
	}
	if n, err := s.AppointmentLetter(ctx, a, appointmentID); err == nil {
		return n, nil
	} else if crs.ErrorCode(err) != crs.ENOTFOUND {
		return nil, err
	}
	clinics, err := s.Outpatients.FindClinics(ctx, a)
	if err != nil {
		return nil, err
	}
	templates, err := s.Templates(ctx, a, crs.NoteKindLetter)
	if err != nil {
		return nil, err
	}
	var out *crs.ClinicalNote
	err = s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		ap, err := tx.GetAppointment(appointmentID)
		if err != nil {
			return err
		}
		if r, err := findByIdentifier(tx, "Composition", LetterAppointmentSystem, appointmentID); err != nil {
			return err
		} else if r != nil {
			return crs.Errorf(crs.ECONFLICT, "the letter of this appointment was started a moment ago: open it from the appointment")
		}
		if ap.Status != crs.AppointmentAttended || ap.Outcome == nil {
			return crs.Errorf(crs.EINVALID, "a clinic letter is written after the patient was seen and the outcome recorded: this appointment is %s%s",
				ap.Status, map[bool]string{true: " without an outcome", false: ""}[ap.Outcome == nil])
		}
		var clinic *crs.Clinic
		for _, c := range clinics {
			if c.ID == ap.ClinicID {
				clinic = c
			}
		}
		if clinic == nil {
			return crs.Errorf(crs.ENOTFOUND, "the appointment's clinic is not one of the trust's")
		}
		var tmpl *crs.NoteTemplate
		for _, t := range templates {
			if (templateID != "" && t.ID == templateID) || (templateID == "" && tmpl == nil && t.Specialty == clinic.TreatmentFunction) {
				tmpl = t
			}
		}
		if tmpl == nil {
			if templateID != "" {
				return crs.FieldErrorf("template", "template %s is not one of the trust's letter templates", templateID)
			}
			tmpl = &crs.NoteTemplate{Title: "Clinic letter", Specialty: clinic.TreatmentFunction,
				Sections: []crs.NoteSection{{Heading: "Diagnosis"}, {Heading: "Findings"}, {Heading: "Plan"}}}
		}
		p, err := tx.GetPatient(ap.PatientID)
		if err != nil {
			return err
		}
		n := &crs.ClinicalNote{Entry: crs.Entry{ID: crs.NewID(), PatientID: p.ID, RecordedAt: tx.Now(), RecordedBy: a.Username},
			PatientName: p.FamilyName + ", " + p.GivenName, Kind: crs.NoteKindLetter, Title: tmpl.Title, TemplateID: tmpl.ID,
			Specialty: tmpl.Specialty, Sections: append([]crs.NoteSection(nil), tmpl.Sections...), Status: crs.SummaryDraft,
			EffectiveAt: firstTime(ap.AttendedAt, ap.Start), Author: a.Username, AppointmentID: ap.ID, ClinicCode: clinic.Code,
			ClinicName: clinic.Name, ConsultantName: firstNonEmpty(clinic.ConsultantName, clinic.ConsultantCode, clinic.Team), Outcome: outcomeText(ap.Outcome)}
		if err := putNote(tx, n, 1); err != nil {
			return err
		}
		out = n
		return nil
	})
	return out, err
}

// UnsignedLetters lists the clinic letters of a clinic not yet signed
// longer than age after the attendance.
func (s *NoteService) UnsignedLetters(ctx context.Context, a crs.Actor, clinicCode string, age time.Duration) ([]*crs.ClinicalNote, error) {
	found, err := unsigned(ctx, s.Resources, a, ClinicLetterCode)
	if err != nil {
		return nil, err
	}
	cutoff := s.Store.Now().Add(-age)
	var out []*crs.ClinicalNote
	for _, r := range found {
		n, err := noteOf(r)
		if err != nil {
			return nil, err
		}
		if (clinicCode == "" || strings.EqualFold(n.ClinicCode, clinicCode)) && n.EffectiveAt.Before(cutoff) {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].EffectiveAt.Before(out[j].EffectiveAt) })
	return out, nil
}

// questionnaire is the R4 Questionnaire a note template is kept as: its
// sections are items, each with its prompt as a display item.
type (
	questionnaireItem struct {
		LinkID string              `json:"linkId"`
		Text   string              `json:"text,omitempty"`
		Type   string              `json:"type"`
		Item   []questionnaireItem `json:"item,omitempty"`
	}
	usageContext struct {
		Code                 coding          `json:"code"`
		ValueCodeableConcept codeableConcept `json:"valueCodeableConcept"`
	}
	questionnaire struct {
		ResourceType string              `json:"resourceType"`
		URL          string              `json:"url"`
		Identifier   []jsonIdentifier    `json:"identifier"`
		Title        string              `json:"title"`
		Status       string              `json:"status"`
		UseContext   []usageContext      `json:"useContext"`
		Code         []coding            `json:"code"`
		Item         []questionnaireItem `json:"item"`
	}
)

// templateKey identifies a template within the trust: its specialty,
// kind and title.
func templateKey(t *crs.NoteTemplate) string {
	return t.Specialty + "|" + t.Kind + "|" + strings.ToLower(strings.TrimSpace(t.Title))
}

func questionnaireOf(t *crs.NoteTemplate, status string) *questionnaire {
	name, _ := nhs.Lookup(nhs.TreatmentFunctions, t.Specialty)
	q := &questionnaire{ResourceType: "Questionnaire", URL: NoteTemplateSystem, Title: t.Title, Status: status,
		Identifier: []jsonIdentifier{{System: NoteTemplateSystem, Value: templateKey(t)}},
		UseContext: []usageContext{{Code: coding{System: "http://terminology.hl7.org/CodeSystem/usage-context-type", Code: "focus"},
			ValueCodeableConcept: codeableConcept{Coding: []coding{{System: treatmentFunctionSystem, Code: t.Specialty, Display: name}}}}},
		Code: []coding{noteTypes[t.Kind]}}
	for i, s := range t.Sections {
		it := questionnaireItem{LinkID: fmt.Sprint(i + 1), Text: s.Heading, Type: "text"}
		if s.Prompt != "" {
			it.Item = []questionnaireItem{{LinkID: fmt.Sprintf("%d.1", i+1), Text: s.Prompt, Type: "display"}}
		}
		q.Item = append(q.Item, it)
	}
	return q
}

func templateOf(r *crs.Resource) (*crs.NoteTemplate, string, error) {
	var q questionnaire
	if err := json.Unmarshal(r.Body, &q); err != nil {
		return nil, "", crs.Errorf(crs.EINTERNAL, "read Questionnaire/%s: %w", r.ID, err)
	}
	t := &crs.NoteTemplate{ID: r.ID, Title: q.Title, Kind: crs.NoteKindNote}
	if len(q.Code) > 0 && q.Code[0].Code == ClinicLetterCode {
		t.Kind = crs.NoteKindLetter
	}
	if len(q.UseContext) > 0 {
		t.Specialty, _ = q.UseContext[0].ValueCodeableConcept.first(treatmentFunctionSystem)
	}
	for _, it := range q.Item {
		s := crs.NoteSection{Heading: it.Text}
		if len(it.Item) > 0 {
			s.Prompt = it.Item[0].Text
		}
		t.Sections = append(t.Sections, s)
	}
	return t, q.Status, nil
}

// LoadTemplates makes ts the trust's note and letter templates.
func (s *NoteService) LoadTemplates(ctx context.Context, a crs.Actor, ts []crs.NoteTemplate) (int, error) {
	for i := range ts {
		if err := ts[i].Validate(); err != nil {
			return 0, crs.Errorf(crs.EINVALID, "template %d (%s): %v", i+1, ts[i].Title, err)
		}
	}
	changed := 0
	err := s.Store.Write(ctx, a, crs.ActAdministerSettings, func(tx crs.Tx) error {
		changed = 0
		have, err := templatesIn(tx)
		if err != nil {
			return err
		}
		put := func(q *questionnaire, cur *crs.Resource) error {
			wrote, err := putChanged(tx, asJSONObject(q), "Questionnaire", cur)
			if wrote {
				changed++
			}
			return err
		}
		given := map[string]bool{}
		for i := range ts {
			key := templateKey(&ts[i])
			given[key] = true
			if err := put(questionnaireOf(&ts[i], "active"), have[key]); err != nil {
				return err
			}
		}
		for key, r := range have {
			t, status, err := templateOf(r)
			if err != nil {
				return err
			}
			if !given[key] && status == "active" {
				if err := put(questionnaireOf(t, "retired"), r); err != nil {
					return err
				}
			}
		}
		if changed == 0 {
			return tx.Emit(&crs.Event{Type: "note.templates.loaded", Summary: "Note templates loaded unchanged"}, "note templates")
		}
		return nil
	})
	return changed, err
}

// templatesIn reads the trust's templates inside a command, by key.
func templatesIn(tx crs.Tx) (map[string]*crs.Resource, error) {
	rs, err := tx.SearchResources(crs.ResourceQuery{Type: "Questionnaire", Count: 100000,
		All: [][]crs.ResourceCondition{{{Param: "url", Kind: "uri", Op: crs.MatchEq, Code: NoteTemplateSystem}}}})
	if err != nil {
		return nil, err
	}
	out := map[string]*crs.Resource{}
	for _, r := range rs {
		t, _, err := templateOf(r)
		if err != nil {
			return nil, err
		}
		out[templateKey(t)] = r
	}
	return out, nil
}

// Templates lists the trust's active templates of a kind.
func (s *NoteService) Templates(ctx context.Context, a crs.Actor, kind string) ([]*crs.NoteTemplate, error) {
	found, _, err := s.Resources.SearchResources(ctx, a, crs.ResourceQuery{Type: "Questionnaire", Count: 10000,
		All: [][]crs.ResourceCondition{
			{{Param: "url", Kind: "uri", Op: crs.MatchEq, Code: NoteTemplateSystem}},
			{{Param: "status", Kind: "token", Op: crs.MatchEq, Code: "active"}}}})
	if err != nil {
		return nil, err
	}
	var out []*crs.NoteTemplate
	for _, r := range found {
		t, _, err := templateOf(r)
		if err != nil {
			return nil, err
		}
		if kind == "" || t.Kind == kind {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Specialty != out[j].Specialty {
			return out[i].Specialty < out[j].Specialty
		}
		return out[i].Title < out[j].Title
	})
	return out, nil
}

// template reads one of the trust's templates.
func (s *NoteService) template(ctx context.Context, a crs.Actor, id string) (*crs.NoteTemplate, error) {
	ts, err := s.Templates(ctx, a, "")
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.ID == id {
			return t, nil
		}
	}
	return nil, crs.FieldErrorf("template", "template %s is not one of the trust's templates", id)
}
