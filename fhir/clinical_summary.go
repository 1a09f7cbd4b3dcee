package fhir

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// Identifier systems and extensions of discharge summaries.
const (
	// SummarySpellSystem identifies a discharge summary's Composition by
	// the spell it summarises.
	SummarySpellSystem = "https://opencrs.org/Id/discharge-summary-spell"
	summaryDocSystem   = "https://opencrs.org/Id/discharge-summary-document"
	extSummaryStatus   = "https://opencrs.org/fhir/StructureDefinition/summary-status"
	extSectionText     = "https://opencrs.org/fhir/StructureDefinition/section-text"
	extWard            = "https://opencrs.org/fhir/StructureDefinition/ward-code"
	extConsultant      = "https://opencrs.org/fhir/StructureDefinition/consultant-code"
	extAmendReason     = "https://opencrs.org/fhir/StructureDefinition/amend-reason"
	extVisitNumber     = "https://opencrs.org/fhir/StructureDefinition/visit-number"
	// DischargeSummaryCode is the SNOMED CT code of a discharge summary.
	DischargeSummaryCode = "373942005"
)

// compositionStatus maps a summary's status to R4.
var compositionStatus = map[string]string{crs.SummaryDraft: "preliminary", crs.SummarySigned: "final", crs.SummaryAmended: "amended", crs.SummaryVoid: "entered-in-error", crs.EnteredInError: "entered-in-error"}

// SummaryService keeps discharge summaries as R4 Compositions in the
// resource store, a draft started by the discharge itself, and sends the
// signed ones as FHIR document Bundles (stored as DocumentReferences) and
// HL7 MDM. It implements crs.DischargeSummaryService; its Discharged
// method is the event hook cmd/crs registers.
type SummaryService struct {
	Store     crs.Store
	Resources crs.ResourceStore
}

var _ crs.DischargeSummaryService = (*SummaryService)(nil)

type (
	jsonPeriod struct {
		Start string `json:"start,omitempty"`
		End   string `json:"end,omitempty"`
	}
	jsonNarrative struct {
		Status string `json:"status"`
		Div    string `json:"div"`
	}
	compositionSection struct {
		Extension []jsonExtension `json:"extension,omitempty"`
		Title     string          `json:"title"`
		Text      jsonNarrative   `json:"text"`
	}
	compositionAttester struct {
		Mode  string    `json:"mode"`
		Time  string    `json:"time,omitempty"`
		Party reference `json:"party"`
	}
	compositionEvent struct {
		Period jsonPeriod `json:"period"`
	}
	// composition is the R4 Composition of a discharge summary.
	composition struct {
		ResourceType string                `json:"resourceType"`
		ID           string                `json:"id,omitempty"`
		Extension    []jsonExtension       `json:"extension,omitempty"`
		Identifier   jsonIdentifier        `json:"identifier"`
		Status       string                `json:"status"`
		Type         codeableConcept       `json:"type"`
		Subject      reference             `json:"subject"`
		Category     []codeableConcept     `json:"category,omitempty"`
		Encounter    *reference            `json:"encounter,omitempty"`
		Date         string                `json:"date"`
		Author       []reference           `json:"author"`
		Title        string                `json:"title"`
		Attester     []compositionAttester `json:"attester,omitempty"`
		Event        []compositionEvent    `json:"event,omitempty"`
		Section      []compositionSection  `json:"section"`
	}
)

