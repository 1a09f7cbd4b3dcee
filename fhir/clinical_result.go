package fhir

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// Identifier systems, tags and extensions of filed results.
const (
	// ResultOrderSystem identifies a DiagnosticReport by the order it
	// reports (filler or placer number and test: crs.Result.OrderKey),
	// ResultVersionSystem by the filed result version it was made from.
	ResultOrderSystem   = "https://opencrs.org/Id/result-order"
	ResultVersionSystem = "https://opencrs.org/Id/result"
	// ResultReplacedSystem identifies a DiagnosticReport by the filed
	// result versions its current one replaced, so a link to an earlier
	// version finds the report.
	ResultReplacedSystem = "https://opencrs.org/Id/result-replaced"
	observationSystem    = "https://opencrs.org/Id/result-observation"
	// ReviewTagSystem tags a DiagnosticReport "unacknowledged" until a
	// clinician acknowledges it, then "acknowledged": the results
	// worklist is the search _tag=ReviewTagSystem|unacknowledged.
	ReviewTagSystem   = "https://opencrs.org/fhir/CodeSystem/result-review"
	labTestSystem     = "https://opencrs.org/fhir/CodeSystem/laboratory-test"
	extAbnormalCount  = "https://opencrs.org/fhir/StructureDefinition/abnormal-observations"
	extHL7Status      = "https://opencrs.org/fhir/StructureDefinition/hl7-result-status"
	extAcknowledgedBy = "https://opencrs.org/fhir/StructureDefinition/acknowledged-by"
	extAcknowledgedAt = "https://opencrs.org/fhir/StructureDefinition/acknowledged-at"
	extRequesterID    = "https://opencrs.org/fhir/StructureDefinition/requester-id"
	extResultVersion  = "https://opencrs.org/fhir/StructureDefinition/result-version"
	extResultFiled    = "https://opencrs.org/fhir/StructureDefinition/result-filed-at"
	extPlacerOrder    = "https://opencrs.org/fhir/StructureDefinition/result-placer-order"
	extOrderedBy      = "https://opencrs.org/fhir/StructureDefinition/result-ordered-by"
	extMessageID      = "https://opencrs.org/fhir/StructureDefinition/result-message"
	extOBXSetID       = "https://opencrs.org/fhir/StructureDefinition/obx-set-id"
	extOBXSubID       = "https://opencrs.org/fhir/StructureDefinition/obx-sub-id"
	extOBXValueType   = "https://opencrs.org/fhir/StructureDefinition/obx-value-type"
	extOBXObserved    = "https://opencrs.org/fhir/StructureDefinition/obx-observed"
	extOBXUnits       = "https://opencrs.org/fhir/StructureDefinition/obx-units"
	v20074            = "http://terminology.hl7.org/CodeSystem/v2-0074"
	v3Interpretation  = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
)

// ResultService files results to the resource store as DiagnosticReports
// and Observations, their one record, reads them back for the result
// pages and keeps the worklist of their acknowledgement. It implements
// crs.ResultFiler, crs.ResultService and crs.ResultReviewService.
type ResultService struct {
	Store     crs.Store
	Resources crs.ResourceStore
	Orders    *OrderService // matches results to the orders they answer
}

var (
	_ crs.ResultFiler         = (*ResultService)(nil)
	_ crs.ResultReviewService = (*ResultService)(nil)
	_ crs.ResultService       = (*ResultService)(nil)
)

// reportStatus and observationStatus map HL7 result statuses (table
// 0123) to R4.
var (
	reportStatus = map[string]string{"F": "final", "C": "corrected", "P": "preliminary", "A": "partial", "R": "preliminary",
		"X": "cancelled", "W": "entered-in-error", "D": "entered-in-error", "I": "registered", "S": "registered", "O": "registered"}
	observationStatus = map[string]string{"F": "final", "C": "corrected", "P": "preliminary", "A": "preliminary", "R": "preliminary",
		"X": "cancelled", "W": "entered-in-error", "D": "entered-in-error", "I": "registered", "S": "registered", "O": "registered"}
)

func statusOr(m map[string]string, code string) string {
	if s, ok := m[strings.ToUpper(code)]; ok {
		return s
	}
	return "unknown"
}

