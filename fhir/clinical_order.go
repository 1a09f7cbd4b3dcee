package fhir

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// Identifier systems and extensions of orders and the test catalogue.
const (
	// PlacerOrderSystem is the namespace of the trust's placer order
	// numbers (ORC-2); FillerOrderSystem of the performing systems'
	// filler order numbers (ORC-3).
	PlacerOrderSystem = "https://opencrs.org/Id/placer-order-number"
	FillerOrderSystem = "https://opencrs.org/Id/filler-order-number"
	// TestCatalogueSystem is the code system of the trust's test codes.
	TestCatalogueSystem = "https://opencrs.org/fhir/CodeSystem/test-catalogue"
	userSystem          = "https://opencrs.org/Id/user"
	extOrderStatus      = "https://opencrs.org/fhir/StructureDefinition/order-status"
	extCancelReason     = "https://opencrs.org/fhir/StructureDefinition/order-cancel-reason"
	extSpecimen         = "https://opencrs.org/fhir/StructureDefinition/test-specimen"
	extDestination      = "https://opencrs.org/fhir/StructureDefinition/test-destination"
	extTestKind         = "https://opencrs.org/fhir/StructureDefinition/test-kind"
	extDM01Test         = "https://opencrs.org/fhir/StructureDefinition/dm01-test"
	extPlannedDue       = "https://opencrs.org/fhir/StructureDefinition/planned-due-date"
	v20203              = "http://terminology.hl7.org/CodeSystem/v2-0203"
	snomed              = "http://snomed.info/sct"
)

// testCategories are the SNOMED CT categories of a ServiceRequest by the
// kind of test.
var testCategories = map[string][2]string{
	crs.TestPathology: {"108252007", "Laboratory procedure"},
	crs.TestRadiology: {"363679005", "Imaging"},
}

// OrderService keeps orders as R4 ServiceRequests, and the trust's test
// catalogue as ActivityDefinitions, in the resource store. It implements
// crs.OrderService and crs.OrderTracker.
type OrderService struct {
	Store     crs.Store
	Resources crs.ResourceStore
}

var (
	_ crs.OrderService = (*OrderService)(nil)
	_ crs.OrderTracker = (*OrderService)(nil)
)

// Small R4 datatypes as the clinical mappings write and read them.
type (
	jsonIdentifier struct {
		Type   *codeableConcept `json:"type,omitempty"`
		System string           `json:"system,omitempty"`
		Value  string           `json:"value,omitempty"`
	}
	jsonExtension struct {
		URL         string `json:"url"`
		ValueString string `json:"valueString,omitempty"`
		ValueCode   string `json:"valueCode,omitempty"`
	}
	jsonMeta struct {
		VersionID string `json:"versionId,omitempty"`
	}
	// jsonResource is what the clinical mappings' resources begin with.
	jsonResource struct {
		ResourceType string           `json:"resourceType"`
		ID           string           `json:"id,omitempty"`
		Meta         *jsonMeta        `json:"meta,omitempty"`
		Extension    []jsonExtension  `json:"extension,omitempty"`
		Identifier   []jsonIdentifier `json:"identifier,omitempty"`
	}
)

// extension returns the value of the extension with url, or "".
func extension(exts []jsonExtension, url string) string {
	for _, e := range exts {
		if e.URL == url {
			return e.ValueString + e.ValueCode
		}
	}
	return ""
}

// putTyped validates v, an R4 resource as a Go value, and writes it as
// version of typ/id with its search index.
func putTyped(tx crs.Tx, v any, typ, id string, version int) (*crs.Resource, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "encode %s: %w", typ, err)
	}
	res, err := Decode(b)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "the %s written is not valid R4: %w", typ, err)
	}
	return putVersion(tx, res, typ, id, version)
}

// activityDefinition is the R4 ActivityDefinition of one catalogue test.
type activityDefinition struct {
	jsonResource
	Title  string          `json:"title"`
	Status string          `json:"status"`
	Kind   string          `json:"kind"`
	Code   codeableConcept `json:"code"`
}