// compose maps a summary to its Composition, dated at.
func compose(s *crs.DischargeSummary, at time.Time) *composition {
	c := &composition{ResourceType: "Composition", Status: compositionStatus[s.Status], Title: "Discharge summary",
		Identifier: jsonIdentifier{System: SummarySpellSystem, Value: s.SpellID},
		Type:       codeableConcept{Coding: []coding{{System: snomed, Code: DischargeSummaryCode, Display: "Discharge summary"}}},
		Subject:    reference{Reference: "Patient/" + s.PatientID, Display: s.PatientName},
		Encounter:  &reference{Reference: spellReference(s.SpellID)},
		Date:       at.UTC().Format(instant),
		Author:     []reference{{Display: firstNonEmpty(s.SignedBy, s.Author, "OpenCRS")}},
		Event:      []compositionEvent{{Period: jsonPeriod{Start: s.AdmittedAt.UTC().Format(instant), End: s.DischargedAt.UTC().Format(instant)}}},
		Extension: []jsonExtension{{URL: extSummaryStatus, ValueCode: s.Status}, {URL: extWard, ValueString: s.WardCode},
			{URL: extConsultant, ValueString: s.ConsultantCode}, {URL: extVisitNumber, ValueString: s.VisitNumber}, {URL: extAmendReason, ValueString: s.AmendReason}},
	}
	if s.Signed() {
		c.Attester = []compositionAttester{{Mode: "legal", Time: s.SignedAt.UTC().Format(instant), Party: reference{Display: s.SignedBy}}}
	}
	c.Section = compositionSections(s.Sections())
	return c
}

// compositionSections writes a document's sections (title and text) as
// Composition sections: the text as narrative, a paragraph a line, and
// as written, in an extension, so that it reads back unchanged.
func compositionSections(secs [][2]string) []compositionSection {
	var out []compositionSection
	for _, sec := range secs {
		var div xhtmlDiv
		for _, line := range strings.Split(strings.TrimSpace(sec[1]), "\n") {
			div.para(strings.TrimSpace(line))
		}
		out = append(out, compositionSection{Title: sec[0], Text: div.narrative(),
			Extension: []jsonExtension{{URL: extSectionText, ValueString: sec[1]}}})
	}
	return out
}

// summaryOf reads a summary back from its stored Composition.
func summaryOf(r *crs.Resource) (*crs.DischargeSummary, error) {
	var c composition
	if err := json.Unmarshal(r.Body, &c); err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read Composition/%s: %w", r.ID, err)
	}
	s := &crs.DischargeSummary{ID: r.ID, Version: r.Version, PatientID: strings.TrimPrefix(c.Subject.Reference, "Patient/"), PatientName: c.Subject.Display,
		SpellID: c.Identifier.Value, Status: extension(c.Extension, extSummaryStatus), WardCode: extension(c.Extension, extWard),
		ConsultantCode: extension(c.Extension, extConsultant), VisitNumber: extension(c.Extension, extVisitNumber), AmendReason: extension(c.Extension, extAmendReason),
		UpdatedAt: r.LastUpdated}
	if len(c.Author) > 0 {
		s.Author = c.Author[0].Display
	}
	if len(c.Attester) > 0 {
		s.SignedBy = c.Attester[0].Party.Display
		s.SignedAt, _ = parseInstant(c.Attester[0].Time)
	}
	if len(c.Event) > 0 {
		s.AdmittedAt, _ = parseInstant(c.Event[0].Period.Start)
		s.DischargedAt, _ = parseInstant(c.Event[0].Period.End)
	}
	fields := map[string]*string{"Diagnoses": &s.Diagnoses, "Procedures": &s.Procedures, "Medications on discharge": &s.Medications,
		"Follow-up": &s.FollowUp, "Information for the GP": &s.GPInformation}
	for _, sec := range c.Section {
		if f := fields[sec.Title]; f != nil {
			*f = extension(sec.Extension, extSectionText)
		}
	}
	return s, nil
}

// putSummary writes the summary as its next Composition version.
func putSummary(tx crs.Tx, s *crs.DischargeSummary) error {
	if s.ID == "" {
		s.ID, s.Version = crs.NewID(), 1
	} else {
		s.Version++
	}
	_, err := putTyped(tx, compose(s, tx.Now()), "Composition", s.ID, s.Version)
	return err
}

// summaryIn reads the summary of a spell inside a command, or nil.
func summaryIn(tx crs.Tx, spellID string) (*crs.DischargeSummary, error) {
	r, err := findByIdentifier(tx, "Composition", SummarySpellSystem, spellID)
	if err != nil || r == nil {
		return nil, err
	}
	return summaryOf(r)
}

