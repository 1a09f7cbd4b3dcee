package interfaces

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
)

// eventTriggers maps the events of the record to the ADT trigger event
// the outbound feeds send for them. A registration may go as A04 and a
// demographic change as A08 where a destination asks for it.
var eventTriggers = map[string]string{
	crs.EventPatientRegistered:       "A28",
	crs.EventPatientUpdated:          "A31",
	crs.EventPatientDied:             "A31",
	crs.EventPatientMerged:           "A40",
	crs.EventPatientDeleted:          "A29",
	crs.EventSpellAdmitted:           "A01",
	crs.EventSpellTransferred:        "A02",
	crs.EventSpellDischarged:         "A03",
	crs.EventSpellAdmissionCancelled: "A11",
	crs.EventSpellTransferCancelled:  "A12",
	crs.EventSpellDischargeCancelled: "A13",
	crs.EventSpellLeaveStarted:       "A21",
	crs.EventSpellLeaveEnded:         "A22",
	crs.EventSpellUpdated:            "A08",
	crs.EventSpellConsultantChanged:  "A54",
	crs.EventPreadmissionRecorded:    "A05",
	crs.EventPreadmissionUpdated:     "A05",
	crs.EventPreadmissionCancelled:   "A38",
}

// structures gives MSH-9.3, the message structure of each trigger in
// HL7 v2.4.
var structures = map[string]string{
	"A01": "ADT_A01", "A04": "ADT_A01", "A08": "ADT_A01", "A13": "ADT_A01",
	"A05": "ADT_A05", "A28": "ADT_A05", "A31": "ADT_A05",
	"A02": "ADT_A02", "A03": "ADT_A03", "A11": "ADT_A09", "A12": "ADT_A12",
	"A21": "ADT_A21", "A22": "ADT_A21", "A29": "ADT_A21", "A40": "ADT_A39", "A54": "ADT_A54",
	"A38": "ADT_A38",
}

// Trigger returns the ADT trigger event sent to d for an event of type
// typ, or "" when no message is sent for it.
func Trigger(typ string, d *crs.Destination) string {
	t := eventTriggers[typ]
	switch {
	case t == "A28" && d.UseA04:
		return "A04"
	case (t == "A31") && d.UseA08:
		return "A08"
	}
	return t
}

// eventData is the Data of the events the feeds render.
type eventData struct {
	Patient *crs.Patient `json:"patient"`
	Minor   *crs.Patient `json:"minor"`
	crs.SpellEventData
}

// outbox is the event hook of the transactional outbox: in the
// transaction of the change, it renders the event for each enabled
// destination of the trust subscribed to its trigger and queues it, so
// the change and its messages commit together or not at all.
func (e *Engine) outbox(tx crs.Tx, ev *crs.Event) error {
	if ev.Type == crs.EventPatientsLoaded {
		return e.outboxLoaded(tx, ev)
	}
	if eventTriggers[ev.Type] == "" {
		return nil
	}
	dests, err := tx.DestinationsForEvent()
	if err != nil || len(dests) == 0 {
		return err
	}
	var data eventData
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		return crs.Errorf(crs.EINTERNAL, "read event data for the HL7 feed: %w", err)
	}
	if data.Patient == nil {
		p, err := tx.GetPatient(ev.PatientID)
		if err != nil {
			return err
		}
		data.Patient = p
	}
	ods := e.odsOf(tx.Actor().OrgID, func(string) (string, error) { return tx.TrustODS() })
	for _, d := range dests {
		trig := Trigger(ev.Type, d)
		if !d.Subscribes(trig) && !d.Subscribes(eventTriggers[ev.Type]) {
			continue
		}
		ctrl := controlID()
		msg, err := renderADT(trig, ctrl, ods, d, ev, &data)
		if err == nil {
			err = carryXref(tx, msg, d, data.Patient.ID)
		}
		if err == nil {
			err = reverseMap(tx, msg, d)
		}
		if err != nil {
			return crs.Errorf(crs.EINTERNAL, "render %s for %s: %w", trig, d.Name, err)
		}
		if err := tx.EnqueueMessage(&crs.Message{ChannelID: d.ID, SendingFacility: ods, ControlID: ctrl, Type: "ADT^" + trig,
			PatientID: data.Patient.ID, NHSNumber: data.Patient.NHSNumber, MRN: data.Patient.MRN, EventID: ev.ID, Raw: msg.String()}); err != nil {
			return err
		}
	}
	return nil
}

