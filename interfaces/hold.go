package interfaces

import (
	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
)

// applyHeldInOrder applies a message within its command, keeping the
// order of a patient's messages: a message of a patient who has an
// earlier message of the same interface still held is held behind it
// (reprocessing applies them in arrival order). keys are the message's
// orderKeys, read before the command so that SQLite's one writer does
// not read the message for them; self is the message's own log id when
// it is reprocessed ("" when new). The coder's warnings and data-quality
// issues complete the outcome.
func applyHeldInOrder(e *Engine, tx crs.Tx, h handler, in *inbound, keys *crs.MessageHold, self string) (outcome, error) {
	earlier := ""
	if keys != nil {
		var err error
		if earlier, err = tx.EarlierHold(in.iface.ID, self, keys); err != nil {
			return outcome{}, err
		}
	}
	if earlier != "" {
		what := earlier
		if m, err := tx.GetMessage(earlier); err == nil {
			what = m.ControlID + " (" + m.Type + ")"
		}
		return outcome{}, &holdErr{ackErr: ackErr{hl7.ACKError{Segment: "PID", Sequence: 1, Field: 3, Code: hl7.CodeUnknownKey, Severity: hl7.SeverityError,
			Text: "held behind message " + what + " of the same patient, itself held: it is applied in order once that one is"}}, behind: earlier}
	}
	res, err := h.apply(e, tx, in)
	if err != nil {
		return res, err
	}
	return res, in.codes.finish(in.id, &res)
}

// orderKeys are the hold keys a message is kept in order by
// (applyHeldInOrder): nil for one that is only stored, which changes no
// record and so waits behind none. read is the message's PID-3, read
// ahead (readPID3).
func orderKeys(m *hl7.Message, i *crs.InboundInterface, read *pid3) *crs.MessageHold {
	if storedOnly(m) {
		return nil
	}
	return holdKeysOf(read.ids, i)
}

// holdKeys are the patient identifiers a message gives, that keep later
// messages of the same patient behind it while it is held.
func holdKeys(m *hl7.Message, i *crs.InboundInterface) *crs.MessageHold {
	ids, _ := readIdentifiers(m, "PID", 3, i)
	return holdKeysOf(ids, i)
}

// holdKeysOf is holdKeys of the identifiers PID-3 gives.
func holdKeysOf(ids identifiers, i *crs.InboundInterface) *crs.MessageHold {
	h := &crs.MessageHold{InterfaceID: i.ID, NHSNumber: ids.NHS, MRN: ids.MRN}
	if ids.Local != "" {
		h.Xref = ids.System + "|" + ids.Local
	}
	return h
}

// holdOf is the hold of a message logged as held for the reason given.
func holdOf(m *hl7.Message, i *crs.InboundInterface, msgID string, why *holdErr) *crs.MessageHold {
	h := holdKeys(m, i)
	h.MessageID, h.Table, h.Code, h.Behind = msgID, why.table, why.code, why.behind
	return h
}
