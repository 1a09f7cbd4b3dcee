package fhir

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
)

// FHIR Subscriptions (R4, rest-hook): a system asks to be told when a
// resource of the resource store matching its criteria (a search, such
// as Observation?category=laboratory&patient=...) is created or changed.
// A Subscription sent with status requested is checked and kept active
// (R4: the server turns it active when it takes it); each later write of
// a matching resource queues a notification in the same transaction as
// the write, so nothing written is left untold after a failure, and a
// sender (RunNotifications) POSTs each to the channel's endpoint, a
// subscription's in the order written, several subscriptions' side by
// side (DeliverNotifications): with no payload the POST is
// empty (the system reads what changed), with a payload the version
// written, as JSON or XML; channel.header lines go as HTTP headers. A
// failed POST is tried again after a wait that doubles, up to
// maxNotificationAttempts (about a day); then the Subscription is set to
// error with why, and what it has queued waits: set active again (a PUT
// with status requested) it goes on from the first unsent; no write is
// queued for it while it is in error. One turned off, ended (end past)
// or deleted is sent nothing more, its queue dropped; the sender turns
// one off when its end comes (endSubscriptions).
//
// A patient of the patient index and a record of the PAS (a spell or A&E
// attendance as an Encounter, an appointment, a referral as a
// ServiceRequest, an RTT pathway as an EpisodeOfCare, a clinic as a
// Schedule and its slots as Slots, a location of the estate) change
// through their own commands, from any edge: each queues, in its
// command, a notification for each Subscription on its type
// (QueueRecordNotifications, a hook on their events), and the sender
// matches the criteria against the record as it stands when it is sent,
// sending nothing when they do not match. Criteria on the trust's
// directory (Organization, Practitioner, PractitionerRole) are refused:
// they change with the trust's reference data, not its commands.
// A deletion is not notified.

// subscriptionDoc is what the CapabilityStatement says of Subscription.
const subscriptionDoc = "R4 rest-hook Subscriptions on the patient index's patients, the PAS's encounters (spells, A&E and outpatient attendances), appointments, referrals, RTT pathways (EpisodeOfCare), clinics (Schedule), their slots (booked, freed, made) and locations (each change from any edge, matched when sent against the record as it then stands) and the resource store's types: one sent requested is checked and kept active; each write of a resource its criteria match queues a notification in the write's transaction, POSTed to channel.endpoint (https, or http on the loopback) empty or with the version written (payload application/fhir+json or application/fhir+xml), channel.header sent as headers, retried with a doubling wait (2 s to 10 min); after about a day of failed tries the Subscription is set to error, keeping what waits until it is set active again. Criteria on the trust's directory (Organization, Practitioner, PractitionerRole) are refused; deletions are not notified."

// maxNotificationAttempts is how many tries a notification gets before
// its Subscription is set to error: with waits doubling from 2 s to 10
// min, about a day.
var maxNotificationAttempts = 150

// notificationRetry is the wait after the first failed try; each next
// doubles, to at most maxNotificationWait.
var notificationRetry = 2 * time.Second

const maxNotificationWait = 10 * time.Minute

