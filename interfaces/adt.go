package interfaces

import (
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
)

// inbound is a message being applied: its log id, the parsed message
// and the interface it came from.
type inbound struct {
	id     string
	msg    *hl7.Message
	iface  *crs.InboundInterface
	codes  *coder // the interface's code maps, within the command
	engine *Engine
	// newPatient says an analyst reprocesses a message held as a likely
	// duplicate after a clerk decided: the patient is registered.
	newPatient bool
	// pid3 is the message's PID-3, read before the command was queued so
	// that SQLite's one writer does not read it; nil to read it within.
	pid3 *pid3
}

// newInbound makes the message being applied within tx.
func (e *Engine) newInbound(tx crs.Tx, id string, msg *hl7.Message, iface *crs.InboundInterface) *inbound {
	return &inbound{id: id, msg: msg, iface: iface, codes: &coder{tx: tx, iface: iface}, engine: e}
}

// handler applies one kind of message within its command.
type handler struct {
	activity crs.Activity
	apply    func(e *Engine, tx crs.Tx, in *inbound) (outcome, error)
}

// route picks the handler for a message by its type, or says why it
// cannot be processed.
func route(m *hl7.Message) (handler, error) {
	typ, trig := m.Get("MSH-9.1"), m.Trigger()
	switch typ {
	case "ADT":
		switch trig {
		case "A28", "A04":
			return handler{crs.ActRegisterPatient, applyRegister}, nil
		case "A01":
			return handler{crs.ActManagePathways, applyAdmit}, nil
		case "A02":
			return handler{crs.ActManagePathways, applyTransfer}, nil
		case "A03":
			return handler{crs.ActManagePathways, applyDischarge}, nil
		case "A11", "A12", "A13":
			return handler{crs.ActManagePathways, applyCancel(trig)}, nil
		case "A21", "A22":
			return handler{crs.ActManagePathways, applyLeave(trig == "A21")}, nil
		case "A05":
			return handler{crs.ActManagePathways, applyPreadmit}, nil
		case "A08", "A31":
			return handler{crs.ActAmendDemographics, applyUpdate}, nil
		case "A40", "A34":
			return handler{crs.ActMergePatients, applyMerge}, nil
		case "A29":
			return handler{crs.ActMergePatients, applyDelete}, nil
		case "A38":
			return handler{crs.ActManagePathways, applyCancelPreadmit}, nil
		case "A47":
			return handler{crs.ActAmendDemographics, applyChangeIdentifiers}, nil
		}
		if storedEvents[trig] != "" {
			return handler{crs.ActManagePathways, applyStored(trig)}, nil
		}
		return handler{}, reject("MSH", 9, hl7.CodeUnsupportedEvent, "trigger event %s of ADT is not supported by OpenCRS", trig)
	case "ORU":
		if trig == "R01" || trig == "" {
			return handler{crs.ActRecordClinical, applyResult}, nil
		}
		return handler{}, reject("MSH", 9, hl7.CodeUnsupportedEvent, "trigger event %s of ORU is not supported; send ORU^R01", trig)
	case "ORR", "ORM":
		if typ == "ORM" && strings.EqualFold(m.Get("ORC-1"), "NW") {
			return handler{}, reject("ORC", 1, hl7.CodeUnsupportedProcessing, "ORM with ORC-1 NW is a new order from another system, which OpenCRS does not take: it takes the status of the orders placed in it (ORR^O02, ORM^O01 with ORC-1 OK, SC, OC, CA or UA)")
		}
		if (typ == "ORR" && trig == "O02") || (typ == "ORM" && trig == "O01") {
			return handler{crs.ActRecordClinical, applyOrderStatus}, nil
		}
		return handler{}, reject("MSH", 9, hl7.CodeUnsupportedEvent, "trigger event %s of %s is not supported; send ORR^O02 or ORM^O01", trig, typ)
	case "MDM":
		if documentTriggers[trig] != "" {
			return handler{crs.ActRecordClinical, applyDocument(trig)}, nil
		}
		return handler{}, reject("MSH", 9, hl7.CodeUnsupportedEvent, "trigger event %s of MDM is not supported; send T01 to T11", trig)
	case "SIU":
		switch trig {
		case "S12", "S13", "S14", "S15", "S26":
			return handler{crs.ActManagePathways, applySchedule(trig)}, nil
		}
		return handler{}, reject("MSH", 9, hl7.CodeUnsupportedEvent, "trigger event %s of SIU is not supported; send S12, S13, S14, S15 or S26", trig)
	case "":
		return handler{}, reject("MSH", 9, hl7.CodeRequiredFieldMissing, "MSH-9 message type is missing")
	}
	return handler{}, reject("MSH", 9, hl7.CodeUnsupportedMessage, "message type %s is not supported by OpenCRS (ADT, ORU, ORR, ORM, MDM and SIU are)", typ)
}

