package crs

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/opencrs/crs/nhs"
)

// Events of orders: the outbound feeds send each as an HL7 ORM^O01 to
// the system that carries the test out.
const (
	EventOrderPlaced    = "order.placed"    // a clinician requested a test
	EventOrderCancelled = "order.cancelled" // the requester withdrew it
	EventOrderStatus    = "order.status"    // the performing system reported progress
)

// Kinds of orderable test.
const (
	TestPathology = "pathology" // a laboratory test on a specimen
	TestRadiology = "radiology" // an imaging examination
)

// Priorities of an order, as a requesting clinician chooses them.
const (
	OrderRoutine = "routine"
	OrderUrgent  = "urgent"
	OrderASAP    = "asap"
	OrderStat    = "stat" // immediately: a life may depend on it
)

// OrderPriorities lists the priorities in order of rising urgency.
var OrderPriorities = []string{OrderRoutine, OrderUrgent, OrderASAP, OrderStat}

// Statuses of an order, from placing to its result.
const (
	OrderPlaced     = "placed"      // requested and sent to the performing system
	OrderReceived   = "received"    // the performing system accepted it
	OrderInProgress = "in-progress" // the specimen is in the lab, the patient in the scanner
	OrderResulted   = "resulted"    // a result came back for it
	OrderCancelled  = "cancelled"   // withdrawn, by the requester or the performing system
)

// OrderableTest is one entry of the trust's test catalogue: a pathology
// or radiology test a clinician may order, what specimen it needs and
// which system (an outbound feed taking orders, by name) carries it out.
type OrderableTest struct {
	Code        string `json:"code"`               // the trust's test code, e.g. "FBC"
	Name        string `json:"name"`               // e.g. "Full blood count"
	Kind        string `json:"kind"`               // TestPathology or TestRadiology
	Specimen    string `json:"specimen,omitempty"` // e.g. "Blood (EDTA)"; none for imaging
	Destination string `json:"destination"`        // the name of the feed that takes its orders, e.g. "Pathology LIMS"
	// DM01Test is the diagnostic test of the DM01 return the entry is
	// (nhs.DM01Tests, e.g. "MRI"), or "" for a test DM01 does not count:
	// ordering it puts the patient on the diagnostic waiting list.
	DM01Test string `json:"dm01_test,omitempty"`
}

// Validate checks a catalogue entry, naming the field at fault.
func (t *OrderableTest) Validate() error {
	var errs Errors
	if strings.TrimSpace(t.Code) == "" {
		errs = append(errs, FieldErrorf("code", "Enter the test code"))
	} else if len(t.Code) > 20 || strings.ContainsAny(t.Code, "|^~\\&") {
		errs = append(errs, FieldErrorf("code", "Test code %q must be at most 20 characters without | ^ ~ \\ &", t.Code))
	}
	if strings.TrimSpace(t.Name) == "" {
		errs = append(errs, FieldErrorf("name", "Enter the test name"))
	}
	if t.Kind != TestPathology && t.Kind != TestRadiology {
		errs = append(errs, FieldErrorf("kind", "Kind %q must be pathology or radiology", t.Kind))
	}
	if t.Kind == TestPathology && strings.TrimSpace(t.Specimen) == "" {
		errs = append(errs, FieldErrorf("specimen", "Enter the specimen a pathology test needs"))
	}
	if strings.TrimSpace(t.Destination) == "" {
		errs = append(errs, FieldErrorf("destination", "Enter the system that carries the test out"))
	}
	t.DM01Test = strings.ToUpper(strings.TrimSpace(t.DM01Test))
	if _, ok := nhs.Lookup(nhs.DM01Tests, t.DM01Test); t.DM01Test != "" && !ok {
		errs = append(errs, FieldErrorf("dm01_test", "DM01 test %q is not one of the DM01 tests (MRI, CT, NON_OBSTETRIC_ULTRASOUND, ..., GASTROSCOPY)", t.DM01Test))
	}
	return errs.Err()
}

// Order is a clinician's request for a test for a patient: a FHIR
// ServiceRequest in the record, sent to the performing system as an HL7
// ORM^O01 and tracked to its result.
type Order struct {
	ID              string        `json:"id"`
	Version         int           `json:"version"`
	PatientID       string        `json:"patient_id"`
	Test            OrderableTest `json:"test"`
	ClinicalDetails string        `json:"clinical_details"` // what the requester tells the lab or radiologist
	Priority        string        `json:"priority"`
	// PlacerNumber is the order's number in this trust (ORC-2, OBR-2);
	// FillerNumber the performing system's (ORC-3, OBR-3), once known.
	PlacerNumber string    `json:"placer_number"`
	FillerNumber string    `json:"filler_number,omitempty"`
	Status       string    `json:"status"`
	Requester    string    `json:"requester"` // the username of the requesting clinician
	RequesterID  string    `json:"requester_id"`
	OrderedAt    time.Time `json:"ordered_at"`
	CancelReason string    `json:"cancel_reason,omitempty"`
	// Planned says the test is a planned one (a surveillance or repeat
	// test due on DueOn), not a patient waiting: a DM01 test ordered
	// planned is not on the diagnostic waiting list.
	Planned bool `json:"planned,omitempty"`
	DueOn   Date `json:"due_on,omitzero"`
}