// takeSubscription checks a Subscription sent to be written: one that
// asks for notifications (requested, active) must name criteria a search
// of a type of the resource store can match, and a rest-hook channel
// this server can reach; a requested one it takes is made active. at
// names the resource in a Bundle ("" for its type).
func (s *Server) takeSubscription(res Resource, at string) error {
	if res.Type() != "Subscription" {
		return nil
	}
	if at == "" {
		at = "Subscription"
	}
	status, _ := res["status"].(string)
	if status != "requested" && status != "active" {
		return nil
	}
	refuse := func(where, format string, args ...any) error {
		return &Outcome{Status: http.StatusUnprocessableEntity, Issues: []Issue{{Severity: "error", Code: "not-supported", Expression: at + where,
			Diagnostics: "a Subscription is not taken: " + fmt.Sprintf(format, args...)}}}
	}
	criteria, _ := res["criteria"].(string)
	typ, _, _ := strings.Cut(criteria, "?")
	switch {
	case !isResource[typ]:
		return refuse(".criteria", "criteria %q is not a search of an R4 type (Type?parameters)", criteria)
	case (s.pmi(typ) || s.coreType(typ) != nil) && !notifiedRecords[typ]:
		return refuse(".criteria", "%s is the trust's directory, which changes with its reference data and is not notified; FHIR Subscriptions notify changes to patients, encounters, appointments, referrals, pathways, clinics, slots, locations and the resource store's types", typ)
	}
	if _, err := subscriptionQuery(criteria, s.Store.Now()); err != nil {
		return refuse(".criteria", "criteria %q: %v", criteria, err)
	}
	_, raw, _ := strings.Cut(criteria, "?")
	vals, _ := url.ParseQuery(raw)
	for k := range vals {
		if name, _, _ := strings.Cut(k, ":"); strings.Contains(name, ".") || strings.HasPrefix(k, "_has") {
			return refuse(".criteria", "criteria %q: %s is a chain, which a write is not matched by; name the resource by reference (patient=Patient/[id])", criteria, k)
		}
	}
	ch, _ := res["channel"].(map[string]any)
	if t, _ := ch["type"].(string); t != "rest-hook" {
		return refuse(".channel.type", "channel type %q is not served; a Subscription here is a rest-hook (POST to channel.endpoint)", t)
	}
	endpoint, _ := ch["endpoint"].(string)
	if err := checkEndpoint(endpoint); err != nil {
		return refuse(".channel.endpoint", "%v", err)
	}
	if _, ok := payloadFormats[payloadOf(ch)]; !ok {
		return refuse(".channel.payload", "payload %q is not served: leave it out (an empty POST) or give application/fhir+json or application/fhir+xml", payloadOf(ch))
	}
	for i, h := range array(ch["header"]) {
		if name, _, ok := strings.Cut(stringOf(h), ":"); !ok || strings.TrimSpace(name) == "" {
			return refuse(fmt.Sprintf(".channel.header[%d]", i), "header %q is not Name: value", stringOf(h))
		}
	}
	res["status"] = "active"
	delete(res, "error")
	return nil
}

// checkEndpoint refuses a rest-hook endpoint that is no absolute URL, or
// not https but on the loopback: what is sent is clinical.
func checkEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("channel.endpoint %q is not an http(s) URL", endpoint)
	}
	if u.Scheme == "http" {
		if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("channel.endpoint %q: notifications carry clinical records and go over https (plain http only on the loopback)", endpoint)
		}
	}
	return nil
}

// payloadFormats are the payloads a notification is sent with: "" none.
var payloadFormats = map[string]string{"": "", "application/fhir+json": "json", "application/json": "json", "application/fhir+xml": "xml", "application/xml": "xml"}

// payloadOf is a channel's payload mime type, without parameters.
func payloadOf(ch map[string]any) string {
	p, _ := ch["payload"].(string)
	p, _, _ = strings.Cut(p, ";")
	return strings.TrimSpace(p)
}

func stringOf(v any) string { s, _ := v.(string); return s }

// subscriptionQuery parses a Subscription's criteria as the search of
// one resource it is matched with.
func subscriptionQuery(criteria string, now time.Time) (*search, error) {
	typ, raw, _ := strings.Cut(criteria, "?")
	return parseSearch(typ, raw, now)
}

// subscriber is a Subscription as the write path matches it.
type subscriber struct {
	id, typ, criteria string
	end               time.Time
}

// subscribers are the parsed Subscriptions, by their text.
var subscribers sync.Map

// activeSubscribers reads the trust's active Subscriptions of the
// command, parsed once a version.
func activeSubscribers(tx crs.Tx) ([]*subscriber, error) {
	rs, err := tx.Subscriptions()
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	var out []*subscriber
	for _, r := range rs {
		if sub := cachedSubscriber(r); sub != nil {
			out = append(out, sub)
		}
	}
	return out, nil
}

// cachedSubscriber is subscriberOf, parsed once a version.
func cachedSubscriber(r *crs.Resource) *subscriber {
	key := string(r.Body) // the same text is the same subscription, whatever its trust
	v, ok := subscribers.Load(key)
	if !ok {
		v, _ = subscribers.LoadOrStore(key, subscriberOf(r))
	}
	return v.(*subscriber)
}