// findPatient finds the live patient the identifiers name: by NHS number
// first, then by hospital number (or the other way round for mrnFirst).
func findPatient(tx crs.Tx, ids identifiers, mrnFirst bool) (*crs.Patient, error) {
	order := [][2]string{{"nhs", ids.NHS}, {"mrn", ids.MRN}}
	if mrnFirst {
		order[0], order[1] = order[1], order[0]
	}
	var last error = crs.Errorf(crs.ENOTFOUND, "no patient identifier")
	for _, o := range order {
		if o[1] == "" {
			continue
		}
		p, err := tx.FindPatientByIdentifier(o[0], o[1])
		if err == nil {
			return p, nil
		}
		if crs.ErrorCode(err) != crs.ENOTFOUND {
			return nil, err
		}
		last = err
	}
	if ids.Local != "" {
		p, err := tx.FindPatientByXref(ids.System, ids.Local)
		if err == nil || crs.ErrorCode(err) != crs.ENOTFOUND {
			return p, err
		}
		last = err
	}
	return nil, last
}

// registerOrUpdate registers the patient PID describes, or updates the
// demographics of the patient it names when already known.
func registerOrUpdate(tx crs.Tx, in *inbound, z *Engine) (outcome, error) {
	m := in.msg
	ids, err := in.patientIDs()
	if err != nil {
		return outcome{}, err
	}
	p, err := findPatient(tx, ids, false)
	switch {
	case err == nil:
		if err := readPID(m, p, ids, z.Zone, in.codes); err != nil {
			return outcome{}, err
		}
		p.Version = 0
		if err := tx.UpdatePatient(p); err != nil {
			return outcome{}, err
		}
	case crs.ErrorCode(err) == crs.ENOTFOUND:
		if p, err = registerNew(tx, in, &ids); err != nil {
			return outcome{}, err
		}
	default:
		return outcome{}, err
	}
	if err := keepXref(tx, &ids, p.ID); err != nil {
		return outcome{}, err
	}
	return outcome{status: crs.MessageApplied, patientID: p.ID, nhs: p.NHSNumber, mrn: p.MRN, warnings: ids.warnings}, nil
}

func applyRegister(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	return registerOrUpdate(tx, in, e)
}

// applyUpdate applies A08 and A31: the named patient's demographics as
// the message gives them (fields left empty keep their value, "" clears).
func applyUpdate(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	m := in.msg
	p, ids, err := namedPatient(tx, in)
	if err != nil {
		return outcome{}, err
	}
	if err := readPID(m, p, ids, e.Zone, in.codes); err != nil {
		return outcome{}, err
	}
	p.Version = 0
	if err := tx.UpdatePatient(p); err != nil {
		return outcome{}, err
	}
	return outcome{status: crs.MessageApplied, patientID: p.ID, nhs: p.NHSNumber, mrn: p.MRN, warnings: ids.warnings}, nil
}

