package interfaces

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/mllp"
)

var _ mllp.Handler = (*Engine)(nil)

// ServeMLLP answers one inbound message with its acknowledgement, in
// original mode:
//
//   - AA only once the change the message carries is committed (the
//     write path has returned), or, for an event OpenCRS stores but does
//     not apply, once it is stored (with MSA-3 and a warning ERR saying so);
//   - AE with an ERR per problem (segment, sequence, field, code, reason)
//     when the content is wrong: an unknown patient, an invalid NHS
//     number, a bad date, a missing required field;
//   - AR when the message cannot be processed at all: unreadable, not
//     starting with MSH, an unknown message type or an unknown sender.
//
// MSA-2 is always the message's MSH-10. The message is logged raw in
// every case (AE and AR in a write of their own), and a message seen
// before (same trust, sending facility and MSH-10) gets the answer it got
// the first time and changes nothing.
func (e *Engine) ServeMLLP(ctx context.Context, raw []byte, _ mllp.ConnInfo) []byte {
	return e.Handle(ctx, raw)
}

// Handle is ServeMLLP without the connection: it applies one message and
// returns its acknowledgement.
func (e *Engine) Handle(ctx context.Context, raw []byte) (reply []byte) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			// A fault of ours: answer AE (send again), log, keep serving.
			e.Logger.Error("inbound message handler panicked", "panic", fmt.Sprint(p))
			a := hl7.NewACK(nil, hl7.AE, controlID(), time.Now(), hl7.ACKError{Code: hl7.CodeInternal, Severity: hl7.SeverityError, Text: "the message could not be processed; send it again"})
			_ = a.Set("MSA-2", roughControlID(raw))
			reply = a.Bytes()
		}
	}()
	ack, typ, code := e.handle(ctx, raw)
	e.Metrics.inbound(typ, code, time.Since(start))
	return ack
}

// outcome is what applying a message did.
type outcome struct {
	status    string
	patientID string
	nhs, mrn  string
	spellID   string // the spell a journey event changed
	eventID   string // the event of the change, for the log
	warnings  []hl7.ACKError
}

// ackErr is a problem with a message, located in it, for an ERR segment.
type ackErr struct{ hl7.ACKError }

func (e *ackErr) Error() string { return e.Text }

// fieldErr returns a located content error.
func fieldErr(seg string, field int, code, format string, args ...any) error {
	return &ackErr{hl7.ACKError{Segment: seg, Sequence: 1, Field: field, Code: code, Severity: hl7.SeverityError, Text: fmt.Sprintf(format, args...)}}
}

// rejectErr is a reason to answer AR.
type rejectErr struct{ ackErr }

func reject(seg string, field int, code, format string, args ...any) error {
	return &rejectErr{ackErr{hl7.ACKError{Segment: seg, Sequence: 1, Field: field, Code: code, Severity: hl7.SeverityError, Text: fmt.Sprintf(format, args...)}}}
}

var errDuplicate = errors.New("duplicate message")

