package interfaces

import (
	"fmt"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
)

// storedEvents are the ADT trigger events UK feeds send that OpenCRS
// keeps as received without changing the record, with what each means:
// the message is logged, linked to its patient when PID-3 names one, and
// answered AA with a warning ERR saying it was stored, not applied.
var storedEvents = map[string]string{
	"A06": "change an outpatient to an inpatient",
	"A07": "change an inpatient to an outpatient",
	"A09": "patient departing (tracking)",
	"A10": "patient arriving (tracking)",
	"A45": "move visit information",
	"A60": "update adverse reaction information",
}

// storedOnly reports whether the message is one of storedEvents: it
// changes nothing in the record, so it need not wait behind a held
// message of the same patient.
func storedOnly(m *hl7.Message) bool {
	return m.Get("MSH-9.1") == "ADT" && storedEvents[m.Trigger()] != ""
}

// applyStored keeps an event of storedEvents: nothing in the record
// changes; the patient is looked up only to link the message to them.
func applyStored(trig string) func(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	return func(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
		out := outcome{status: crs.MessageNotApplied}
		if ids, err := readIdentifiers(in.msg, "PID", 3, in.iface); err == nil && !ids.empty() {
			if p, err := findPatient(tx, ids, false); err == nil {
				out.patientID, out.nhs, out.mrn = p.ID, p.NHSNumber, p.MRN
			} else if crs.ErrorCode(err) != crs.ENOTFOUND {
				return outcome{}, err
			}
		}
		out.warnings = append(out.warnings, hl7.ACKError{Segment: "MSH", Sequence: 1, Field: 9, Code: hl7.CodeAccepted, Severity: hl7.SeverityWarning,
			Text: fmt.Sprintf("ADT^%s (%s) is stored, not applied: OpenCRS keeps it with the patient's messages and changes nothing in the record", trig, storedEvents[trig])})
		return out, nil
	}
}

// applyChangeIdentifiers applies A47, change patient identifier list:
// the patient MRG-1 names (by its earlier identifiers) is given the
// identifiers of PID-3. A new number of the sender is linked as the
// patient's cross-reference (the earlier one stays linked, so messages
// that still carry it find the patient); the trust's hospital number and
// the NHS number are not changed by a sender, and a PID-3 that gives
// others says so with a warning.
func applyChangeIdentifiers(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	m, i := in.msg, in.iface
	ids, err := in.patientIDs()
	if err != nil {
		return outcome{}, err
	}
	old, err := mrgIdentifiers(m, i, "A47", "the patient before the change")
	if err != nil {
		return outcome{}, err
	}
	p, err := findPatient(tx, old, true)
	if err != nil {
		if crs.ErrorCode(err) == crs.ENOTFOUND {
			return outcome{}, fieldErr("MRG", 1, hl7.CodeUnknownKey, "unknown patient (identifier to change): %s", crs.ErrorMessage(err))
		}
		return outcome{}, err
	}
	out := outcome{status: crs.MessageApplied, patientID: p.ID, nhs: p.NHSNumber, mrn: p.MRN}
	out.warnings = append(append(out.warnings, ids.warnings...), old.warnings...)
	warn := func(format string, args ...any) {
		out.warnings = append(out.warnings, hl7.ACKError{Segment: "PID", Sequence: 1, Field: 3, Code: hl7.CodeAccepted, Severity: hl7.SeverityWarning, Text: fmt.Sprintf(format, args...)})
	}
	if ids.MRN != "" && ids.MRN != p.MRN {
		warn("PID-3 hospital number %s is not taken: the trust allocates hospital numbers and the patient keeps %s", ids.MRN, p.MRN)
	}
	if ids.NHS != "" && ids.NHS != p.NHSNumber {
		warn("PID-3 NHS number %s is not taken: an NHS number changes by a demographics update (A31) or from the Spine, not by A47", ids.NHS)
	}
	if ids.Local == "" {
		if ids.MRN == p.MRN || ids.NHS == p.NHSNumber {
			return out, nil
		}
		warn("PID-3 gives no number of the sender to link: nothing changed")
		return out, nil
	}
	before := len(ids.warnings)
	if err := keepXref(tx, &ids, p.ID); err != nil {
		return outcome{}, err
	}
	out.warnings = append(out.warnings, ids.warnings[before:]...)
	return out, nil
}