// Validate checks what a requester gives, naming the field at fault.
func (o *Order) Validate() error {
	var errs Errors
	if strings.TrimSpace(o.Test.Code) == "" {
		errs = append(errs, FieldErrorf("test", "Choose the test"))
	}
	if strings.TrimSpace(o.ClinicalDetails) == "" {
		errs = append(errs, FieldErrorf("clinical_details", "Enter the clinical details the lab or radiologist needs"))
	} else if len(o.ClinicalDetails) > 1000 {
		errs = append(errs, FieldErrorf("clinical_details", "Clinical details must be at most 1000 characters"))
	}
	ok := false
	for _, p := range OrderPriorities {
		ok = ok || o.Priority == p
	}
	if !ok {
		errs = append(errs, FieldErrorf("priority", "Choose the priority: routine, urgent, asap or stat"))
	}
	if o.Planned && o.DueOn.IsZero() {
		errs = append(errs, FieldErrorf("due_on", "Enter the date a planned test is due"))
	}
	if !o.Planned {
		o.DueOn = Date{}
	}
	return errs.Err()
}

// Open reports whether the order may still be cancelled.
func (o *Order) Open() bool {
	return o.Status != OrderCancelled && o.Status != OrderResulted
}

// OrderEventData is the Data of an order event: the order as it stands
// after the change and the patient it is for, which the outbound feeds
// render as an ORM^O01.
type OrderEventData struct {
	Order   *Order   `json:"order"`
	Patient *Patient `json:"patient"`
}

// OrderService is how clinicians order tests and the trust keeps its
// test catalogue. Every method checks the actor's access and audits.
type OrderService interface {
	// LoadCatalogue makes tests the trust's test catalogue: new codes are
	// added, known ones updated, and codes not given withdrawn. It
	// returns how many entries were added or changed.
	LoadCatalogue(ctx context.Context, a Actor, tests []OrderableTest) (int, error)
	// Catalogue lists the tests the trust's clinicians may order, by name.
	Catalogue(ctx context.Context, a Actor) ([]OrderableTest, error)
	// PlaceOrder records the order, gives it a placer order number and
	// queues its ORM^O01 to the system named by the test's catalogue
	// entry, in the one transaction. A test the catalogue names a DM01
	// test also records the diagnostic request, linked to the order.
	PlaceOrder(ctx context.Context, a Actor, o *Order) error
	// CancelOrder withdraws an open order and queues the ORM^O01 with
	// ORC-1 CA that tells the performing system; the order's diagnostic
	// request, if still open, is cancelled with it.
	CancelOrder(ctx context.Context, a Actor, id, reason string) error
	// GetOrder reads one order.
	GetOrder(ctx context.Context, a Actor, id string) (*Order, error)
	// PatientOrders lists a patient's orders, newest first.
	PatientOrders(ctx context.Context, a Actor, patientID string) ([]*Order, error)
}

// OrderTracker finds and updates orders inside another command's
// transaction: an inbound HL7 message from the performing system (an
// order status, a result) reports progress against the order it names.
// Package fhir implements it; cmd/crs hands it to the interfaces.
type OrderTracker interface {
	// FindOrderByNumber returns the trust's order with the placer order
	// number or, failing that, the filler order number; ENOTFOUND when
	// neither names one.
	FindOrderByNumber(tx Tx, placer, filler string) (*Order, error)
	// TrackOrder records the order's new status and filler number
	// (unless empty) and appends an EventOrderStatus.
	TrackOrder(tx Tx, o *Order, status, filler string) error
}

// ReadOrderCatalogue reads a test catalogue as CSV with the header
// code,name,kind,specimen,destination and, optionally, dm01_test (the
// DM01 test code of an entry DM01 counts, blank for others). Every
// problem is reported as name:LINE: what is wrong, all at once.
func ReadOrderCatalogue(r io.Reader, name string) ([]OrderableTest, error) {
	var tests []OrderableTest
	seen := map[string]int{}
	err := readCSVFile(r, name, []string{"code", "name", "kind", "specimen", "destination"}, func(get func(string) string, line int) []string {
		t := OrderableTest{Code: strings.ToUpper(get("code")), Name: get("name"), Kind: strings.ToLower(get("kind")),
			Specimen: get("specimen"), Destination: get("destination"), DM01Test: get("dm01_test")}
		if err := t.Validate(); err != nil {
			return fieldProblems(err)
		}
		if prev, ok := seen[t.Code]; ok {
			return []string{fmt.Sprintf("code %s is already on line %d", t.Code, prev)}
		}
		seen[t.Code] = line
		tests = append(tests, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(tests) == 0 {
		return nil, Errorf(EINVALID, "%s: the catalogue has no tests", name)
	}
	return tests, nil
}