func (e *Engine) handle(ctx context.Context, raw []byte) (ack []byte, typ, code string) {
	now := e.DB.Now()
	msg, err := hl7.Parse(raw)
	if err != nil {
		ctrl := roughControlID(raw)
		a := hl7.NewACK(nil, hl7.AR, controlID(), now, hl7.ACKError{Code: hl7.CodeSegmentSequence, Severity: hl7.SeverityError, Text: "the message cannot be read: " + err.Error()})
		_ = a.Set("MSA-2", ctrl)
		ackText := a.String()
		m := &crs.Message{ControlID: ctrl, Status: crs.MessageRejected, ACKCode: hl7.AR, ACK: ackText, Raw: string(raw),
			Errors: []crs.MessageError{{Code: hl7.CodeSegmentSequence, Text: err.Error()}}}
		if err := e.DB.InsertOrphanMessage(ctx, m); err != nil {
			e.Logger.Error("log unreadable message", "err", err)
		}
		return a.Bytes(), "unreadable", hl7.AR
	}
	typ = msg.Type()
	ctrl := msg.ControlID()
	app, fac := msg.SendingApplication(), msg.SendingFacility()
	ifaces, err := e.interfacesFor(ctx, app, fac)
	if err != nil {
		e.Logger.Error("find interface", "err", err)
		return e.answer(msg, hl7.AE, now, hl7.ACKError{Code: hl7.CodeInternal, Text: "the message could not be processed now; send it again"}), typ, hl7.AE
	}
	rcv := msg.ReceivingFacility()
	iface := e.addressee(ctx, ifaces, msg.ReceivingApplication(), rcv)
	if iface == nil {
		text := fmt.Sprintf("unknown sender: application %q at facility %q is not a configured interface", app, fac)
		field := 3
		if len(ifaces) > 0 {
			text = fmt.Sprintf("unknown receiving facility %q: application %q at facility %q does not send to it", rcv, app, fac)
			field = 6
		}
		a := e.ack(msg, hl7.AR, now, hl7.ACKError{Segment: "MSH", Sequence: 1, Field: field, Code: hl7.CodeUnknownKey, Severity: hl7.SeverityError, Text: text})
		m := &crs.Message{SendingFacility: fac, ControlID: ctrl, Type: typ, Status: crs.MessageRejected, ACKCode: hl7.AR, ACK: a, Raw: string(raw),
			Errors: []crs.MessageError{{Segment: "MSH", Sequence: 1, Field: field, Code: hl7.CodeUnknownKey, Text: text}}}
		if rcv != "" {
			m.OrgID, _ = e.DB.FindOrganisationIDByODS(ctx, rcv)
		}
		if err := e.DB.InsertOrphanMessage(ctx, m); err != nil {
			e.Logger.Error("log message from unknown sender", "err", err)
		}
		return []byte(a), typ, hl7.AR
	}
	actor := iface.Actor()
	key := ""
	if ctrl != "" {
		key = crs.MessageKey(iface.OrgID, fac, ctrl)
	}
	h, rerr := route(msg)
	if rerr == nil && ctrl == "" {
		rerr = reject("MSH", 10, hl7.CodeRequiredFieldMissing, "MSH-10 message control id is missing; without it a retry cannot be recognised")
	}
	if rerr == nil {
		if err := actor.Authorize(h.activity); err != nil {
			rerr = reject("MSH", 3, hl7.CodeUnsupportedProcessing, "the interface may not send %s: %s", typ, crs.ErrorMessage(err))
		}
	}
	var res outcome
	var stored string
	msgID := crs.NewID()
	if rerr == nil {
		// The acknowledgement of a message applied without warnings is
		// made before the command is queued: the one writer of SQLite,
		// which applies the commands one after another, then only logs it.
		plain := e.ack(msg, hl7.AA, now)
		read := readPID3(msg, iface)
		keys := orderKeys(msg, iface, read)
		err = e.DB.Write(ctx, actor, crs.ActReceiveMessages, func(tx crs.Tx) error {
			prev, found, err := tx.ClaimInboundMessage(msgID, ctrl, key)
			if err != nil {
				return err
			} else if found {
				stored = prev
				return errDuplicate
			}
			in := e.newInbound(tx, msgID, msg, iface)
			in.pid3 = read
			if res, err = applyHeldInOrder(e, tx, h, in, keys, ""); err != nil {
				return err
			}
			code, a := hl7.AA, plain
			if len(res.warnings) > 0 {
				a = e.ack(msg, code, tx.Now(), res.warnings...)
			}
			m := &crs.Message{ID: msgID, ChannelID: iface.ID, SendingFacility: fac, ControlID: ctrl, Type: typ, Status: res.status, ACKCode: code, ACK: a,
				PatientID: res.patientID, NHSNumber: res.nhs, MRN: res.mrn, EventID: res.eventID, Raw: string(raw), Errors: messageErrors(res.warnings)}
			if err := tx.InsertInboundMessage(m, key); err != nil {
				return err
			}
			stored = a
			return nil
		})
		if err == nil {
			return []byte(stored), typ, hl7.AA
		}
		if errors.Is(err, errDuplicate) || errors.Is(err, crs.ErrDuplicateMessage) {
			return e.duplicate(ctx, stored, ctrl, key, typ)
		}
	} else {
		err = rerr
	}
	// The change was refused: log the message with its errors in a write
	// of its own, and answer AE (content) or AR (cannot process).
	code = hl7.AE
	var rj *rejectErr
	if errors.As(err, &rj) {
		code = hl7.AR
	}
	errs := ackErrors(err)
	if crs.ErrorCode(err) == crs.EINTERNAL && !errors.As(err, new(*ackErr)) && !errors.As(err, new(ackErrList)) && !errors.As(err, new(*holdErr)) && rj == nil {
		e.Logger.Error("apply inbound message", "interface", iface.ID, "control_id", ctrl, "err", err)
	}
	status := crs.MessageFailed
	var held *holdErr
	switch {
	case code == hl7.AR:
		status = crs.MessageRejected
	case errors.As(err, &held):
		status = crs.MessageHeld
	}
	var a string
	refusedID := crs.NewID()
	werr := e.DB.Write(ctx, actor, crs.ActReceiveMessages, func(tx crs.Tx) error {
		if key != "" {
			prev, found, err := tx.ClaimInboundMessage(refusedID, ctrl, key)
			if err != nil {
				return err
			} else if found {
				stored = prev
				return errDuplicate
			}
		}
		a = e.ack(msg, code, tx.Now(), errs...)
		m := &crs.Message{ID: refusedID, ChannelID: iface.ID, SendingFacility: fac, ControlID: ctrl, Type: typ, Status: status, ACKCode: code, ACK: a,
			Raw: string(raw), Errors: messageErrors(errs)}
		m.NHSNumber, m.MRN = peekIdentifiers(msg, iface)
		if err := tx.InsertInboundMessage(m, key); err != nil {
			return err
		}
		if held != nil {
			return tx.HoldMessage(holdOf(msg, iface, refusedID, held))
		}
		return nil
	})
	switch {
	case werr == nil:
		return []byte(a), typ, code
	case errors.Is(werr, errDuplicate) || errors.Is(werr, crs.ErrDuplicateMessage):
		return e.duplicate(ctx, stored, ctrl, key, typ)
	}
	e.Logger.Error("log refused message", "interface", iface.ID, "control_id", ctrl, "err", werr)
	return e.answer(msg, hl7.AE, now, hl7.ACKError{Code: hl7.CodeInternal, Severity: hl7.SeverityError,
		Text: "the message could not be stored; send it again"}), typ, hl7.AE
}