// outboxLoaded queues the registration of each patient a batch of the
// PMI load registered, as if each had been registered alone: the batch's
// one event stands for them all, so each message names that event.
func (e *Engine) outboxLoaded(tx crs.Tx, ev *crs.Event) error {
	dests, err := tx.DestinationsForEvent()
	if err != nil || len(dests) == 0 {
		return err
	}
	var data crs.PatientsLoaded
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		return crs.Errorf(crs.EINTERNAL, "read the load's event for the HL7 feed: %w", err)
	}
	for _, id := range data.Patients {
		one := *ev
		one.Type, one.PatientID, one.SubjectID, one.Data = crs.EventPatientRegistered, id, id, json.RawMessage("{}")
		if err := e.outbox(tx, &one); err != nil {
			return err
		}
	}
	return nil
}

// committed wakes the sequencer and the senders after a change that may
// have queued messages commits.
func (e *Engine) committed(ev *crs.Event) {
	if eventTriggers[ev.Type] == "" && ev.Type != crs.EventPatientsLoaded && orderControls[ev.Type] == "" && summaryTriggers[ev.Type] == "" && ev.Type != "hl7.message.resent" && ev.Type != "hl7.message.skipped" {
		return
	}
	select {
	case e.sequence <- struct{}{}:
	default:
	}
	e.mu.Lock()
	for _, s := range e.senders {
		if s.dest.OrgID == ev.OrgID {
			s.poke()
		}
	}
	e.mu.Unlock()
}

// pokeSenders wakes every sender: the sequencer has placed messages.
func (e *Engine) pokeSenders() {
	e.mu.Lock()
	for _, s := range e.senders {
		s.poke()
	}
	e.mu.Unlock()
}

// renderADT writes the HL7 v2.4 ADT message, in the NHS ITK style, that
// tells destination d of event ev.
func renderADT(trig, ctrl, ods string, d *crs.Destination, ev *crs.Event, data *eventData) (*hl7.Message, error) {
	m, set, errs, err := outboundMessage(ctrl, ods, d, ev.RecordedAt, "ADT", trig, structures[trig])
	if err != nil {
		return nil, err
	}
	set("EVN-1", trig)
	set("EVN-2", hl7.FormatTime(ev.RecordedAt))
	set("EVN-5.1", ev.Username)
	set("EVN-6", hl7.FormatTime(ev.EffectiveAt))
	writePID(set, "PID", data.Patient, ods)
	p := data.Patient
	if p.GPPracticeCode != "" || p.GPCode != "" {
		set("PD1-3.1", p.GPPracticeName)
		set("PD1-3.3", p.GPPracticeCode)
		set("PD1-4.1", p.GPCode)
		set("PD1-4.2", p.GPName)
	}
	s := data.SpellEventData
	if s.SpellID == "" && s.PreadmissionID == "" {
		set("PV1-1", "1")
		set("PV1-2", "N")
	} else {
		set("PV1-1", "1")
		class := "I"
		if s.PatientClass == "2" {
			class = "D" // day case
		}
		if trig == "A05" || trig == "A38" {
			class = "P" // preadmit
		}
		set("PV1-2", class)
		set("PV1-3.1", s.WardCode)
		set("PV1-3.2", s.BayCode)
		set("PV1-3.3", s.BedCode)
		set("PV1-3.4", ods)
		set("PV1-4", s.AdmissionMethod)
		set("PV1-6.1", s.PriorWardCode)
		set("PV1-6.2", s.PriorBayCode)
		set("PV1-6.3", s.PriorBedCode)
		set("PV1-7.1", s.ConsultantCode)
		set("PV1-10", s.TreatmentFunction)
		set("PV1-14", s.AdmissionSource)
		set("PV1-19", s.VisitNumber) // the trust's short visit number (CX, 20 characters in v2.4), never the spell's id
		set("PV1-36", s.DischargeMethod)
		set("PV1-37", s.Destination)
		if !s.AdmittedAt.IsZero() {
			set("PV1-44", hl7.FormatTime(s.AdmittedAt))
		}
		if !s.DischargedAt.IsZero() {
			set("PV1-45", hl7.FormatTime(s.DischargedAt))
		}
		switch {
		case !s.ExpectedAt.IsZero():
			set("PV2-8", hl7.FormatTime(s.ExpectedAt))
		case !s.ExpectedOn.IsZero():
			set("PV2-8", hl7.FormatDate(s.ExpectedOn.Time))
		}
	}
	if trig == "A40" && data.Minor != nil {
		n := 1
		if data.Minor.MRN != "" {
			set(fmt.Sprintf("MRG-1[%d].1", n), data.Minor.MRN)
			set(fmt.Sprintf("MRG-1[%d].4", n), ods)
			set(fmt.Sprintf("MRG-1[%d].5", n), "MR")
			n++
		}
		if data.Minor.NHSNumber != "" {
			set(fmt.Sprintf("MRG-1[%d].1", n), data.Minor.NHSNumber)
			set(fmt.Sprintf("MRG-1[%d].4", n), "NHS")
			set(fmt.Sprintf("MRG-1[%d].5", n), "NH")
		}
		set("MRG-7.1", data.Minor.FamilyName)
		set("MRG-7.2", data.Minor.GivenName)
	}
	return m, errs()
}