func catalogueEntry(t crs.OrderableTest, status string) *activityDefinition {
	ad := &activityDefinition{jsonResource: jsonResource{ResourceType: "ActivityDefinition", Identifier: []jsonIdentifier{{System: TestCatalogueSystem, Value: t.Code}}},
		Title: t.Name, Status: status, Kind: "ServiceRequest", Code: codeableConcept{Coding: []coding{{System: TestCatalogueSystem, Code: t.Code, Display: t.Name}}, Text: t.Name}}
	ad.Extension = append(ad.Extension, jsonExtension{URL: extTestKind, ValueCode: t.Kind}, jsonExtension{URL: extDestination, ValueString: t.Destination})
	if t.Specimen != "" {
		ad.Extension = append(ad.Extension, jsonExtension{URL: extSpecimen, ValueString: t.Specimen})
	}
	if t.DM01Test != "" {
		ad.Extension = append(ad.Extension, jsonExtension{URL: extDM01Test, ValueCode: t.DM01Test})
	}
	return ad
}

func (ad *activityDefinition) test() crs.OrderableTest {
	t := crs.OrderableTest{Name: ad.Title, Kind: extension(ad.Extension, extTestKind), Specimen: extension(ad.Extension, extSpecimen), Destination: extension(ad.Extension, extDestination),
		DM01Test: extension(ad.Extension, extDM01Test)}
	for _, id := range ad.Identifier {
		if id.System == TestCatalogueSystem {
			t.Code = id.Value
		}
	}
	return t
}

// catalogueIn reads the trust's whole catalogue inside a command, by code.
func catalogueIn(tx crs.Tx) (map[string]*crs.Resource, error) {
	found, err := tx.SearchResources(crs.ResourceQuery{Type: "ActivityDefinition", Count: 100000,
		All: [][]crs.ResourceCondition{{{Param: "url", Kind: "uri", Op: crs.MatchEq, Code: TestCatalogueSystem}}}})
	if err != nil {
		return nil, err
	}
	out := map[string]*crs.Resource{}
	for _, r := range found {
		var ad activityDefinition
		if err := json.Unmarshal(r.Body, &ad); err != nil {
			return nil, crs.Errorf(crs.EINTERNAL, "read catalogue entry %s: %w", r.ID, err)
		}
		out[ad.test().Code] = r
	}
	return out, nil
}

// LoadCatalogue makes tests the trust's catalogue.
func (s *OrderService) LoadCatalogue(ctx context.Context, a crs.Actor, tests []crs.OrderableTest) (int, error) {
	for i := range tests {
		if err := tests[i].Validate(); err != nil {
			return 0, crs.Errorf(crs.EINVALID, "test %d (%s): %v", i+1, tests[i].Code, err)
		}
	}
	changed := 0
	err := s.Store.Write(ctx, a, crs.ActAdministerSettings, func(tx crs.Tx) error {
		changed = 0
		have, err := catalogueIn(tx)
		if err != nil {
			return err
		}
		put := func(ad *activityDefinition, cur *crs.Resource) error {
			// The catalogue entries are found by their url, the catalogue's.
			body := asJSONObject(ad)
			body["url"] = TestCatalogueSystem
			wrote, err := putChanged(tx, body, "ActivityDefinition", cur)
			if wrote {
				changed++
			}
			return err
		}
		given := map[string]bool{}
		for _, t := range tests {
			given[t.Code] = true
			if err := put(catalogueEntry(t, "active"), have[t.Code]); err != nil {
				return err
			}
		}
		for code, cur := range have {
			if given[code] {
				continue
			}
			var ad activityDefinition
			_ = json.Unmarshal(cur.Body, &ad)
			if err := put(catalogueEntry(ad.test(), "retired"), cur); err != nil {
				return err
			}
		}
		if changed == 0 {
			return tx.Emit(&crs.Event{Type: "order.catalogue.loaded", Summary: "Test catalogue loaded unchanged"}, "test catalogue")
		}
		return nil
	})
	return changed, err
}

// asJSONObject is v, an R4 resource as a Go value, as a JSON object.
func asJSONObject(v any) map[string]any {
	body := map[string]any{}
	b, _ := json.Marshal(v)
	_ = json.Unmarshal(b, &body)
	return body
}