// duplicate answers a message seen before with the answer it got.
func (e *Engine) duplicate(ctx context.Context, stored, ctrl, key, typ string) ([]byte, string, string) {
	if stored == "" {
		// The first answer committed while this command ran: read it.
		if prev, found, err := e.DB.FindInboundACK(ctx, ctrl, key); err == nil && found {
			stored = prev
		}
	}
	code := hl7.AA
	if a, err := hl7.ParseACK([]byte(stored)); err == nil {
		code = a.Code
	}
	return []byte(stored), typ, code + "-duplicate"
}

// ack builds the acknowledgement of msg as text.
func (e *Engine) ack(msg *hl7.Message, code string, now time.Time, errs ...hl7.ACKError) string {
	return hl7.NewACK(msg, code, controlID(), now, errs...).String()
}

func (e *Engine) answer(msg *hl7.Message, code string, now time.Time, errs ...hl7.ACKError) []byte {
	return []byte(e.ack(msg, code, now, errs...))
}

// roughControlID finds MSH-10 in a message that does not parse, so the
// reject can still quote it.
func roughControlID(raw []byte) string {
	i := bytes.Index(raw, []byte("MSH"))
	if i < 0 || len(raw) < i+4 {
		return ""
	}
	line := raw[i:]
	if j := bytes.IndexAny(line, "\r\n"); j >= 0 {
		line = line[:j]
	}
	if len(line) < 4 {
		return ""
	}
	sep := line[3]
	parts := bytes.Split(line, []byte{sep})
	if len(parts) < 10 {
		return ""
	}
	return string(parts[9])
}

