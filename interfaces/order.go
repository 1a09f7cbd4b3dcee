package interfaces

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
)

// OrderTrigger is the trigger a destination lists to take orders. A feed
// takes orders only when it names it: a feed that subscribes to every
// event (no triggers) gets the ADT events and no orders.
const OrderTrigger = "O01"

// orderControls gives ORC-1, the order control code, for the order
// events that are sent: NW a new order, CA its cancellation.
var orderControls = map[string]string{crs.EventOrderPlaced: "NW", crs.EventOrderCancelled: "CA"}

// orderPriorities gives ORC-7.6 / OBR-27.6 for each priority: HL7 table
// 0027 S, A and R, and U for urgent as UK laboratories use it.
var orderPriorities = map[string]string{crs.OrderStat: "S", crs.OrderASAP: "A", crs.OrderUrgent: "U", crs.OrderRoutine: "R"}

// TakesOrders reports whether the destination is marked for orders.
func TakesOrders(d *crs.Destination) bool { return slices.Contains(d.Triggers, OrderTrigger) }

// orderOutbox is the event hook that queues an order, or its
// cancellation, as an HL7 v2.4 ORM^O01 to the feed the test's catalogue
// entry names, in the transaction that placed or cancelled it: an order
// no feed would carry is refused rather than kept unsent.
func (e *Engine) orderOutbox(tx crs.Tx, ev *crs.Event) error {
	control := orderControls[ev.Type]
	if control == "" {
		return nil
	}
	var data crs.OrderEventData
	if err := json.Unmarshal(ev.Data, &data); err != nil || data.Order == nil || data.Patient == nil {
		return crs.Errorf(crs.EINTERNAL, "read order event data for the HL7 feed: %v", err)
	}
	o := data.Order
	dests, err := tx.DestinationsForEvent()
	if err != nil {
		return err
	}
	var spell *crs.Spell
	if sp, err := tx.CurrentSpell(data.Patient.ID); err == nil {
		spell = sp
	}
	ods := e.odsOf(tx.Actor().OrgID, func(string) (string, error) { return tx.TrustODS() })
	sent := 0
	for _, d := range dests {
		if !TakesOrders(d) || !strings.EqualFold(d.Name, o.Test.Destination) {
			continue
		}
		ctrl := controlID()
		msg, err := renderORM(control, ctrl, ods, d, ev, &data, spell)
		if err != nil {
			return crs.Errorf(crs.EINTERNAL, "render ORM^O01 for %s: %w", d.Name, err)
		}
		if err := tx.EnqueueMessage(&crs.Message{ChannelID: d.ID, SendingFacility: ods, ControlID: ctrl, Type: "ORM^O01",
			PatientID: data.Patient.ID, NHSNumber: data.Patient.NHSNumber, MRN: data.Patient.MRN, EventID: ev.ID, Raw: msg.String()}); err != nil {
			return err
		}
		sent++
	}
	if sent == 0 {
		return crs.FieldErrorf("test", "No outbound feed named %q takes orders, so %s cannot be sent: ask the interface team to mark it for orders (trigger %s)",
			o.Test.Destination, o.Test.Name, OrderTrigger)
	}
	return nil
}

// renderORM writes the ORM^O01 (ORC and OBR) that tells the performing
// system of a new or cancelled order.
func renderORM(control, ctrl, ods string, d *crs.Destination, ev *crs.Event, data *crs.OrderEventData, spell *crs.Spell) (*hl7.Message, error) {
	m, set, errs, err := outboundMessage(ctrl, ods, d, ev.RecordedAt, "ORM", "O01", "ORM_O01")
	if err != nil {
		return nil, err
	}
	o := data.Order
	writePID(set, "PID", data.Patient, ods)
	set("PV1-1", "1")
	if spell != nil {
		set("PV1-2", "I")
		set("PV1-19", spell.VisitNumber)
	} else {
		set("PV1-2", "O")
	}
	set("ORC-1", control)
	set("ORC-2.1", o.PlacerNumber)
	set("ORC-2.2", "OPENCRS")
	set("ORC-3.1", o.FillerNumber)
	if control == "CA" {
		set("ORC-5", "CA")
		set("ORC-16.2", o.CancelReason)
	}
	set("ORC-7.6", orderPriorities[o.Priority])
	set("ORC-9", hl7.FormatTime(ev.RecordedAt))
	set("ORC-12.1", o.Requester)
	set("ORC-17.1", ods)
	set("OBR-1", "1")
	set("OBR-2.1", o.PlacerNumber)
	set("OBR-2.2", "OPENCRS")
	set("OBR-3.1", o.FillerNumber)
	set("OBR-4.1", o.Test.Code)
	set("OBR-4.2", o.Test.Name)
	set("OBR-4.3", "L")
	set("OBR-6", hl7.FormatTime(o.OrderedAt))
	set("OBR-13", o.ClinicalDetails)
	set("OBR-15.1", o.Test.Specimen)
	set("OBR-16.1", o.Requester)
	set("OBR-24", map[string]string{crs.TestPathology: "LAB", crs.TestRadiology: "RAD"}[o.Test.Kind])
	set("OBR-27.6", orderPriorities[o.Priority])
	return m, errs()
}

