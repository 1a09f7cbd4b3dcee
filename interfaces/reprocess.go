package interfaces

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
)

// refusal is why a reprocess was refused before the message was tried
// (it is applied already, its interface is gone), as opposed to the
// message being refused again for its content.
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// ReprocessMessage applies again an inbound message of the trust's log
// that was refused (status error or rejected, or not_applied by an
// earlier version), once the analyst has put its cause right: the
// patient it names is registered, the ward it names exists.
//
// The raw message goes through the same mapping as a fresh one, on the
// one write path, as the user of the interface it came in on: the
// changes it makes are that interface's, and the feeds that suppress
// the interface's own changes do not echo them. The duplicate answer is
// bypassed for this log entry only, and the entry itself is updated
// (status, errors, ACK text, patient and event touched, attempts) in the
// transaction of the change, never a second entry added: a crash leaves
// both or neither. The reprocess, by the analyst, is an event of its own
// with its audit record, whatever its outcome. No acknowledgement is
// sent: the sender had its answer long ago; the new one is stored.
//
// The actor needs the manage-interfaces activity. A message of another
// trust is ENOTFOUND; one applied already is ECONFLICT, as a message is
// never applied twice. It returns the log entry as it now stands.
//
// A message held as a likely duplicate of a known patient is applied
// registering a new patient: reprocessing it one by one is the analyst
// saying the clerk has decided (ReprocessHeld holds it again).
func (e *Engine) ReprocessMessage(ctx context.Context, a crs.Actor, id string) (*crs.Message, error) {
	return e.reprocess(ctx, a, id, true)
}