type (
	jsonTag struct {
		System string `json:"system"`
		Code   string `json:"code"`
	}
	jsonTagMeta struct {
		Tag []jsonTag `json:"tag,omitempty"`
	}
	jsonRange struct {
		Text string `json:"text"`
	}
	jsonQuantity struct {
		Value json.Number `json:"value"`
		Unit  string      `json:"unit,omitempty"`
	}
	jsonAnnotation struct {
		Text string `json:"text"`
	}
	// diagnosticReport is the R4 DiagnosticReport of a filed result.
	diagnosticReport struct {
		ResourceType      string            `json:"resourceType"`
		ID                string            `json:"id,omitempty"`
		Meta              jsonTagMeta       `json:"meta"`
		Extension         []jsonExtension   `json:"extension,omitempty"`
		Identifier        []jsonIdentifier  `json:"identifier"`
		BasedOn           []reference       `json:"basedOn,omitempty"`
		Status            string            `json:"status"`
		Category          []codeableConcept `json:"category,omitempty"`
		Code              codeableConcept   `json:"code"`
		Subject           reference         `json:"subject"`
		EffectiveDateTime string            `json:"effectiveDateTime,omitempty"`
		Issued            string            `json:"issued,omitempty"`
		Result            []reference       `json:"result,omitempty"`
		Conclusion        string            `json:"conclusion,omitempty"`
	}
	// observationResource is the R4 Observation of one OBX.
	observationResource struct {
		jsonResource
		Status            string            `json:"status"`
		Category          []codeableConcept `json:"category"`
		Code              codeableConcept   `json:"code"`
		Subject           reference         `json:"subject"`
		EffectiveDateTime string            `json:"effectiveDateTime,omitempty"`
		ValueQuantity     *jsonQuantity     `json:"valueQuantity,omitempty"`
		ValueString       string            `json:"valueString,omitempty"`
		Interpretation    []codeableConcept `json:"interpretation,omitempty"`
		ReferenceRange    []jsonRange       `json:"referenceRange,omitempty"`
		Note              []jsonAnnotation  `json:"note,omitempty"`
	}
)

// findByIdentifier returns the current resource of typ with the
// identifier inside a command, or nil.
func findByIdentifier(tx crs.Tx, typ, system, value string) (*crs.Resource, error) {
	sys := system
	found, err := tx.SearchResources(crs.ResourceQuery{Type: typ, Count: 1,
		All: [][]crs.ResourceCondition{{{Param: "identifier", Kind: "token", Op: crs.MatchEq, System: &sys, Code: value}}}})
	if err != nil || len(found) == 0 {
		return nil, err
	}
	return found[0], nil
}

// putNext writes v as the next version of cur, or as a new resource.
func putNext(tx crs.Tx, v any, typ string, cur *crs.Resource) (string, error) {
	id, version := crs.NewID(), 1
	if cur != nil {
		id, version = cur.ID, cur.Version+1
	}
	_, err := putTyped(tx, v, typ, id, version)
	return id, err
}

// FileResult files the result as a DiagnosticReport and its
// Observations, the one record of it: a later report of the same order
// is the report's next version (a correction that resends some
// observations keeps the others), the order it answers is resulted and,
// for a DM01 test, its diagnostic request done.
func (s *ResultService) FileResult(tx crs.Tx, r *crs.Result) error {
	return s.fileResult(tx, r, false)
}