// putChanged writes body as the next version of cur, or as a new
// resource, unless cur holds it already: a load run again writes nothing.
// It reports whether it wrote.
func putChanged(tx crs.Tx, body map[string]any, typ string, cur *crs.Resource) (bool, error) {
	if cur != nil {
		var old map[string]any
		_ = json.Unmarshal(cur.Body, &old)
		delete(old, "id")
		delete(old, "meta")
		if sameJSON(old, body) {
			return false, nil
		}
	}
	_, err := putNext(tx, body, typ, cur)
	return true, err
}

// sameJSON reports whether two decoded JSON values are equal.
func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// Catalogue lists the tests that may be ordered, by name.
func (s *OrderService) Catalogue(ctx context.Context, a crs.Actor) ([]crs.OrderableTest, error) {
	found, _, err := s.Resources.SearchResources(ctx, a, crs.ResourceQuery{Type: "ActivityDefinition", Count: 10000,
		All: [][]crs.ResourceCondition{
			{{Param: "url", Kind: "uri", Op: crs.MatchEq, Code: TestCatalogueSystem}},
			{{Param: "status", Kind: "token", Op: crs.MatchEq, Code: "active"}}}})
	if err != nil {
		return nil, err
	}
	var out []crs.OrderableTest
	for _, r := range found {
		var ad activityDefinition
		if err := json.Unmarshal(r.Body, &ad); err != nil {
			return nil, crs.Errorf(crs.EINTERNAL, "read catalogue entry %s: %w", r.ID, err)
		}
		out = append(out, ad.test())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// serviceRequest is the R4 ServiceRequest of an order.
type serviceRequest struct {
	jsonResource
	Status     string            `json:"status"`
	Intent     string            `json:"intent"`
	Category   []codeableConcept `json:"category,omitempty"`
	Priority   string            `json:"priority"`
	Code       codeableConcept   `json:"code"`
	Subject    reference         `json:"subject"`
	AuthoredOn string            `json:"authoredOn"`
	Requester  *reference        `json:"requester,omitempty"`
	Performer  []reference       `json:"performer,omitempty"`
	ReasonCode []codeableConcept `json:"reasonCode,omitempty"`
}

// requestStatus is the R4 request status of an order's status.
var requestStatus = map[string]string{crs.OrderPlaced: "active", crs.OrderReceived: "active", crs.OrderInProgress: "active",
	crs.OrderResulted: "completed", crs.OrderCancelled: "revoked"}

// orderResource maps an order to its ServiceRequest.
func orderResource(o *crs.Order) *serviceRequest {
	cat := testCategories[o.Test.Kind]
	sr := &serviceRequest{jsonResource: jsonResource{ResourceType: "ServiceRequest", Identifier: []jsonIdentifier{{Type: &codeableConcept{Coding: []coding{{System: v20203, Code: "PLAC", Display: "Placer Identifier"}}}, System: PlacerOrderSystem, Value: o.PlacerNumber}}},
		Status: requestStatus[o.Status], Intent: "order", Priority: o.Priority,
		Category:   []codeableConcept{{Coding: []coding{{System: snomed, Code: cat[0], Display: cat[1]}}}},
		Code:       codeableConcept{Coding: []coding{{System: TestCatalogueSystem, Code: o.Test.Code, Display: o.Test.Name}}, Text: o.Test.Name},
		Subject:    reference{Reference: "Patient/" + o.PatientID},
		AuthoredOn: o.OrderedAt.UTC().Format(instant),
		Requester:  &reference{Identifier: &jsonIdentifier{System: userSystem, Value: o.RequesterID}, Display: o.Requester},
		Performer:  []reference{{Display: o.Test.Destination}},
		ReasonCode: []codeableConcept{{Text: o.ClinicalDetails}},
	}
	if o.FillerNumber != "" {
		sr.Identifier = append(sr.Identifier, jsonIdentifier{Type: &codeableConcept{Coding: []coding{{System: v20203, Code: "FILL", Display: "Filler Identifier"}}}, System: FillerOrderSystem, Value: o.FillerNumber})
	}
	sr.Extension = []jsonExtension{{URL: extOrderStatus, ValueCode: o.Status}, {URL: extTestKind, ValueCode: o.Test.Kind}}
	if o.Test.Specimen != "" {
		sr.Extension = append(sr.Extension, jsonExtension{URL: extSpecimen, ValueString: o.Test.Specimen})
	}
	if o.CancelReason != "" {
		sr.Extension = append(sr.Extension, jsonExtension{URL: extCancelReason, ValueString: o.CancelReason})
	}
	if o.Test.DM01Test != "" {
		sr.Extension = append(sr.Extension, jsonExtension{URL: extDM01Test, ValueCode: o.Test.DM01Test})
	}
	if o.Planned {
		sr.Extension = append(sr.Extension, jsonExtension{URL: extPlannedDue, ValueString: o.DueOn.String()})
	}
	return sr
}

// orderOf reads an order back from its stored ServiceRequest.
func orderOf(r *crs.Resource) (*crs.Order, error) {
	var sr serviceRequest
	if err := json.Unmarshal(r.Body, &sr); err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read ServiceRequest/%s: %w", r.ID, err)
	}
	o := &crs.Order{ID: r.ID, Version: r.Version, PatientID: strings.TrimPrefix(sr.Subject.Reference, "Patient/"), Priority: sr.Priority,
		Status: extension(sr.Extension, extOrderStatus), CancelReason: extension(sr.Extension, extCancelReason)}
	for _, id := range sr.Identifier {
		switch id.System {
		case PlacerOrderSystem:
			o.PlacerNumber = id.Value
		case FillerOrderSystem:
			o.FillerNumber = id.Value
		}
	}
	if len(sr.Code.Coding) > 0 {
		o.Test.Code, o.Test.Name = sr.Code.Coding[0].Code, sr.Code.Coding[0].Display
	}
	o.Test.Kind, o.Test.Specimen, o.Test.DM01Test = extension(sr.Extension, extTestKind), extension(sr.Extension, extSpecimen), extension(sr.Extension, extDM01Test)
	if due := extension(sr.Extension, extPlannedDue); due != "" {
		o.Planned = true
		o.DueOn, _ = crs.ParseDate(due)
	}
	if len(sr.Performer) > 0 {
		o.Test.Destination = sr.Performer[0].Display
	}
	if len(sr.ReasonCode) > 0 {
		o.ClinicalDetails = sr.ReasonCode[0].Text
	}
	if sr.Requester != nil {
		o.Requester = sr.Requester.Display
		if sr.Requester.Identifier != nil {
			o.RequesterID = sr.Requester.Identifier.Value
		}
	}
	o.OrderedAt, _ = parseInstant(sr.AuthoredOn)
	return o, nil
}

// putOrder writes the order as its next ServiceRequest version.
func putOrder(tx crs.Tx, o *crs.Order) error {
	_, err := putTyped(tx, orderResource(o), "ServiceRequest", o.ID, o.Version)
	return err
}

// orderByIdentifier finds the trust's order with the identifier.
func orderByIdentifier(tx crs.Tx, system, value string) (*crs.Order, error) {
	sys := system
	found, err := tx.SearchResources(crs.ResourceQuery{Type: "ServiceRequest", Count: 2,
		All: [][]crs.ResourceCondition{{{Param: "identifier", Kind: "token", Op: crs.MatchEq, System: &sys, Code: value}}}})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, crs.Errorf(crs.ENOTFOUND, "no order has the number %s", value)
	}
	return orderOf(found[0])
}