// applyMerge applies A40 (and A34 from older systems): the patient MRG-1
// names (the minor record) is merged into the patient PID-3 names (the
// major, which survives).
func applyMerge(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	m, i := in.msg, in.iface
	ids, err := in.patientIDs()
	if err != nil {
		return outcome{}, err
	}
	minorIDs, err := mrgIdentifiers(m, i, "a merge", "the record to merge")
	if err != nil {
		return outcome{}, err
	}
	major, err := findPatient(tx, ids, true)
	if err != nil {
		if crs.ErrorCode(err) == crs.ENOTFOUND {
			return outcome{}, fieldErr("PID", 3, hl7.CodeUnknownKey, "unknown patient (record to keep): %s", crs.ErrorMessage(err))
		}
		return outcome{}, err
	}
	minor, err := findPatient(tx, minorIDs, true)
	if err != nil {
		if crs.ErrorCode(err) == crs.ENOTFOUND {
			return outcome{}, fieldErr("MRG", 1, hl7.CodeUnknownKey, "unknown patient (record to merge): %s", crs.ErrorMessage(err))
		}
		return outcome{}, err
	}
	out := outcome{status: crs.MessageApplied, patientID: major.ID, nhs: major.NHSNumber, mrn: major.MRN,
		warnings: append(ids.warnings, minorIDs.warnings...)}
	if minor.ID == major.ID {
		// Already merged: nothing to do, and saying so is not an error.
		out.warnings = append(out.warnings, hl7.ACKError{Segment: "MRG", Sequence: 1, Field: 1, Code: hl7.CodeAccepted, Severity: hl7.SeverityWarning,
			Text: "the record to merge is already merged into the record to keep; nothing changed"})
		return out, nil
	}
	if err := tx.MergePatients(major.ID, minor.ID, "HL7 "+m.Type()+" from "+i.Name); err != nil {
		return outcome{}, err
	}
	return out, nil
}

// applyDelete applies A29 (delete person information): the patient PID-3
// names (by hospital number first), registered in error in the sending
// system, is deleted where the record has no activity; one with activity
// or in a merge is refused, the ERR saying what it has, to be merged
// instead.
func applyDelete(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	ids, err := in.patientIDs()
	if err != nil {
		return outcome{}, err
	}
	p, err := findPatient(tx, ids, true)
	if err != nil {
		if crs.ErrorCode(err) == crs.ENOTFOUND {
			return outcome{}, fieldErr("PID", 3, hl7.CodeUnknownKey, "unknown patient (record to delete): %s", crs.ErrorMessage(err))
		}
		return outcome{}, err
	}
	if err := tx.DeletePatient(p.ID, "HL7 "+in.msg.Type()+" from "+in.iface.Name); err != nil {
		if crs.ErrorCode(err) == crs.ECONFLICT {
			// The record has activity here: it stays, for the PMI team.
			return outcome{}, fieldErr("PID", 3, hl7.CodeRecordLocked, "%s", crs.ErrorMessage(err))
		}
		return outcome{}, err
	}
	return outcome{status: crs.MessageApplied, patientID: p.ID, nhs: p.NHSNumber, mrn: p.MRN, warnings: ids.warnings}, nil
}

// mrgIdentifiers reads MRG-1, the identifiers a patient had, which the
// event (such as "a merge") needs to name what (such as "the record to
// merge").
func mrgIdentifiers(m *hl7.Message, i *crs.InboundInterface, event, what string) (identifiers, error) {
	if m.Segment("MRG") == nil {
		return identifiers{}, fieldErr("MRG", 0, hl7.CodeSegmentSequence, "the MRG segment is missing: %s needs MRG-1, the identifiers of %s", event, what)
	}
	ids, err := readIdentifiers(m, "MRG", 1, i)
	if err != nil {
		return ids, err
	}
	if ids.empty() {
		return ids, fieldErr("MRG", 1, hl7.CodeRequiredFieldMissing, "MRG-1 holds no NHS number or hospital number of %s", what)
	}
	return ids, nil
}
