package interfaces

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
)

// summaryTriggers gives the MDM trigger sent for each event of a signed
// document (a discharge summary, a clinic letter): T02 a new signed
// document, T08 its amendment. A feed takes documents only when it lists
// T02 itself.
var summaryTriggers = map[string]string{crs.EventSummarySigned: "T02", crs.EventSummaryAmended: "T08",
	crs.EventLetterSigned: "T02", crs.EventLetterAmended: "T08"}

// mdmDocument is what an MDM message says of a signed document: its
// type (TXA-2), who signed it and when, its sections, and the visit it
// was written for (PV1).
type mdmDocument struct {
	id, typeCode, typeName string
	signedBy               string
	signedAt               time.Time
	sections               [][2]string
	amendReason            string
	class                  string // PV1-2: I inpatient, O outpatient
	location, consultant   string
	visit                  string
	admitted, discharged   time.Time
}

// documentOf reads the document and the patient from a signed
// document's event.
func documentOf(ev *crs.Event) (*mdmDocument, *crs.Patient, error) {
	switch ev.Type {
	case crs.EventLetterSigned, crs.EventLetterAmended:
		var data crs.NoteEventData
		if err := json.Unmarshal(ev.Data, &data); err != nil || data.Note == nil || data.Patient == nil {
			return nil, nil, crs.Errorf(crs.EINTERNAL, "read clinic letter event data for the HL7 feed: %v", err)
		}
		n := data.Note
		return &mdmDocument{id: n.ID, typeCode: "CL", typeName: "Clinic letter", signedBy: n.SignedBy, signedAt: n.SignedAt,
			sections: n.Texts(), amendReason: n.AmendReason, class: "O", location: n.ClinicCode, consultant: n.ConsultantName,
			admitted: n.EffectiveAt}, data.Patient, nil
	}
	var data crs.SummaryEventData
	if err := json.Unmarshal(ev.Data, &data); err != nil || data.Summary == nil || data.Patient == nil {
		return nil, nil, crs.Errorf(crs.EINTERNAL, "read discharge summary event data for the HL7 feed: %v", err)
	}
	s := data.Summary
	return &mdmDocument{id: s.ID, typeCode: "DS", typeName: "Discharge summary", signedBy: s.SignedBy, signedAt: s.SignedAt,
		sections: s.Sections(), amendReason: s.AmendReason, class: "I", location: s.WardCode, consultant: s.ConsultantCode,
		visit: s.VisitNumber, admitted: s.AdmittedAt, discharged: s.DischargedAt}, data.Patient, nil
}

// TakesDocuments reports whether the destination is marked for clinical
// documents (it lists trigger T02).
func TakesDocuments(d *crs.Destination) bool { return slices.Contains(d.Triggers, "T02") }

// documentOutbox is the event hook that queues a signed (or amended)
// discharge summary or clinic letter as an HL7 v2.4 MDM^T02 (MDM^T08) to
// every feed marked for documents, in the transaction that signed it: a
// document no feed would carry is refused rather than left unsent.
func (e *Engine) documentOutbox(tx crs.Tx, ev *crs.Event) error {
	trig := summaryTriggers[ev.Type]
	if trig == "" {
		return nil
	}
	s, patient, err := documentOf(ev)
	if err != nil {
		return err
	}
	dests, err := tx.DestinationsForEvent()
	if err != nil {
		return err
	}
	ods := e.odsOf(tx.Actor().OrgID, func(string) (string, error) { return tx.TrustODS() })
	sent := 0
	for _, d := range dests {
		if !TakesDocuments(d) {
			continue
		}
		ctrl := controlID()
		m, set, errs, err := outboundMessage(ctrl, ods, d, ev.RecordedAt, "MDM", trig, "MDM_T02")
		if err != nil {
			return err
		}
		set("EVN-1", trig)
		set("EVN-2", formatTime(ev.RecordedAt))
		writePID(set, "PID", patient, ods)
		set("PV1-1", "1")
		set("PV1-2", s.class)
		set("PV1-3.1", s.location)
		set("PV1-7.1", s.consultant)
		set("PV1-19", s.visit)
		set("PV1-44", formatTime(s.admitted))
		set("PV1-45", formatTime(s.discharged))
		set("TXA-1", "1")
		set("TXA-2.1", s.typeCode)
		set("TXA-2.2", s.typeName)
		set("TXA-3", "TX")
		set("TXA-4", formatTime(s.signedAt))
		set("TXA-5.1", s.signedBy)
		set("TXA-12.1", s.id)
		set("TXA-12.2", "OPENCRS")
		set("TXA-17", "AU") // authenticated: signed
		set("TXA-19", "AV")
		set("TXA-22.1", s.signedBy)
		set("TXA-22.15", formatTime(s.signedAt))
		n := 0
		for _, sec := range s.sections {
			for _, line := range strings.Split(strings.TrimSpace(sec[1]), "\n") {
				n++
				set(fmt.Sprintf("OBX[%d]-1", n), fmt.Sprint(n))
				set(fmt.Sprintf("OBX[%d]-2", n), "TX")
				set(fmt.Sprintf("OBX[%d]-3.2", n), sec[0])
				set(fmt.Sprintf("OBX[%d]-5", n), strings.TrimSpace(line))
				set(fmt.Sprintf("OBX[%d]-11", n), "F")
			}
		}
		if s.amendReason != "" {
			n++
			set(fmt.Sprintf("OBX[%d]-1", n), fmt.Sprint(n))
			set(fmt.Sprintf("OBX[%d]-2", n), "TX")
			set(fmt.Sprintf("OBX[%d]-3.2", n), "Reason for amendment")
			set(fmt.Sprintf("OBX[%d]-5", n), s.amendReason)
			set(fmt.Sprintf("OBX[%d]-11", n), "C")
		}
		if err := errs(); err != nil {
			return crs.Errorf(crs.EINTERNAL, "render MDM^%s for %s: %w", trig, d.Name, err)
		}
		if err := tx.EnqueueMessage(&crs.Message{ChannelID: d.ID, SendingFacility: ods, ControlID: ctrl, Type: "MDM^" + trig,
			PatientID: patient.ID, NHSNumber: patient.NHSNumber, MRN: patient.MRN, EventID: ev.ID, Raw: m.String()}); err != nil {
			return err
		}
		sent++
	}
	if sent == 0 {
		return crs.Errorf(crs.EINVALID, "No outbound feed takes clinical documents, so the %s cannot be sent: ask the interface team to mark the GP's feed for documents (trigger T02)", strings.ToLower(s.typeName))
	}
	return nil
}

// formatTime writes a time as HL7, "" for none.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return hl7.FormatTime(t)
}