// fileResult files r; carried says it is a result received before
// results were kept only here, filed again as it was: it waits on no
// worklist, moves no order and appends no result event.
func (s *ResultService) fileResult(tx crs.Tx, r *crs.Result, carried bool) error {
	p, err := tx.GetPatient(r.PatientID)
	if err != nil {
		return err
	}
	if r.ID == "" {
		r.ID = crs.NewID()
	}
	r.OrgID, r.Version, r.Replaces = tx.Actor().OrgID, 1, ""
	if r.CreatedAt.IsZero() {
		r.CreatedAt = tx.Now()
	}
	key := r.OrderKey()
	if key == "" {
		key = "unsolicited " + r.ID
	}
	cur, err := findByIdentifier(tx, "DiagnosticReport", ResultOrderSystem, key)
	if err != nil {
		return err
	}
	reportID := crs.NewID()
	var earlier []string // the ids of the versions r replaces
	if cur != nil {
		reportID = cur.ID
		prev, err := filedResult(cur, func(ref string) (*crs.Resource, error) {
			typ, id, _ := splitReference(ref)
			return tx.GetResource(typ, id)
		})
		if err != nil {
			return err
		}
		r.Replace(prev.Result)
		earlier = append(prev.earlier, prev.ID)
	}
	review := "unacknowledged"
	if carried {
		review = "carried"
	}
	subject := reference{Reference: "Patient/" + p.ID, Display: p.FamilyName + ", " + p.GivenName}
	dr := &diagnosticReport{ResourceType: "DiagnosticReport", Status: statusOr(reportStatus, r.Status),
		Meta:       jsonTagMeta{Tag: []jsonTag{{System: ReviewTagSystem, Code: review}}},
		Identifier: []jsonIdentifier{{System: ResultOrderSystem, Value: key}, {System: ResultVersionSystem, Value: r.ID}},
		Code:       codeableConcept{Coding: []coding{{System: labTestSystem, Code: r.ServiceCode, Display: r.ServiceName}}, Text: firstNonEmpty(r.ServiceName, r.ServiceCode)},
		Subject:    subject, EffectiveDateTime: r.ObservedAt.UTC().Format(instant), Conclusion: strings.Join(r.Comments, "\n"),
		Extension: []jsonExtension{{URL: extHL7Status, ValueCode: r.Status}, {URL: extResultVersion, ValueString: strconv.Itoa(r.Version)}}}
	for _, id := range earlier {
		dr.Identifier = append(dr.Identifier, jsonIdentifier{System: ResultReplacedSystem, Value: id})
	}
	if r.FillerOrder != "" {
		dr.Identifier = append(dr.Identifier, jsonIdentifier{Type: &codeableConcept{Coding: []coding{{System: v20203, Code: "FILL"}}}, System: FillerOrderSystem, Value: r.FillerOrder})
	}
	for _, x := range []jsonExtension{{URL: extPlacerOrder, ValueString: r.PlacerOrder}, {URL: extOrderedBy, ValueString: r.OrderedBy},
		{URL: extMessageID, ValueString: r.MessageID}, {URL: extResultFiled, ValueString: r.CreatedAt.UTC().Format(instant)}} {
		if x.ValueString != "" {
			dr.Extension = append(dr.Extension, x)
		}
	}
	if dr.Code.Coding[0].Code == "" {
		dr.Code.Coding = nil
	}
	if r.Section != "" {
		dr.Category = []codeableConcept{{Coding: []coding{{System: v20074, Code: r.Section}}}}
	}
	if !r.ReportedAt.IsZero() {
		dr.Issued = r.ReportedAt.UTC().Format(instant)
	}
	abnormal := 0
	for i, o := range r.Observations {
		obsKey := reportID + "/" + o.Code + "|" + o.SubID + "|" + o.Name
		if o.Code == "" && o.Name == "" {
			obsKey = reportID + "/" + strconv.Itoa(i+1)
		}
		prev, err := findByIdentifier(tx, "Observation", observationSystem, obsKey)
		if err != nil {
			return err
		}
		obs := observationOf(o, r, subject, dr.EffectiveDateTime, obsKey)
		if o.Abnormal() {
			abnormal++
		}
		id, err := putNext(tx, obs, "Observation", prev)
		if err != nil {
			return err
		}
		// Each version of the report names the versions of its
		// observations it was filed with, so its history reads as sent.
		dr.Result = append(dr.Result, reference{Reference: "Observation/" + id + "/_history/" + strconv.Itoa(versionAfter(prev))})
	}
	dr.Extension = append(dr.Extension, jsonExtension{URL: extAbnormalCount, ValueString: strconv.Itoa(abnormal)})
	if s.Orders != nil {
		o, err := s.Orders.FindOrderByNumber(tx, r.PlacerOrder, r.FillerOrder)
		switch crs.ErrorCode(err) {
		case "":
			dr.BasedOn = []reference{{Reference: "ServiceRequest/" + o.ID}}
			dr.Extension = append(dr.Extension, jsonExtension{URL: extRequesterID, ValueString: o.RequesterID})
			dr.Identifier = append(dr.Identifier, jsonIdentifier{Type: &codeableConcept{Coding: []coding{{System: v20203, Code: "PLAC"}}}, System: PlacerOrderSystem, Value: o.PlacerNumber})
			if !carried {
				if err := diagnosticDone(tx, o, r.ObservedAt); err != nil {
					return err
				}
				if err := s.Orders.TrackOrder(tx, o, crs.OrderResulted, r.FillerOrder); err != nil {
					return err
				}
			}
		case crs.ENOTFOUND: // unsolicited: filed without an order
		default:
			return err
		}
	}
	dr.ID = reportID
	if _, err = putTyped(tx, dr, "DiagnosticReport", reportID, versionAfter(cur)); err != nil || carried {
		return err
	}
	name := firstNonEmpty(r.ServiceName, r.ServiceCode)
	summary := "Result received: " + name
	if cur != nil {
		summary = "Result updated: " + name
		if r.Corrected() {
			summary = "Result corrected: " + name
		}
	}
	return tx.EmitData(&crs.Event{Type: crs.EventResultReceived, PatientID: r.PatientID, SubjectID: r.ID, EffectiveAt: r.ObservedAt, Summary: summary},
		"result", map[string]any{"result_id": r.ID, "report_id": reportID, "service": name, "observations": len(r.Observations), "version": r.Version, "replaces": r.Replaces})
}