// reprocess is ReprocessMessage; decided says whether a message held as
// a likely duplicate registers a new patient.
func (e *Engine) reprocess(ctx context.Context, a crs.Actor, id string, decided bool) (*crs.Message, error) {
	if err := e.authorize(a); err != nil {
		return nil, err
	}
	m, err := e.DB.GetMessage(ctx, a.OrgID, id)
	if err != nil {
		return nil, err
	}
	if err := checkReprocessable(m); err != nil {
		return nil, err
	}
	iface, err := e.DB.FindInboundInterface(ctx, a.OrgID, m.ChannelID)
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return nil, crs.Errorf(crs.ECONFLICT, "the interface message %s came in on no longer exists; it cannot be reprocessed", m.ControlID)
	} else if err != nil {
		return nil, err
	}
	actor := iface.Actor()
	actor.Purpose = "interface: message reprocessed by " + a.Username
	from := m.Status
	newPatient := false
	if decided && m.Status == crs.MessageHeld {
		dups, err := e.DB.HeldMessageIDs(ctx, a.OrgID, iface.ID, time.Time{}, "duplicate", "")
		if err != nil {
			return nil, err
		}
		newPatient = slices.Contains(dups, id)
	}

	// What a fresh message meets before the write path, in the same order.
	var h handler
	msg, rerr := hl7.Parse([]byte(m.Raw))
	if rerr != nil {
		rerr = reject("", 0, hl7.CodeSegmentSequence, "the message cannot be read: %s", rerr.Error())
		msg = nil
	} else {
		h, rerr = route(msg)
		if rerr == nil && msg.ControlID() == "" {
			rerr = reject("MSH", 10, hl7.CodeRequiredFieldMissing, "MSH-10 message control id is missing; without it a retry cannot be recognised")
		}
		if rerr == nil {
			if err := actor.Authorize(h.activity); err != nil {
				rerr = reject("MSH", 3, hl7.CodeUnsupportedProcessing, "the interface may not send %s: %s", msg.Type(), crs.ErrorMessage(err))
			}
		}
	}
	if rerr == nil {
		var out *crs.Message
		read := readPID3(msg, iface)
		keys := orderKeys(msg, iface, read)
		err = e.DB.Write(ctx, a, crs.ActManageInterfaces, func(tx crs.Tx) error {
			cur, err := reprocessableTx(tx, id)
			if err != nil {
				return err
			}
			var res outcome
			if err := tx.ActAs(actor, func() error {
				var err error
				in := e.newInbound(tx, cur.ID, msg, iface)
				in.newPatient, in.pid3 = newPatient, read
				res, err = applyHeldInOrder(e, tx, h, in, keys, cur.ID)
				return err
			}); err != nil {
				return err
			}
			if err := tx.ReleaseHold(cur.ID); err != nil {
				return err
			}
			cur.Status, cur.ACKCode = res.status, hl7.AA
			cur.ACK = e.ack(msg, hl7.AA, tx.Now(), res.warnings...)
			cur.Errors = messageErrors(res.warnings)
			cur.PatientID, cur.NHSNumber, cur.MRN, cur.EventID = res.patientID, res.nhs, res.mrn, res.eventID
			if err := tx.UpdateReprocessedMessage(cur); err != nil {
				return &refusal{err}
			}
			out = cur
			return emitReprocessed(tx, iface, cur, from)
		})
		if err == nil {
			return out, nil
		}
		if r := (*refusal)(nil); errors.As(err, &r) {
			return nil, r.err
		}
	} else {
		err = rerr
	}

	// Refused again: write the new answer over the entry in a write of
	// its own, as a fresh message's refusal is logged.
	code, status := hl7.AE, crs.MessageFailed
	var held *holdErr
	switch {
	case errors.As(err, new(*rejectErr)):
		code, status = hl7.AR, crs.MessageRejected
	case errors.As(err, &held) && msg != nil:
		status = crs.MessageHeld
	default:
		held = nil
	}
	errs := ackErrors(err)
	if crs.ErrorCode(err) == crs.EINTERNAL && !errors.As(err, new(*ackErr)) && !errors.As(err, new(ackErrList)) && !errors.As(err, new(*holdErr)) {
		e.Logger.Error("reprocess inbound message", "interface", iface.ID, "message", id, "err", err)
	}
	var out *crs.Message
	werr := e.DB.Write(ctx, a, crs.ActManageInterfaces, func(tx crs.Tx) error {
		cur, err := reprocessableTx(tx, id)
		if err != nil {
			return err
		}
		if msg != nil {
			cur.ACK = e.ack(msg, code, tx.Now(), errs...)
			cur.NHSNumber, cur.MRN = peekIdentifiers(msg, iface)
		} else {
			ack := hl7.NewACK(nil, code, controlID(), tx.Now(), errs...)
			_ = ack.Set("MSA-2", roughControlID([]byte(cur.Raw)))
			cur.ACK = ack.String()
		}
		cur.Status, cur.ACKCode, cur.Errors = status, code, messageErrors(errs)
		if err := tx.UpdateReprocessedMessage(cur); err != nil {
			return err
		}
		if held != nil {
			if err := tx.HoldMessage(holdOf(msg, iface, cur.ID, held)); err != nil {
				return err
			}
		} else if err := tx.ReleaseHold(cur.ID); err != nil {
			return err
		}
		out = cur
		return emitReprocessed(tx, iface, cur, from)
	})
	if r := (*refusal)(nil); errors.As(werr, &r) {
		return nil, r.err
	} else if werr != nil {
		return nil, werr
	}
	return out, nil
}

// checkReprocessable refuses a message that may not be applied again.
func checkReprocessable(m *crs.Message) error {
	switch {
	case m.Direction != crs.DirectionIn:
		return crs.Errorf(crs.EINVALID, "message %s was sent, not received; only received messages can be reprocessed (resend it instead)", m.ControlID)
	case m.Status == crs.MessageApplied:
		return crs.Errorf(crs.ECONFLICT, "message %s was applied already; it is never applied twice", m.ControlID)
	case !crs.Reprocessable(m.Status):
		return crs.Errorf(crs.ECONFLICT, "message %s is %s; only messages in error or rejected can be reprocessed", m.ControlID, m.Status)
	case m.ChannelID == "":
		return crs.Errorf(crs.ECONFLICT, "message %s came from no configured interface; configure the interface and have the sender send it again", m.ControlID)
	}
	return nil
}

// reprocessableTx reads the log entry within the command and checks it
// may still be reprocessed: another analyst may have applied it since.
func reprocessableTx(tx crs.Tx, id string) (*crs.Message, error) {
	m, err := tx.GetMessage(id)
	if err == nil {
		err = checkReprocessable(m)
	}
	if err != nil {
		return nil, &refusal{err}
	}
	return m, nil
}

