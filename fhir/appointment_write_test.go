package fhir_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestAppointmentWrites: an Appointment POSTed books its referral into
// the slot it names through the PAS's booking (the slot is then busy, the
// referral's pathway counts it, the event is the clinic screens'); a PUT
// or PATCH of its status cancels it (who and why from
// cancelationReason), checks the patient in, or records them seen or not
// attending; what the PAS keeps of the booking is refused if changed;
// a taken slot, a referral of another patient, a slot or referral not
// the trust's are refused naming what was wrong.
func TestAppointmentWrites(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		ctx := context.Background()
		clerk := f.trustA.Actor(crs.RoleClerk)
		op, _, slots := outpatientClinic(t, f, db, clock)
		if len(slots) < 5 {
			t.Fatalf("free slots: %d", len(slots))
		}
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Clinic","given":["Cora"]}],"birthDate":"1970-04-05","gender":"female"}`)
		other := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Other","given":["Olga"]}],"birthDate":"1971-04-05","gender":"female"}`)
		ref, ref2, ref3 := referTo(t, f, db, clock, pid), referTo(t, f, db, clock, pid), referTo(t, f, db, clock, pid)
		book := func(slot, referral, patient string) response {
			return c.do("POST", "/fhir/Appointment", fmt.Sprintf(`{"resourceType":"Appointment","status":"booked",
				"slot":[{"reference":"Slot/slot-%s"}],"basedOn":[{"reference":"ServiceRequest/ref-%s"}],
				"participant":[{"actor":{"reference":"Patient/%s"},"status":"accepted"}]}`, slot, referral, patient))
		}
		r := book(slots[0].ID, ref.ID, pid)
		if r.status != 201 || !strings.Contains(r.header.Get("Location"), "/Appointment/") {
			t.Fatalf("POST Appointment: %d %s", r.status, r.body)
		}
		booked := r.json(t)
		id := booked["id"].(string)
		if booked["status"] != "booked" || !strings.Contains(string(r.body), "slot-"+slots[0].ID) {
			t.Errorf("the booking served: %s", r.body)
		}
		ap, err := op.FindAppointment(ctx, clerk, id)
		if err != nil || ap.SlotID != slots[0].ID || ap.ReferralID != ref.ID || ap.Status != crs.AppointmentBooked {
			t.Fatalf("the PAS's appointment: %+v, %v", ap, err)
		}
		if got := c.do("GET", "/fhir/Slot/slot-"+slots[0].ID, "").json(t)["status"]; got != "busy" {
			t.Errorf("the booked slot: %v, want busy", got)
		}
		for _, bad := range []struct {
			body   func() response
			status int
			says   string
		}{
			{func() response { return book(slots[0].ID, ref2.ID, pid) }, 409, ""},                   // taken
			{func() response { return book(slots[1].ID, ref2.ID, other) }, 422, "Patient/" + other}, // another's referral
			{func() response { return book("no-such", ref2.ID, pid) }, 404, ""},                     // no such slot
			{func() response { return book(slots[1].ID, "no-such", pid) }, 404, ""},                 // no such referral
			{func() response {
				return c.do("POST", "/fhir/Appointment", `{"resourceType":"Appointment","status":"booked","participant":[{"actor":{"reference":"Patient/`+pid+`"},"status":"accepted"}]}`)
			}, 422, "Appointment.slot"},
			{func() response {
				return c.do("POST", "/fhir/Appointment", `{"resourceType":"Appointment","status":"proposed","participant":[{"status":"needs-action"}]}`)
			}, 422, "Appointment.status"},
			{func() response {
				return c.do("POST", "/fhir/Appointment", fmt.Sprintf(`{"resourceType":"Appointment","status":"booked","slot":[{"reference":"Slot/slot-%s"}],"participant":[{"status":"accepted"}]}`, slots[1].ID))
			}, 422, "Appointment.basedOn"},
		} {
			r := bad.body()
			if r.status != bad.status || !isOutcome(r) || !strings.Contains(string(r.body), bad.says) {
				t.Errorf("a bad booking: %d %.300s, want %d naming %q", r.status, r.body, bad.status, bad.says)
			}
		}
		if got := c.do("GET", "/fhir/Slot/slot-"+slots[1].ID, "").json(t)["status"]; got != "free" {
			t.Errorf("a slot no booking took: %v, want free", got)
		}

		// Cancelled by the patient, through PUT of what was read.
		put := func(id string, change func(m map[string]any)) response {
			m := c.do("GET", "/fhir/Appointment/"+id, "").json(t)
			change(m)
			return c.do("PUT", "/fhir/Appointment/"+id, string(mustJSON(t, m)))
		}
		r = put(id, func(m map[string]any) { m["status"] = "cancelled" })
		if r.status != 422 || !strings.Contains(string(r.body), "cancelationReason") {
			t.Errorf("cancelled without a reason: %d %.300s, want 422", r.status, r.body)
		}
		r = put(id, func(m map[string]any) { m["comment"] = "bring a letter" })
		if r.status != 422 || !strings.Contains(string(r.body), "Appointment.comment") {
			t.Errorf("a comment added: %d %.300s, want 422 naming it", r.status, r.body)
		}
		r = put(id, func(m map[string]any) { m["slot"] = []any{map[string]any{"reference": "Slot/slot-" + slots[2].ID}} })
		if r.status != 422 || !strings.Contains(string(r.body), "cancel it") {
			t.Errorf("the slot changed: %d %.300s, want 422 saying how to move it", r.status, r.body)
		}
		r = put(id, func(m map[string]any) {
			m["status"] = "cancelled"
			m["cancelationReason"] = map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason", "code": "pat-cpp"}}, "text": "on holiday"}
		})
		if r.status != 200 || r.json(t)["status"] != "cancelled" {
			t.Fatalf("cancelled by the patient: %d %s", r.status, r.body)
		}
		if ap, _ := op.FindAppointment(ctx, clerk, id); ap.Status != crs.AppointmentCancelled || ap.CancelledBy != crs.CancelledByPatient || ap.Reason != "on holiday" {
			t.Errorf("the PAS's cancellation: %+v", ap)
		}
		if got := c.do("GET", "/fhir/Slot/slot-"+slots[0].ID, "").json(t)["status"]; got != "free" {
			t.Errorf("the cancelled slot: %v, want free", got)
		}
		r = put(id, func(m map[string]any) { m["status"] = "booked" })
		if r.status != 422 || !strings.Contains(string(r.body), "Appointment.status") {
			t.Errorf("a cancelled appointment booked again: %d %.300s, want 422", r.status, r.body)
		}

		// Checked in and seen, by PATCH.
		r = book(slots[2].ID, ref2.ID, pid)
		if r.status != 201 {
			t.Fatalf("book: %d %s", r.status, r.body)
		}
		id2 := r.json(t)["id"].(string)
		patch := func(id, status string) response {
			return c.do("PATCH", "/fhir/Appointment/"+id, `[{"op":"replace","path":"/status","value":"`+status+`"}]`, "Content-Type", "application/json-patch+json")
		}
		if r := patch(id2, "arrived"); r.status != 200 || r.json(t)["status"] != "arrived" {
			t.Fatalf("PATCH arrived: %d %s", r.status, r.body)
		}
		if r := patch(id2, "fulfilled"); r.status != 200 || r.json(t)["status"] != "fulfilled" {
			t.Fatalf("PATCH fulfilled: %d %s", r.status, r.body)
		}
		if ap, _ := op.FindAppointment(ctx, clerk, id2); ap.Status != crs.AppointmentAttended || ap.CheckedInAt.IsZero() {
			t.Errorf("the PAS's attendance: %+v", ap)
		}
		// Did not attend.
		r = book(slots[3].ID, ref3.ID, pid)
		if r.status != 201 {
			t.Fatalf("book: %d %s", r.status, r.body)
		}
		id3 := r.json(t)["id"].(string)
		if r := patch(id3, "noshow"); r.status != 200 || r.json(t)["status"] != "noshow" {
			t.Fatalf("PATCH noshow: %d %s", r.status, r.body)
		}
		if ap, _ := op.FindAppointment(ctx, clerk, id3); ap.Status != crs.AppointmentDNA {
			t.Errorf("the PAS's DNA: %+v", ap)
		}
		// In a batch, each booking is answered as by itself; a delete,
		// even in a transaction, is refused saying how to change it.
		ref4 := referTo(t, f, db, clock, pid)
		r = c.do("POST", "/fhir", fmt.Sprintf(`{"resourceType":"Bundle","type":"batch","entry":[
			{"request":{"method":"POST","url":"Appointment"},"resource":{"resourceType":"Appointment","status":"booked","participant":[{"status":"accepted"}]}},
			{"request":{"method":"POST","url":"Appointment"},"resource":{"resourceType":"Appointment","status":"booked","slot":[{"reference":"Slot/slot-%s"}],
				"basedOn":[{"reference":"ServiceRequest/ref-%s"}],"participant":[{"actor":{"reference":"Patient/%s"},"status":"accepted"}]}}]}`, slots[4].ID, ref4.ID, pid))
		entries, _ := r.json(t)["entry"].([]any)
		statusOf := func(i int) string {
			if i >= len(entries) {
				return ""
			}
			resp, _ := entries[i].(map[string]any)["response"].(map[string]any)
			return fmt.Sprint(resp["status"], " ", resp["outcome"])
		}
		if r.status != 200 || !strings.HasPrefix(statusOf(0), "422") || !strings.Contains(statusOf(0), "Appointment.slot") || !strings.HasPrefix(statusOf(1), "201") {
			t.Errorf("bookings in a batch: %d, entries %q and %q; want 422 naming Appointment.slot, then 201", r.status, statusOf(0), statusOf(1))
		}
		if got := c.do("GET", "/fhir/Slot/slot-"+slots[4].ID, "").json(t)["status"]; got != "busy" {
			t.Errorf("the slot a batch booked: %v, want busy", got)
		}
		r = c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Appointment/`+id3+`"}}]}`)
		if r.status != 405 || !strings.Contains(string(r.body), "request of its own") {
			t.Errorf("a delete of a booking in a transaction: %d %.500s, want 405 saying how to change it", r.status, r.body)
		}
		if r := c.do("PUT", "/fhir/Appointment/"+id3, `{"resourceType":"Appointment","id":"`+id3+`","status":"noshow","participant":[{"status":"accepted"}]}`, "If-Match", `W/"7"`); r.status != 412 {
			t.Errorf("PUT with a stale If-Match: %d %.300s, want 412", r.status, r.body)
		}
	})
}