// observationOf is the R4 Observation of one OBX of r.
func observationOf(o crs.Observation, r *crs.Result, subject reference, effective, key string) *observationResource {
	obs := &observationResource{jsonResource: jsonResource{ResourceType: "Observation", Identifier: []jsonIdentifier{{System: observationSystem, Value: key}}},
		Status:   statusOr(observationStatus, firstNonEmpty(o.Status, r.Status)),
		Category: []codeableConcept{{Coding: []coding{{System: "http://terminology.hl7.org/CodeSystem/observation-category", Code: "laboratory"}}}},
		Code:     codeableConcept{Coding: []coding{{System: labTestSystem, Code: o.Code, Display: o.Name}}, Text: firstNonEmpty(o.Name, o.Code)},
		Subject:  subject, EffectiveDateTime: effective}
	if o.Code == "" {
		obs.Code.Coding = nil
	}
	if _, err := strconv.ParseFloat(o.Value, 64); err == nil && strings.EqualFold(o.Type, "NM") {
		obs.ValueQuantity = &jsonQuantity{Value: json.Number(strings.TrimSpace(o.Value)), Unit: o.Units}
	} else if o.Value != "" {
		obs.ValueString = o.Value
	}
	if o.Range != "" {
		obs.ReferenceRange = []jsonRange{{Text: o.Range}}
	}
	for _, f := range strings.Split(o.Flags, "~") {
		if f = strings.TrimSpace(f); f != "" {
			obs.Interpretation = append(obs.Interpretation, codeableConcept{Coding: []coding{{System: v3Interpretation, Code: f}}})
		}
	}
	for _, c := range o.Comments {
		obs.Note = append(obs.Note, jsonAnnotation{Text: c})
	}
	// What R4 has no place for, as the OBX gave it.
	for _, x := range []jsonExtension{{URL: extHL7Status, ValueCode: o.Status}, {URL: extOBXSetID, ValueString: o.SetID}, {URL: extOBXSubID, ValueString: o.SubID},
		{URL: extOBXValueType, ValueCode: o.Type}, {URL: extOBXObserved, ValueString: o.Observed}} {
		if x.ValueString+x.ValueCode != "" {
			obs.Extension = append(obs.Extension, x)
		}
	}
	if o.Units != "" && obs.ValueQuantity == nil {
		obs.Extension = append(obs.Extension, jsonExtension{URL: extOBXUnits, ValueString: o.Units})
	}
	return obs
}

// versionAfter is the version that follows cur, 1 when there is none.
func versionAfter(cur *crs.Resource) int {
	if cur == nil {
		return 1
	}
	return cur.Version + 1
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// reviewOf reads the worklist's view of a stored DiagnosticReport.
func reviewOf(r *crs.Resource) (*crs.ResultReview, error) {
	var dr diagnosticReport
	if err := json.Unmarshal(r.Body, &dr); err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read DiagnosticReport/%s: %w", r.ID, err)
	}
	rv := &crs.ResultReview{ReportID: r.ID, PatientID: strings.TrimPrefix(dr.Subject.Reference, "Patient/"), PatientName: dr.Subject.Display,
		Test: dr.Code.Text, Status: extension(dr.Extension, extHL7Status), RequesterID: extension(dr.Extension, extRequesterID),
		AcknowledgedBy: extension(dr.Extension, extAcknowledgedBy)}
	rv.Abnormal, _ = strconv.Atoi(extension(dr.Extension, extAbnormalCount))
	rv.ObservedAt, _ = parseInstant(dr.EffectiveDateTime)
	rv.AcknowledgedAt, _ = parseInstant(extension(dr.Extension, extAcknowledgedAt))
	for _, id := range dr.Identifier {
		switch id.System {
		case ResultVersionSystem:
			rv.ResultID = id.Value
		case PlacerOrderSystem:
			rv.PlacerNumber = id.Value
		}
	}
	return rv, nil
}