// nextPlacerNumber gives a new order the trust's next placer order
// number: "OC" and the time it is placed in milliseconds, base 36, moved
// on past any number already given; at most 16 characters (EI.1).
func nextPlacerNumber(tx crs.Tx) (string, error) {
	if err := tx.LockResourceKey("placer order number"); err != nil {
		return "", err
	}
	for n := tx.Now().UnixMilli(); ; n++ {
		num := "OC" + strings.ToUpper(strconv.FormatInt(n, 36))
		_, err := orderByIdentifier(tx, PlacerOrderSystem, num)
		switch crs.ErrorCode(err) {
		case crs.ENOTFOUND:
			return num, nil
		case "":
			continue
		default:
			return "", err
		}
	}
}

// PlaceOrder records the order and queues its ORM^O01.
func (s *OrderService) PlaceOrder(ctx context.Context, a crs.Actor, o *crs.Order) error {
	if err := a.Authorize(crs.ActRecordClinical); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		p, err := tx.GetPatient(o.PatientID)
		if err != nil {
			return err
		}
		def, err := findByIdentifier(tx, "ActivityDefinition", TestCatalogueSystem, strings.ToUpper(o.Test.Code))
		if err != nil {
			return err
		}
		var ad activityDefinition
		if def != nil {
			_ = json.Unmarshal(def.Body, &ad)
		}
		if def == nil || ad.Status != "active" {
			return crs.FieldErrorf("test", "Test %s is not in the trust's test catalogue", o.Test.Code)
		}
		o.Test = ad.test()
		if o.PlacerNumber, err = nextPlacerNumber(tx); err != nil {
			return err
		}
		o.ID, o.Version, o.Status, o.FillerNumber, o.CancelReason = crs.NewID(), 1, crs.OrderPlaced, "", ""
		o.Requester, o.RequesterID, o.OrderedAt = a.Username, a.UserID, tx.Now()
		if err := putOrder(tx, o); err != nil {
			return err
		}
		if o.Test.DM01Test != "" {
			d := &crs.DiagnosticRequest{PatientID: p.ID, Test: o.Test.DM01Test, RequestedOn: crs.LocalDate(o.OrderedAt), Planned: o.Planned, DueOn: o.DueOn, OrderID: o.ID}
			if err := tx.InsertDiagnosticRequest(d); err != nil {
				return err
			}
		}
		return tx.EmitData(&crs.Event{Type: crs.EventOrderPlaced, PatientID: p.ID, SubjectID: o.ID, Summary: o.Test.Name + " ordered (" + o.Priority + ")"},
			"order "+o.PlacerNumber, crs.OrderEventData{Order: o, Patient: p})
	})
}

