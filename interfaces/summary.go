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

// summaryTriggers gives the MDM trigger sent for each discharge summary
// event: T02 a new signed document, T08 its amendment. A feed takes
// summaries only when it lists T02 itself.
var summaryTriggers = map[string]string{crs.EventSummarySigned: "T02", crs.EventSummaryAmended: "T08"}

// TakesDocuments reports whether the destination is marked for clinical
// documents (it lists trigger T02).
func TakesDocuments(d *crs.Destination) bool { return slices.Contains(d.Triggers, "T02") }

// summaryOutbox is the event hook that queues a signed (or amended)
// discharge summary as an HL7 v2.4 MDM^T02 (MDM^T08) to every feed
// marked for documents, in the transaction that signed it: a summary no
// feed would carry is refused rather than left unsent.
func (e *Engine) summaryOutbox(tx crs.Tx, ev *crs.Event) error {
	trig := summaryTriggers[ev.Type]
	if trig == "" {
		return nil
	}
	var data crs.SummaryEventData
	if err := json.Unmarshal(ev.Data, &data); err != nil || data.Summary == nil || data.Patient == nil {
		return crs.Errorf(crs.EINTERNAL, "read discharge summary event data for the HL7 feed: %v", err)
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
		s := data.Summary
		set("EVN-1", trig)
		set("EVN-2", formatTime(ev.RecordedAt))
		writePID(set, "PID", data.Patient, ods)
		set("PV1-1", "1")
		set("PV1-2", "I")
		set("PV1-3.1", s.WardCode)
		set("PV1-7.1", s.ConsultantCode)
		set("PV1-19", s.VisitNumber)
		set("PV1-44", formatTime(s.AdmittedAt))
		set("PV1-45", formatTime(s.DischargedAt))
		set("TXA-1", "1")
		set("TXA-2.1", "DS")
		set("TXA-2.2", "Discharge summary")
		set("TXA-3", "TX")
		set("TXA-4", formatTime(s.SignedAt))
		set("TXA-5.1", s.SignedBy)
		set("TXA-12.1", s.ID)
		set("TXA-12.2", "OPENCRS")
		set("TXA-17", "AU") // authenticated: signed
		set("TXA-19", "AV")
		set("TXA-22.1", s.SignedBy)
		set("TXA-22.15", formatTime(s.SignedAt))
		n := 0
		for _, sec := range s.Sections() {
			for _, line := range strings.Split(strings.TrimSpace(sec[1]), "\n") {
				n++
				set(fmt.Sprintf("OBX[%d]-1", n), fmt.Sprint(n))
				set(fmt.Sprintf("OBX[%d]-2", n), "TX")
				set(fmt.Sprintf("OBX[%d]-3.2", n), sec[0])
				set(fmt.Sprintf("OBX[%d]-5", n), strings.TrimSpace(line))
				set(fmt.Sprintf("OBX[%d]-11", n), "F")
			}
		}
		if s.AmendReason != "" {
			n++
			set(fmt.Sprintf("OBX[%d]-1", n), fmt.Sprint(n))
			set(fmt.Sprintf("OBX[%d]-2", n), "TX")
			set(fmt.Sprintf("OBX[%d]-3.2", n), "Reason for amendment")
			set(fmt.Sprintf("OBX[%d]-5", n), s.AmendReason)
			set(fmt.Sprintf("OBX[%d]-11", n), "C")
		}
		if err := errs(); err != nil {
			return crs.Errorf(crs.EINTERNAL, "render MDM^%s for %s: %w", trig, d.Name, err)
		}
		if err := tx.EnqueueMessage(&crs.Message{ChannelID: d.ID, SendingFacility: ods, ControlID: ctrl, Type: "MDM^" + trig,
			PatientID: data.Patient.ID, NHSNumber: data.Patient.NHSNumber, MRN: data.Patient.MRN, EventID: ev.ID, Raw: m.String()}); err != nil {
			return err
		}
		sent++
	}
	if sent == 0 {
		return crs.Errorf(crs.EINVALID, "No outbound feed takes clinical documents, so the summary cannot be sent: ask the interface team to mark the GP's feed for documents (trigger T02)")
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