// spellEvent is the Data of a spell's events as the record writes it.
type spellEvent struct {
	Patient *crs.Patient `json:"patient"`
	crs.SpellEventData
}

// Discharged is the event hook that starts a draft summary in the
// transaction of a discharge, so that no discharge is without one, and
// voids a draft whose discharge is cancelled.
func (s *SummaryService) Discharged(tx crs.Tx, ev *crs.Event) error {
	if ev.Type != crs.EventSpellDischarged && ev.Type != crs.EventSpellDischargeCancelled {
		return nil
	}
	// The draft is OpenCRS's, made from the spell: whoever discharged
	// the patient (a clerk, a nurse from another ward) writes nothing of
	// the clinical record by it, so it is written as the system.
	return tx.ActAs(crs.SystemActor(tx.Actor().OrgID), func() error { return s.draftOnDischarge(tx, ev) })
}

// draftOnDischarge starts, or voids, the summary of the spell ev is about.
func (s *SummaryService) draftOnDischarge(tx crs.Tx, ev *crs.Event) error {
	var d spellEvent
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return crs.Errorf(crs.EINTERNAL, "read discharge event data: %w", err)
	}
	if d.SpellID == "" {
		d.SpellID = ev.SubjectID
	}
	cur, err := summaryIn(tx, d.SpellID)
	if err != nil {
		return err
	}
	if ev.Type == crs.EventSpellDischargeCancelled {
		if cur == nil || cur.Signed() {
			return nil
		}
		cur.Status = crs.SummaryVoid
		return putSummary(tx, cur)
	}
	if cur != nil && cur.Signed() {
		return nil
	}
	p := d.Patient
	if p == nil {
		if p, err = tx.GetPatient(ev.PatientID); err != nil {
			return err
		}
	}
	if cur == nil {
		cur = &crs.DischargeSummary{SpellID: d.SpellID}
	}
	cur.PatientID, cur.PatientName, cur.Status = p.ID, p.FamilyName+", "+p.GivenName, crs.SummaryDraft
	cur.WardCode, cur.ConsultantCode, cur.VisitNumber, cur.AdmittedAt = d.WardCode, d.ConsultantCode, d.VisitNumber, d.AdmittedAt
	cur.DischargedAt = firstTime(d.DischargedAt, d.At, ev.EffectiveAt)
	return putSummary(tx, cur)
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// SpellSummary returns the summary of a discharged spell.
func (s *SummaryService) SpellSummary(ctx context.Context, a crs.Actor, spellID string) (*crs.DischargeSummary, error) {
	r, err := readByIdentifier(ctx, s.Resources, a, "Composition", SummarySpellSystem, spellID)
	if err != nil {
		return nil, err
	}
	return summaryOf(r)
}

// SummaryHistory returns every version of the summary, newest first.
func (s *SummaryService) SummaryHistory(ctx context.Context, a crs.Actor, id string) ([]*crs.DischargeSummary, error) {
	rs, err := s.Resources.ResourceHistory(ctx, a, "Composition", id, time.Time{}, "", 100)
	if err != nil {
		return nil, err
	}
	return entriesOf(rs, summaryOf)
}

// currentSummary reads the summary s names inside a command, checking the
// version the writer saw is still the current one.
func currentSummary(tx crs.Tx, s *crs.DischargeSummary) (*crs.DischargeSummary, error) {
	r, err := tx.GetResource("Composition", s.ID)
	if err != nil {
		return nil, err
	}
	cur, err := summaryOf(r)
	if err != nil {
		return nil, err
	}
	if s.Version != 0 && s.Version != cur.Version {
		return nil, crs.Errorf(crs.ECONFLICT, "the summary was changed by %s while you were writing it: reload it and write your change again", cur.Author)
	}
	return cur, nil
}