// CancelOrder withdraws an open order and queues the ORM^O01 CA.
func (s *OrderService) CancelOrder(ctx context.Context, a crs.Actor, id, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return crs.FieldErrorf("reason", "Enter why the order is cancelled")
	}
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		cur, err := tx.GetResource("ServiceRequest", id)
		if err != nil {
			return err
		}
		o, err := orderOf(cur)
		if err != nil {
			return err
		}
		if !o.Open() {
			return crs.Errorf(crs.ECONFLICT, "order %s is %s and cannot be cancelled", o.PlacerNumber, o.Status)
		}
		p, err := tx.GetPatient(o.PatientID)
		if err != nil {
			return err
		}
		o.Version, o.Status, o.CancelReason = o.Version+1, crs.OrderCancelled, strings.TrimSpace(reason)
		if err := putOrder(tx, o); err != nil {
			return err
		}
		if err := cancelDiagnostic(tx, o); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: crs.EventOrderCancelled, PatientID: p.ID, SubjectID: o.ID, Summary: o.Test.Name + " order cancelled"},
			"order "+o.PlacerNumber+" cancelled", crs.OrderEventData{Order: o, Patient: p})
	})
}

// GetOrder reads one order.
func (s *OrderService) GetOrder(ctx context.Context, a crs.Actor, id string) (*crs.Order, error) {
	r, err := s.Resources.ReadResource(ctx, a, "ServiceRequest", id, 0)
	if err != nil {
		return nil, err
	}
	if r.Deleted {
		return nil, crs.Errorf(crs.ENOTFOUND, "order %s was deleted", id)
	}
	return orderOf(r)
}

// PatientOrders lists the patient's orders, newest first.
func (s *OrderService) PatientOrders(ctx context.Context, a crs.Actor, patientID string) ([]*crs.Order, error) {
	found, _, err := s.Resources.SearchResources(ctx, a, crs.ResourceQuery{Type: "ServiceRequest", Count: 500,
		All:    [][]crs.ResourceCondition{{{Param: "subject", Kind: "reference", Op: crs.MatchEq, Code: "Patient/" + patientID}}},
		SortBy: []crs.ResourceSort{{Param: "authored", Kind: "date", Desc: true}}})
	if err != nil {
		return nil, err
	}
	return entriesOf(found, orderOf)
}