// emitReprocessed appends the event of a reprocess, and its audit
// record, as the analyst: which message, from which interface, what it
// was and what it now is.
func emitReprocessed(tx crs.Tx, iface *crs.InboundInterface, m *crs.Message, from string) error {
	what := "applied"
	if m.Status != crs.MessageApplied {
		what = "still " + m.Status
	}
	return tx.EmitData(&crs.Event{Type: crs.EventMessageReprocessed, PatientID: m.PatientID, SubjectID: m.ID,
		Summary: "HL7 " + m.Type + " " + m.ControlID + " reprocessed: " + what},
		"hl7 message reprocess", map[string]any{"message_id": m.ID, "control_id": m.ControlID, "type": m.Type, "interface_id": iface.ID,
			"interface": iface.Name, "from_status": from, "status": m.Status, "ack_code": m.ACKCode, "attempts": m.Attempts, "errors": m.Errors})
}

// ReprocessRange reprocesses, oldest first, every message of one of the
// trust's inbound interfaces received between from and to that is still
// in error: ADT events must be applied in the order they happened. A
// message refused again does not stop the rest. It reports how many were
// tried, applied and are still in error; a message applied meanwhile by
// someone else is left out.
func (e *Engine) ReprocessRange(ctx context.Context, a crs.Actor, ifaceID string, from, to time.Time) (crs.ReprocessReport, error) {
	var rep crs.ReprocessReport
	if err := e.authorize(a); err != nil {
		return rep, err
	}
	if !from.Before(to) {
		return rep, crs.FieldErrorf("to", "the end of the period must be after its start")
	}
	is, err := e.DB.FindInterfaces(ctx, a.OrgID)
	if err != nil {
		return rep, err
	}
	if !slices.ContainsFunc(is, func(i *crs.Interface) bool { return i.ID == ifaceID }) {
		return rep, crs.Errorf(crs.ENOTFOUND, "no such inbound interface in this trust")
	}
	if _, err := e.DB.FindInboundInterface(ctx, a.OrgID, ifaceID); err != nil {
		return rep, err
	}
	q := crs.MessageQuery{Direction: crs.DirectionIn, ChannelID: ifaceID, Status: crs.MessageFailed, From: from, To: to, Limit: 1000}
	var ids []string
	for {
		ms, err := e.DB.SearchMessages(ctx, a.OrgID, q)
		if err != nil {
			return rep, err
		}
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
		if len(ms) < q.Limit {
			break
		}
		q.Before = ms[len(ms)-1].ID
	}
	slices.Reverse(ids) // oldest first
	return e.reprocessAll(ctx, a, ids, true)
}

// reprocessAll reprocesses the messages in the order given and reports
// how many were tried, applied and are still not applied; one applied
// meanwhile by someone else is left out. decided is as for reprocess.
func (e *Engine) reprocessAll(ctx context.Context, a crs.Actor, ids []string, decided bool) (crs.ReprocessReport, error) {
	var rep crs.ReprocessReport
	for _, id := range ids {
		m, err := e.reprocess(ctx, a, id, decided)
		switch {
		case crs.ErrorCode(err) == crs.ECONFLICT:
			continue // applied meanwhile
		case err != nil:
			return rep, err
		}
		rep.Tried++
		if crs.Reprocessable(m.Status) {
			rep.Failed++
		} else {
			rep.Applied++
		}
	}
	return rep, nil
}

// MessageHistory lists the events about one message of the trust's log,
// newest first: when it was logged refused, and each reprocess with who
// did it and what became of it.
func (e *Engine) MessageHistory(ctx context.Context, a crs.Actor, id string) ([]*crs.Event, error) {
	if err := e.authorize(a); err != nil {
		return nil, err
	}
	return e.DB.SubjectEvents(ctx, a.OrgID, id)
}

// authorize checks the actor may manage interfaces, auditing a refusal.
func (e *Engine) authorize(a crs.Actor) error {
	err := a.Authorize(crs.ActManageInterfaces)
	if err != nil && a.OrgID != "" {
		e.DB.Audit(a, "", crs.AuditRefused, string(crs.ActManageInterfaces))
	}
	return err
}