// withSections copies the sections the writer gave onto cur.
func withSections(cur, s *crs.DischargeSummary) {
	cur.Diagnoses, cur.Procedures, cur.Medications, cur.FollowUp, cur.GPInformation = s.Diagnoses, s.Procedures, s.Medications, s.FollowUp, s.GPInformation
}

// SaveDraft records the sections of a draft.
func (s *SummaryService) SaveDraft(ctx context.Context, a crs.Actor, in *crs.DischargeSummary) error {
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		cur, err := currentSummary(tx, in)
		if err != nil {
			return err
		}
		if cur.Status != crs.SummaryDraft {
			return crs.Errorf(crs.ECONFLICT, "the summary is %s: a signed summary is amended, not redrafted", cur.Status)
		}
		withSections(cur, in)
		cur.Author = a.Username
		if err := putSummary(tx, cur); err != nil {
			return err
		}
		*in = *cur
		return nil
	})
}

// SignSummary signs and sends the draft.
func (s *SummaryService) SignSummary(ctx context.Context, a crs.Actor, in *crs.DischargeSummary) error {
	return s.sign(ctx, a, in, "", crs.EventSummarySigned)
}

// AmendSummary signs and sends an amended version of a signed summary.
func (s *SummaryService) AmendSummary(ctx context.Context, a crs.Actor, in *crs.DischargeSummary, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return crs.FieldErrorf("reason", "Enter why the summary is amended")
	}
	return s.sign(ctx, a, in, strings.TrimSpace(reason), crs.EventSummaryAmended)
}

// sign signs in's sections as the next version and sends the document.
func (s *SummaryService) sign(ctx context.Context, a crs.Actor, in *crs.DischargeSummary, reason, event string) error {
	if a.Role != crs.RoleDoctor {
		return crs.Errorf(crs.EFORBIDDEN, "only the responsible clinician (a doctor) signs a discharge summary")
	}
	if err := in.Validate(); err != nil {
		return err
	}
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		cur, err := currentSummary(tx, in)
		if err != nil {
			return err
		}
		if err := crs.CheckSigning("summary", cur.Status, event == crs.EventSummaryAmended); err != nil {
			return err
		}
		p, err := tx.GetPatient(cur.PatientID)
		if err != nil {
			return err
		}
		withSections(cur, in)
		cur.Status, cur.SignedBy, cur.SignedAt, cur.AmendReason = crs.SummarySigned, a.Username, tx.Now(), reason
		if reason != "" {
			cur.Status = crs.SummaryAmended
		}
		if err := putSummary(tx, cur); err != nil {
			return err
		}
		if err := putDocument(tx, cur, p); err != nil {
			return err
		}
		*in = *cur
		return tx.EmitData(&crs.Event{Type: event, PatientID: p.ID, SubjectID: cur.ID, Summary: "Discharge summary " + cur.Status},
			"discharge summary "+cur.Status, crs.SummaryEventData{Summary: cur, Patient: p})
	})
}

// putDocument stores the signed summary as the FHIR document Bundle sent
// to the GP, in a DocumentReference that replaces the one of the
// version before.
func putDocument(tx crs.Tx, s *crs.DischargeSummary, p *crs.Patient) error {
	comp := compose(s, tx.Now())
	comp.ID = s.ID
	return putDocumentBundle(tx, comp, p, sentDocument{system: summaryDocSystem, id: s.ID, version: s.Version, code: DischargeSummaryCode,
		display: "Discharge summary", signedBy: s.SignedBy, context: map[string]any{
			"encounter": []any{map[string]any{"reference": spellReference(s.SpellID)}},
			"period":    map[string]any{"start": s.AdmittedAt.UTC().Format(instant), "end": s.DischargedAt.UTC().Format(instant)}}})
}

// sentDocument says what a signed document sent to the GP is: the
// identifier system of its DocumentReference, its Composition's id and
// version, its SNOMED CT document type, who signed it and the context
// (encounter, period) its DocumentReference gives.
type sentDocument struct {
	system, id    string
	version       int
	code, display string
	signedBy      string
	context       map[string]any
}