// messageErrors converts ERR contents for the message log.
func messageErrors(errs []hl7.ACKError) []crs.MessageError {
	out := make([]crs.MessageError, 0, len(errs))
	for _, e := range errs {
		out = append(out, crs.MessageError{Segment: e.Segment, Sequence: e.Sequence, Field: e.Field, Code: e.Code, Severity: e.Severity, Text: e.Text})
	}
	return out
}

// pidFields says which PID field each patient field the PMI validates
// comes from, so a rule broken by a message names the field at fault.
var pidFields = map[string]int{
	"nhs_number": 3, "mrn": 3, "family_name": 5, "given_name": 5, "title": 5, "birth_date": 7, "gender": 8,
	"postcode": 11, "address": 11, "ethnic_category": 22, "death_time": 29, "nhs_number_status": 32,
	"other_names": 5, "phone": 13, "mobile": 13, "email": 13,
}

// ackErrors turns the error that refused a message into ERR contents.
func ackErrors(err error) []hl7.ACKError {
	var rj *rejectErr
	if errors.As(err, &rj) {
		return []hl7.ACKError{rj.ACKError}
	}
	var he *holdErr
	if errors.As(err, &he) {
		return []hl7.ACKError{he.ACKError}
	}
	var ae *ackErr
	if errors.As(err, &ae) {
		return []hl7.ACKError{ae.ACKError}
	}
	var al ackErrList
	if errors.As(err, &al) {
		return al
	}
	var es crs.Errors
	if errors.As(err, &es) {
		var out []hl7.ACKError
		for _, fe := range es {
			out = append(out, ackErrors(fe)...)
		}
		return out
	}
	code := errCode(err)
	text := crs.ErrorMessage(err)
	if crs.ErrorCode(err) == crs.EINTERNAL {
		text = "the message could not be applied because of a fault in OpenCRS; it is stored and the integration team can reprocess it"
	}
	a := hl7.ACKError{Code: code, Severity: hl7.SeverityError, Text: text}
	if f, ok := pidFields[crs.ErrorField(err)]; ok {
		a.Segment, a.Sequence, a.Field = "PID", 1, f
		if crs.ErrorField(err) == "given_name" || crs.ErrorField(err) == "family_name" {
			a.Text = strings.Replace(a.Text, "enter the patient's", "PID-5 must hold the patient's", 1)
		}
	}
	return []hl7.ACKError{a}
}

// addressee picks, among the interfaces of the sender (one per trust it
// sends to), the one the message is addressed to by MSH-6 (or MSH-5):
// the trust's ODS code or a value the interface is configured with. A
// sender configured for exactly one trust is that trust's whatever
// MSH-6 holds (its own name for us), unless MSH-6 is the ODS code of
// another trust of the deployment: a message is never applied to a trust
// it was not sent to. A message with no MSH-6 from a sender of several
// trusts is no one's. nil when none takes it.
func (e *Engine) addressee(ctx context.Context, ifaces []*crs.InboundInterface, rcvApp, rcv string) *crs.InboundInterface {
	if rcv == "" {
		// No MSH-6: the sender's only trust, or no one's.
		for _, i := range ifaces[min(1, len(ifaces)):] {
			if i.OrgID != ifaces[0].OrgID {
				return nil
			}
		}
	}
	for _, i := range ifaces {
		if i.AcceptsReceiver(i.OrgODS, rcvApp, rcv) {
			return i
		}
	}
	if len(ifaces) != 1 {
		return nil
	}
	switch org, err := e.DB.FindOrganisationIDByODS(ctx, rcv); {
	case err == nil && org != ifaces[0].OrgID:
		return nil
	case err != nil && crs.ErrorCode(err) != crs.ENOTFOUND:
		return nil // cannot tell: refused, and the sender sends again
	}
	return ifaces[0]
}