// ended reports whether the subscription's end has come at now.
func (sub *subscriber) ended(now time.Time) bool { return !sub.end.IsZero() && !now.Before(sub.end) }

// subscriberOf is a stored Subscription as the write path matches it; nil
// when it is not active.
func subscriberOf(r *crs.Resource) *subscriber {
	res, err := Decode(r.Body)
	if err != nil || res["status"] != "active" {
		return nil
	}
	criteria, _ := res["criteria"].(string)
	typ, _, _ := strings.Cut(criteria, "?")
	return &subscriber{id: r.ID, typ: typ, criteria: criteria, end: subscriptionEnd(res)}
}

// subscriptionEnd is when a Subscription ends (its end); zero for never.
func subscriptionEnd(res Resource) time.Time {
	end, _ := res["end"].(string)
	t, _ := time.Parse(time.RFC3339, end)
	return t
}

// notifyWritten queues, inside the command that wrote it, a notification
// of a version of a resource for each of the trust's active
// Subscriptions whose criteria match it.
func notifyWritten(tx crs.Tx, stored *crs.Resource) error {
	if stored.Deleted || stored.Type == "Subscription" || migrating(tx) {
		return nil
	}
	subs, err := activeSubscribers(tx)
	if err != nil || len(subs) == 0 {
		return err
	}
	for _, sub := range subs {
		if sub.typ != stored.Type || sub.ended(tx.Now()) {
			continue
		}
		q, err := subscriptionQuery(sub.criteria, tx.Now())
		if err != nil {
			continue // checked when it was taken; a later release may read it otherwise
		}
		if !narrowToID(q, stored.ID) {
			continue
		}
		found, err := tx.SearchResources(q.query)
		if err != nil {
			return err
		}
		if len(found) == 0 || !q.keep(found[0]) {
			continue
		}
		if err := tx.QueueNotification(&crs.Notification{SubscriptionID: sub.id, ResourceType: stored.Type, ResourceID: stored.ID, Version: stored.Version}); err != nil {
			return err
		}
	}
	return nil
}

// recordsOf names the records of the patient index and the PAS an event
// of their commands changed, as the API serves them, of the types
// wanted (those the trust's Subscriptions are on): a patient; a spell or
// an A&E attendance (Encounter); an appointment (Appointment, and the
// Encounter it is once the patient arrives), with the slot its booking,
// cancellation or move took or freed (Slot) and, moved, the appointment
// it replaced; a referral (ServiceRequest); a location of the estate
// (Location); a clinic (Schedule) and the slots made for it (Slot); and
// the patient's RTT pathways (EpisodeOfCare) the command changed. Others
// name none.
func recordsOf(tx crs.Tx, ev *crs.Event, wanted map[string]bool) ([][2]string, error) {
	kind, _, _ := strings.Cut(ev.Type, ".")
	id := ev.SubjectID
	var out [][2]string
	add := func(typ, id string) {
		if wanted[typ] && id != "" && !slices.Contains(out, [2]string{typ, id}) {
			out = append(out, [2]string{typ, id})
		}
	}
	switch {
	case patientEvents[ev.Type]:
		add("Patient", ev.PatientID)
	case id == "":
	case kind == "spell":
		add("Encounter", prefixSpell+id)
	case kind == "ed":
		add("Encounter", prefixAttendance+id)
	case kind == "appointment":
		apps := []string{id}
		if ev.Type == crs.EventAppointmentRescheduled {
			var d struct {
				Replaces string `json:"replaces"`
			}
			json.Unmarshal(ev.Data, &d)
			apps = append(apps, d.Replaces)
		}
		for _, ap := range apps {
			if ap == "" {
				continue
			}
			add("Appointment", ap)
			add("Encounter", prefixOutpatient+ap)
			if wanted["Slot"] && slotChanges[ev.Type] {
				a, err := tx.GetAppointment(ap)
				if err != nil {
					return nil, err
				}
				if a.SlotID != "" {
					add("Slot", prefixSlot+a.SlotID)
				}
			}
		}
	case kind == "referral":
		add("ServiceRequest", prefixReferral+id)
	case kind == "location":
		add("Location", id)
	case ev.Type == crs.EventClinicCreated:
		add("Schedule", prefixClinic+id)
	case ev.Type == crs.EventSlotsGenerated && wanted["Slot"]:
		var d struct {
			Slots []string `json:"slot_ids"`
		}
		json.Unmarshal(ev.Data, &d)
		for _, sl := range d.Slots {
			add("Slot", prefixSlot+sl)
		}
	}
	if wanted["EpisodeOfCare"] && ev.PatientID != "" && pathwayKinds[kind] {
		ps, err := tx.PatientPathways(ev.PatientID)
		if err != nil {
			return nil, err
		}
		now := tx.Now().Truncate(time.Microsecond) // as the store keeps a time
		for _, p := range ps {
			if !p.UpdatedAt.Before(now) || !p.CreatedAt.Before(now) {
				add("EpisodeOfCare", p.ID)
			}
		}
	}
	return out, nil
}