// outboundMessage starts an HL7 v2.4 message to destination d, in the
// NHS ITK style: its MSH, and a setter of fields that skips empty values
// and keeps the first error, which errs returns.
func outboundMessage(ctrl, ods string, d *crs.Destination, at time.Time, typ, trig, structure string) (m *hl7.Message, set func(path, v string), errs func() error, err error) {
	if m, err = hl7.NewMessage(hl7.DefaultDelimiters); err != nil {
		return nil, nil, nil, err
	}
	var first error
	set = func(path, v string) {
		if v != "" {
			if err := m.Set(path, v); err != nil && first == nil {
				first = err
			}
		}
	}
	set("MSH-3", "OPENCRS")
	set("MSH-4", ods)
	set("MSH-5", d.ReceivingApplication)
	set("MSH-6", d.ReceivingFacility)
	set("MSH-7", hl7.FormatTime(at))
	set("MSH-9.1", typ)
	set("MSH-9.2", trig)
	set("MSH-9.3", structure)
	set("MSH-10", ctrl)
	set("MSH-11", "P")
	set("MSH-12", "2.4")
	set("MSH-15", "AL")
	set("MSH-16", "NE")
	set("MSH-17", "GBR")
	set("MSH-18", "UNICODE UTF-8")
	set("MSH-19", "EN")
	return m, set, func() error {
		if first != nil {
			return first
		}
		return nil
	}, nil
}

// writePID writes a patient as a PID segment: NHS number and hospital
// number in PID-3, the legal name, date of birth, sex, home address,
// phones, ethnic group, death and the NHS number status in PID-32.
func writePID(set func(path, v string), seg string, p *crs.Patient, ods string) {
	set(seg+"-1", "1")
	n := 1
	if p.NHSNumber != "" {
		set(fmt.Sprintf("%s-3[%d].1", seg, n), p.NHSNumber)
		set(fmt.Sprintf("%s-3[%d].4", seg, n), "NHS")
		set(fmt.Sprintf("%s-3[%d].5", seg, n), "NH")
		n++
	}
	set(fmt.Sprintf("%s-3[%d].1", seg, n), p.MRN)
	set(fmt.Sprintf("%s-3[%d].4", seg, n), ods)
	set(fmt.Sprintf("%s-3[%d].5", seg, n), "MR")
	set(seg+"-5.1", p.FamilyName)
	set(seg+"-5.2", p.GivenName)
	set(seg+"-5.3", p.OtherNames)
	set(seg+"-5.5", p.Title)
	set(seg+"-5.7", "L")
	if !p.BirthDate.IsZero() {
		set(seg+"-7", hl7.FormatDate(p.BirthDate.Time))
	}
	set(seg+"-8", map[string]string{"1": "M", "2": "F", "9": "O", "X": "U"}[p.Gender])
	for i, l := range p.Address.Lines {
		if i < 4 {
			set(fmt.Sprintf("%s-11.%d", seg, i+1), l)
		}
	}
	if len(p.Address.Lines) > 0 || p.Address.Postcode != "" {
		set(seg+"-11.5", p.Address.Postcode)
		set(seg+"-11.7", "H")
	}
	r := 1
	if p.Phone != "" {
		set(fmt.Sprintf("%s-13[%d].1", seg, r), p.Phone)
		set(fmt.Sprintf("%s-13[%d].2", seg, r), "PRN")
		set(fmt.Sprintf("%s-13[%d].3", seg, r), "PH")
		r++
	}
	if p.Mobile != "" {
		set(fmt.Sprintf("%s-13[%d].1", seg, r), p.Mobile)
		set(fmt.Sprintf("%s-13[%d].2", seg, r), "ORN")
		set(fmt.Sprintf("%s-13[%d].3", seg, r), "CP")
		r++
	}
	if p.Email != "" {
		set(fmt.Sprintf("%s-13[%d].2", seg, r), "NET")
		set(fmt.Sprintf("%s-13[%d].3", seg, r), "Internet")
		set(fmt.Sprintf("%s-13[%d].4", seg, r), p.Email)
	}
	set(seg+"-22.1", p.EthnicCategory)
	if p.DeathTime != nil {
		set(seg+"-29", hl7.FormatTime(*p.DeathTime))
		set(seg+"-30", "Y")
	}
	if p.NHSNumberStatus != "" {
		set(seg+"-32", "NSTS"+string(p.NHSNumberStatus))
	}
}

// backoff is the wait before try n (from 1) of a message.
func (e *Engine) backoff(n int) time.Duration {
	d := e.RetryBackoff
	for i := 1; i < n && d < e.MaxBackoff; i++ {
		d *= 2
	}
	if d > e.MaxBackoff {
		d = e.MaxBackoff
	}
	return d
}

// tidy trims an error for the message log.
func tidy(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}