// FindOrderByNumber finds the order a performing system's message names.
func (s *OrderService) FindOrderByNumber(tx crs.Tx, placer, filler string) (*crs.Order, error) {
	if placer != "" {
		o, err := orderByIdentifier(tx, PlacerOrderSystem, placer)
		if crs.ErrorCode(err) != crs.ENOTFOUND {
			return o, err
		}
	}
	if filler != "" {
		return orderByIdentifier(tx, FillerOrderSystem, filler)
	}
	return nil, crs.Errorf(crs.ENOTFOUND, "no order has placer number %q or filler number %q", placer, filler)
}

// statusRank orders the statuses an order moves through: a report of an
// earlier one than the order has reached changes nothing.
var statusRank = map[string]int{crs.OrderPlaced: 0, crs.OrderReceived: 1, crs.OrderInProgress: 2, crs.OrderResulted: 3, crs.OrderCancelled: 4}

// TrackOrder records progress the performing system reported.
func (s *OrderService) TrackOrder(tx crs.Tx, o *crs.Order, status, filler string) error {
	if _, ok := statusRank[status]; !ok {
		return crs.Errorf(crs.EINVALID, "order status %q is not one of placed, received, in-progress, resulted, cancelled", status)
	}
	moved := statusRank[status] > statusRank[o.Status] || (status == crs.OrderResulted && o.Status == crs.OrderResulted)
	newFiller := filler != "" && filler != o.FillerNumber
	if o.Status == crs.OrderCancelled || (!moved && !newFiller) {
		return nil
	}
	if moved {
		o.Status = status
	}
	if newFiller {
		o.FillerNumber = filler
	}
	o.Version++
	if err := putOrder(tx, o); err != nil {
		return err
	}
	return tx.EmitData(&crs.Event{Type: crs.EventOrderStatus, PatientID: o.PatientID, SubjectID: o.ID, Summary: o.Test.Name + " order " + o.Status},
		"order "+o.PlacerNumber+" "+o.Status, crs.OrderEventData{Order: o})
}

// cancelDiagnostic cancels the diagnostic request a cancelled order for a
// DM01 test made, if it is still open: the patient no longer waits.
func cancelDiagnostic(tx crs.Tx, o *crs.Order) error {
	return withOpenDiagnostic(tx, o, func(d *crs.DiagnosticRequest) error {
		return tx.CancelDiagnosticRequest(d.ID, crs.LocalDate(tx.Now()), "order "+o.PlacerNumber+" cancelled: "+o.CancelReason)
	})
}

// diagnosticDone records the diagnostic request of an order for a DM01
// test done on the date of its first result's observation (OBR-7, when
// the examination was carried out), if it is still open. The DM01 wait
// ends when the test is performed; a result's observation date is that
// date by definition, where an order status "in progress" (ORC-5 IP) may
// be sent when the patient is booked or arrives, so it does not end the
// wait. A date before the request (a clock out of step) is taken as the
// request date, one in the future as today: the result is never refused
// for it.
func diagnosticDone(tx crs.Tx, o *crs.Order, observed time.Time) error {
	return withOpenDiagnostic(tx, o, func(d *crs.DiagnosticRequest) error {
		on, today := crs.LocalDate(observed), crs.LocalDate(tx.Now())
		if observed.IsZero() || on.After(today.Time) {
			on = today
		}
		if on.Before(d.RequestedOn.Time) {
			on = d.RequestedOn
		}
		return tx.RecordDiagnosticDone(d.ID, on)
	})
}

// withOpenDiagnostic calls fn with the diagnostic request the order made
// when the order is for a DM01 test and its request is neither done nor
// cancelled.
func withOpenDiagnostic(tx crs.Tx, o *crs.Order, fn func(d *crs.DiagnosticRequest) error) error {
	if o.Test.DM01Test == "" {
		return nil
	}
	d, err := tx.FindDiagnosticRequestByOrder(o.ID)
	switch {
	case crs.ErrorCode(err) == crs.ENOTFOUND:
		return nil // ordered before the catalogue named its DM01 test
	case err != nil:
		return err
	case !d.Open():
		return nil
	}
	return fn(d)
}