// putDocumentBundle stores a signed Composition as the FHIR document
// Bundle sent to the GP (the Composition and the Patient), in a
// DocumentReference that replaces the one of the version before.
func putDocumentBundle(tx crs.Tx, comp *composition, p *crs.Patient, d sentDocument) error {
	patient := map[string]any{"resourceType": "Patient", "id": p.ID,
		"name": []any{map[string]any{"family": p.FamilyName, "given": []any{p.GivenName}}}}
	if p.NHSNumber != "" {
		patient["identifier"] = []any{map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": p.NHSNumber}}
	}
	bundle := map[string]any{"resourceType": "Bundle", "type": "document", "timestamp": tx.Now().UTC().Format(instant),
		"identifier": map[string]any{"system": d.system, "value": d.id + "-" + strconv.Itoa(d.version)},
		"entry":      []any{map[string]any{"fullUrl": "Composition/" + d.id, "resource": comp}, map[string]any{"fullUrl": "Patient/" + p.ID, "resource": patient}}}
	b, err := json.Marshal(bundle)
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "encode the %s's document: %w", strings.ToLower(d.display), err)
	}
	prev, err := findByIdentifier(tx, "DocumentReference", d.system, d.id)
	if err != nil {
		return err
	}
	ctx := map[string]any{"related": []any{map[string]any{"reference": "Composition/" + d.id}}}
	for k, v := range d.context {
		ctx[k] = v
	}
	doc := map[string]any{"resourceType": "DocumentReference", "status": "current",
		"identifier":  []any{map[string]any{"system": d.system, "value": d.id}},
		"type":        map[string]any{"coding": []any{map[string]any{"system": snomed, "code": d.code, "display": d.display}}},
		"subject":     map[string]any{"reference": "Patient/" + p.ID, "display": comp.Subject.Display},
		"date":        tx.Now().UTC().Format(instant),
		"author":      []any{map[string]any{"display": d.signedBy}},
		"description": d.display + ", version " + strconv.Itoa(d.version),
		"content": []any{map[string]any{"attachment": map[string]any{"contentType": "application/fhir+json", "title": d.display,
			"data": base64.StdEncoding.EncodeToString(b)}, "format": map[string]any{"system": "urn:oid:1.3.6.1.4.1.19376.1.2.3", "code": "urn:hl7-org:fhir:document"}}},
		"context": ctx,
	}
	_, err = putNext(tx, doc, "DocumentReference", prev)
	return err
}

// OverdueSummaries lists discharges whose summary is not yet sent.
func (s *SummaryService) OverdueSummaries(ctx context.Context, a crs.Actor, ward string, age time.Duration) ([]*crs.DischargeSummary, error) {
	found, err := unsigned(ctx, s.Resources, a, DischargeSummaryCode)
	if err != nil {
		return nil, err
	}
	cutoff := s.Store.Now().Add(-age)
	var out []*crs.DischargeSummary
	for _, r := range found {
		sum, err := summaryOf(r)
		if err != nil {
			return nil, err
		}
		if (ward == "" || strings.EqualFold(sum.WardCode, ward)) && sum.DischargedAt.Before(cutoff) {
			out = append(out, sum)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DischargedAt.Before(out[j].DischargedAt) })
	return out, nil
}

// unsigned finds the trust's Compositions of a SNOMED CT document type
// still drafts (preliminary): the summaries and letters not yet signed.
func unsigned(ctx context.Context, rs crs.ResourceStore, a crs.Actor, code string) ([]*crs.Resource, error) {
	sys := snomed
	found, _, err := rs.SearchResources(ctx, a, crs.ResourceQuery{Type: "Composition", Count: 5000,
		All: [][]crs.ResourceCondition{
			{{Param: "type", Kind: "token", Op: crs.MatchEq, System: &sys, Code: code}},
			{{Param: "status", Kind: "token", Op: crs.MatchEq, Code: "preliminary"}}}})
	return found, err
}