// fillerStatuses maps what a performing system says of an order (ORC-5
// order status, else ORC-1 order control) to its status in the record.
var fillerStatuses = map[string]string{
	"OK": crs.OrderReceived, "NA": crs.OrderReceived, "SC": crs.OrderReceived, // ORC-1: accepted, number assigned, status changed
	"UA": "", // ORC-1: unable to accept (the order stays placed; the AE says why)
	"CA": crs.OrderCancelled, "OC": crs.OrderCancelled, "CR": crs.OrderCancelled, "DC": crs.OrderCancelled, "OD": crs.OrderCancelled,
	"IP": crs.OrderInProgress, "A": crs.OrderInProgress, // ORC-5: in process, some results available
	"CM": crs.OrderResulted, // ORC-5: completed
}

// applyOrderStatus applies an order response (ORR^O02) or a filler's
// status update (ORM^O01 with ORC-1 SC, OC...) to the orders its ORC
// segments name by placer (ORC-2) or filler (ORC-3) number: the order
// is received, in progress, resulted or cancelled, and takes the filler
// number. An ORC naming no order of the trust is refused (AE) with the
// field; ORC-1 UA is refused too, so the analyst sees the order the
// performing system could not accept.
func applyOrderStatus(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	if e.Orders == nil {
		return outcome{}, reject("MSH", 9, hl7.CodeUnsupportedMessage, "orders are not tracked by this OpenCRS")
	}
	p, out, _, err := patientWith(tx, in, "ORC", "it says which order the status is about")
	if err != nil {
		return outcome{}, err
	}
	for i, s := range in.msg.Segments("ORC") {
		placer, filler := s.Get("2.1"), s.Get("3.1")
		control, status := strings.ToUpper(s.Get("1")), strings.ToUpper(s.Get("5"))
		if control == "NW" {
			return outcome{}, orcErr(i+1, 1, hl7.CodeUnsupportedProcessing, "ORC-1 NW: an order placed by another system is not taken; OpenCRS takes the status of its own orders (OK, SC, OC, CA, UA and ORC-5)")
		}
		if placer == "" && filler == "" {
			return outcome{}, orcErr(i+1, 2, hl7.CodeRequiredFieldMissing, "ORC-2 placer and ORC-3 filler order numbers are both empty: one must name the order")
		}
		o, err := e.Orders.FindOrderByNumber(tx, placer, filler)
		if crs.ErrorCode(err) == crs.ENOTFOUND {
			return outcome{}, orcErr(i+1, 2, hl7.CodeUnknownKey, "no order of the trust has placer number %q or filler number %q", placer, filler)
		} else if err != nil {
			return outcome{}, err
		}
		if o.PatientID != p.ID {
			return outcome{}, orcErr(i+1, 2, hl7.CodeUnknownKey, "order %s is for another patient than PID names", o.PlacerNumber)
		}
		if control == "UA" {
			return outcome{}, orcErr(i+1, 1, hl7.CodeUnsupportedProcessing, "the performing system could not accept order %s (ORC-1 UA)", o.PlacerNumber)
		}
		next, ok := fillerStatuses[status]
		if !ok || next == "" {
			if next, ok = fillerStatuses[control]; !ok {
				return outcome{}, orcErr(i+1, 1, hl7.CodeTableValueNotFound, "ORC-1 %q and ORC-5 %q say nothing OpenCRS knows of the order's status", control, status)
			}
		}
		if err := e.Orders.TrackOrder(tx, o, next, filler); err != nil {
			return outcome{}, err
		}
	}
	return out, nil
}

// orcErr refuses a message for field of its seq-th ORC segment.
func orcErr(seq, field int, code, format string, args ...any) error {
	return &ackErr{hl7.ACKError{Segment: "ORC", Sequence: seq, Field: field, Code: code, Severity: hl7.SeverityError, Text: fmt.Sprintf(format, args...)}}
}

// orderAccepted records that the performing system acknowledged (AA) a
// new order's ORM^O01: the order is received. It is the feed's
// bookkeeping, done as OpenCRS itself; a failure is logged, the order
// staying placed until the system's own status messages move it.
func (e *Engine) orderAccepted(ctx context.Context, d *crs.Destination, m *crs.Message) {
	if e.Orders == nil {
		return
	}
	msg, err := hl7.Parse([]byte(m.Raw))
	if err != nil || msg.Get("ORC-1") != "NW" {
		return
	}
	placer := msg.Get("ORC-2.1")
	err = e.DB.Write(ctx, crs.SystemActor(d.OrgID), crs.ActRecordClinical, func(tx crs.Tx) error {
		o, err := e.Orders.FindOrderByNumber(tx, placer, "")
		if err != nil {
			return err
		}
		if o.Status != crs.OrderPlaced {
			return errUnchangedOrder
		}
		return e.Orders.TrackOrder(tx, o, crs.OrderReceived, "")
	})
	if err != nil && err != errUnchangedOrder {
		e.Logger.Warn("order acknowledged but not marked received", "destination", d.ID, "message", m.ID, "err", err)
	}
}

// errUnchangedOrder ends the command of an acknowledgement that finds
// the order moved on already.
var errUnchangedOrder = errors.New("order moved on already")