// UnacknowledgedResults lists the results waiting, abnormal first.
func (s *ResultService) UnacknowledgedResults(ctx context.Context, a crs.Actor, mine bool) ([]*crs.ResultReview, error) {
	sys := ReviewTagSystem
	found, _, err := s.Resources.SearchResources(ctx, a, crs.ResourceQuery{Type: "DiagnosticReport", Count: 1000,
		All: [][]crs.ResourceCondition{{{Param: "_tag", Kind: "token", Op: crs.MatchEq, System: &sys, Code: "unacknowledged"}}}})
	if err != nil {
		return nil, err
	}
	var out []*crs.ResultReview
	for _, r := range found {
		rv, err := reviewOf(r)
		if err != nil {
			return nil, err
		}
		if mine && rv.RequesterID != "" && rv.RequesterID != a.UserID {
			continue
		}
		out = append(out, rv)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Abnormal > 0) != (out[j].Abnormal > 0) {
			return out[i].Abnormal > 0
		}
		return out[i].ObservedAt.Before(out[j].ObservedAt)
	})
	if s.Orders != nil {
		for _, rv := range out {
			if rv.PlacerNumber == "" {
				continue
			}
			if o, err := s.orderFor(ctx, a, rv.PlacerNumber); err == nil {
				rv.Requester = o.Requester
			}
		}
	}
	return out, nil
}

// orderFor reads the order with the placer number.
func (s *ResultService) orderFor(ctx context.Context, a crs.Actor, placer string) (*crs.Order, error) {
	r, err := readByIdentifier(ctx, s.Resources, a, "ServiceRequest", PlacerOrderSystem, placer)
	if err != nil {
		return nil, err
	}
	return orderOf(r)
}

// readByIdentifier reads the current resource of typ with the
// identifier, checking access and auditing; ENOTFOUND when none has it.
func readByIdentifier(ctx context.Context, rs crs.ResourceStore, a crs.Actor, typ, system, value string) (*crs.Resource, error) {
	found, _, err := rs.SearchResources(ctx, a, crs.ResourceQuery{Type: typ, Count: 1,
		All: [][]crs.ResourceCondition{{{Param: "identifier", Kind: "token", Op: crs.MatchEq, System: &system, Code: value}}}})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, crs.Errorf(crs.ENOTFOUND, "no %s has the identifier %s", typ, value)
	}
	return found[0], nil
}

// ResultReviewOf returns the review state of a filed result version.
func (s *ResultService) ResultReviewOf(ctx context.Context, a crs.Actor, resultID string) (*crs.ResultReview, error) {
	r, err := readByIdentifier(ctx, s.Resources, a, "DiagnosticReport", ResultVersionSystem, resultID)
	if err != nil {
		return nil, err
	}
	return reviewOf(r)
}

// AcknowledgeResult records the actor's acknowledgement of the report,
// which they must be able to see (a person needs a legitimate
// relationship with its patient).
func (s *ResultService) AcknowledgeResult(ctx context.Context, a crs.Actor, reportID string) error {
	if _, err := s.Resources.ReadResource(ctx, a, "DiagnosticReport", reportID, 0); err != nil {
		return err
	}
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		cur, err := tx.GetResource("DiagnosticReport", reportID)
		if err != nil {
			return err
		}
		var body map[string]any
		if err := json.Unmarshal(cur.Body, &body); err != nil {
			return crs.Errorf(crs.EINTERNAL, "read DiagnosticReport/%s: %w", reportID, err)
		}
		var dr diagnosticReport
		_ = json.Unmarshal(cur.Body, &dr)
		if by := extension(dr.Extension, extAcknowledgedBy); by != "" {
			return crs.Errorf(crs.ECONFLICT, "the result was acknowledged already, by %s", by)
		}
		exts, _ := body["extension"].([]any)
		exts = append(exts, map[string]any{"url": extAcknowledgedBy, "valueString": a.Username},
			map[string]any{"url": extAcknowledgedAt, "valueString": tx.Now().UTC().Format(instant)})
		body["extension"] = exts
		body["meta"] = map[string]any{"tag": []any{map[string]any{"system": ReviewTagSystem, "code": "acknowledged"}}}
		if _, err := putTyped(tx, body, "DiagnosticReport", cur.ID, cur.Version+1); err != nil {
			return err
		}
		return tx.Emit(&crs.Event{Type: crs.EventResultAcknowledged, PatientID: cur.PatientID, SubjectID: cur.ID,
			Summary: firstNonEmpty(dr.Code.Text, "Result") + " acknowledged"}, "result acknowledged")
	})
}
