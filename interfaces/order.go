package interfaces

import (
	"encoding/json"
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
func TakesOrders(d *crs.Destination) bool {
	for _, t := range d.Triggers {
		if t == OrderTrigger {
			return true
		}
	}
	return false
}

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