// patientEvents are the PMI's events that change a patient as a
// Subscription on Patient sees it.
var patientEvents = map[string]bool{crs.EventPatientRegistered: true, crs.EventPatientUpdated: true, crs.EventPatientDied: true,
	crs.EventPatientMerged: true, crs.EventPatientUnmerged: true}

// slotChanges are the appointments' events that take or free a slot.
var slotChanges = map[string]bool{crs.EventAppointmentBooked: true, crs.EventAppointmentCancelled: true, crs.EventAppointmentRescheduled: true}

// pathwayKinds are the kinds of event whose commands may move a
// patient's RTT pathway on: its referral, appointments, admissions and
// waiting list entries, and the activities recorded on it.
var pathwayKinds = map[string]bool{"referral": true, "appointment": true, "spell": true, "preadmission": true, "waitlist": true, "pathway": true}

// notifiedRecords are the types of the patient index and the PAS whose
// changes a Subscription is told of (recordsOf).
var notifiedRecords = map[string]bool{"Patient": true, "Encounter": true, "Appointment": true, "ServiceRequest": true,
	"Slot": true, "Schedule": true, "Location": true, "EpisodeOfCare": true}

// QueueRecordNotifications is the hook on events (crs.Store.OnEvent)
// that queues, in the command that changed a record of the patient index
// or the PAS (recordsOf), a notification of it for each of the trust's
// active Subscriptions on its type; the sender matches their criteria
// when it sends it, against the record as it then stands. It is for a
// deployment whose Patient is the PMI's and whose PAS is served
// (Server.Patients and Server.Core).
func QueueRecordNotifications(tx crs.Tx, ev *crs.Event) error {
	if migrating(tx) {
		return nil
	}
	subs, err := activeSubscribers(tx)
	if err != nil || len(subs) == 0 {
		return err
	}
	wanted := map[string]bool{}
	for _, sub := range subs {
		if notifiedRecords[sub.typ] && !sub.ended(tx.Now()) {
			wanted[sub.typ] = true
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	records, err := recordsOf(tx, ev, wanted)
	if err != nil || len(records) == 0 {
		return err
	}
	for _, sub := range subs {
		if sub.ended(tx.Now()) {
			continue
		}
		for _, rec := range records {
			if sub.typ != rec[0] {
				continue
			}
			if err := tx.QueueNotification(&crs.Notification{SubscriptionID: sub.id, ResourceType: rec[0], ResourceID: rec[1]}); err != nil {
				return err
			}
		}
	}
	return nil
}

// narrowToID narrows a Subscription's search to the one resource id it
// is matched with, false when its own _id names others only.
func narrowToID(q *search, id string) bool {
	if len(q.query.IDs) > 0 && !slices.Contains(q.query.IDs, id) {
		return false
	}
	q.query.IDs, q.query.Count = []string{id}, 1
	return true
}

// migrating reports whether the command is a legacy PAS migration's
// load: the trust's past brought across at go-live, not a change a
// Subscription is told of (a system subscribed before the cutover would
// be sent every migrated referral).
func migrating(tx crs.Tx) bool { return tx.Actor().UserID == crs.MigrationUserID }
