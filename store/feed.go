package store

import (
	"context"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// insertDestination adds an outbound feed to the actor's trust within a
// command.
func insertDestination(tx *Tx, d *crs.Destination) error {
	d.OrgID = tx.actor.OrgID
	var es crs.Errors
	if strings.TrimSpace(d.Name) == "" {
		es = append(es, crs.FieldErrorf("name", "a destination needs a name"))
	}
	if !strings.Contains(d.Addr, ":") {
		es = append(es, crs.FieldErrorf("addr", "address %q must be host:port", d.Addr))
	}
	if err := es.Err(); err != nil {
		return err
	}
	if d.ID == "" {
		d.ID = crs.NewID()
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 5
	}
	if d.ACKTimeout <= 0 {
		d.ACKTimeout = 30 * time.Second
	}
	d.Enabled, d.CreatedAt = true, tx.now
	settingsChanged(tx)
	if _, err := tx.Exec(`INSERT INTO hl7_destinations (id, org_id, name, addr, receiving_application, receiving_facility, triggers, use_a04, use_a08,
		suppress_interface_id, max_attempts, ack_timeout_ms, enabled, created_at, use_tls, xref_system, xref_authority, xref_type, map_interface_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $14, $15, $16, $17, $18)`,
		d.ID, d.OrgID, d.Name, d.Addr, d.ReceivingApplication, d.ReceivingFacility, strings.Join(d.Triggers, " "), boolInt(d.UseA04), boolInt(d.UseA08),
		d.SuppressInterfaceID, d.MaxAttempts, d.ACKTimeout.Milliseconds(), formatTime(tx.now), boolInt(d.TLS),
		d.XrefSystem, d.XrefID.Authority, d.XrefID.Type, d.MapInterfaceID); err != nil {
		if isUniqueViolation(err) {
			return crs.FieldErrorf("name", "a destination called %s already exists", d.Name)
		}
		return err
	}
	return tx.EmitData(&crs.Event{Type: crs.EventDestinationAdded, SubjectID: d.ID, Summary: "Outbound feed " + d.Name + " added"}, "destination", d)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const destinationColumns = `id, org_id, name, addr, receiving_application, receiving_facility, triggers, use_a04, use_a08,
	suppress_interface_id, max_attempts, ack_timeout_ms, enabled, created_at, use_tls, xref_system, xref_authority, xref_type, map_interface_id`

func scanDestination(r scanner) (*crs.Destination, error) {
	var d crs.Destination
	var triggers, created string
	var a04, a08, enabled, useTLS int
	var timeout int64
	if err := r.Scan(&d.ID, &d.OrgID, &d.Name, &d.Addr, &d.ReceivingApplication, &d.ReceivingFacility, &triggers, &a04, &a08,
		&d.SuppressInterfaceID, &d.MaxAttempts, &timeout, &enabled, &created, &useTLS, &d.XrefSystem, &d.XrefID.Authority, &d.XrefID.Type, &d.MapInterfaceID); err != nil {
		return nil, notFound(err, "no such destination")
	}
	d.Triggers = strings.Fields(triggers)
	d.UseA04, d.UseA08, d.Enabled, d.TLS = a04 == 1, a08 == 1, enabled == 1, useTLS == 1
	d.ACKTimeout, d.CreatedAt = time.Duration(timeout)*time.Millisecond, parseTime(created)
	return &d, nil
}

func queryDestinations(ctx context.Context, q Querier, where string, args ...any) ([]*crs.Destination, error) {
	return queryRows(ctx, q, scanDestination, `SELECT `+destinationColumns+` FROM hl7_destinations WHERE `+where+` ORDER BY name, id`, args...)
}

// FindDestinations lists the trust's outbound feeds ("" for every trust's).
func (db *DB) FindDestinations(ctx context.Context, orgID string) ([]*crs.Destination, error) {
	if orgID == "" {
		return queryDestinations(ctx, db.read, `1 = 1`)
	}
	return queryDestinations(ctx, db.read, `org_id = $1`, orgID)
}

// destinationsForEvent lists, within a command, the enabled feeds of the
// actor's trust that an event of the command may go to: all of them but
// those that suppress echoes of the inbound interface the actor is.
//
// The answer is kept per trust and actor in the settings cache: every
// change asks, and the feeds change rarely.
func destinationsForEvent(tx *Tx) ([]*crs.Destination, error) {
	return cachedSetting(tx, "dest|"+tx.actor.OrgID+"|"+tx.actor.UserID, func() ([]*crs.Destination, bool, error) {
		ds, err := queryDestinations(tx.ctx, tx, `org_id = $1 AND enabled = 1 AND (suppress_interface_id = ''
		OR suppress_interface_id NOT IN (SELECT id FROM hl7_interfaces WHERE user_id = $2))`, tx.actor.OrgID, tx.actor.UserID)
		return ds, true, err
	})
}

// settingsChanged is called by a command that changes what the settings
// cache keeps: the outbound feeds, the inbound interfaces, their code
// maps or their held messages, or the trust's wards and beds. It forgets the answers at once and again
// after the command's batch or transaction (whose end may roll the
// change back).
func settingsChanged(tx *Tx) {
	tx.db.settings.forget()
	tx.settingsChanged = true
	if tx.buf != nil && !tx.db.pooled() {
		// A command of the committer (SQLite): the batch forgets again
		// when it ends. A dry run's or the pool's command forgets when it
		// ends itself.
		tx.db.settingsDirty = true
	}
}

// enqueueMessage puts an outbound message at the tail of its
// destination's queue within the command that made the change it
// reports, so the change and the message commit together or not at all.
func enqueueMessage(tx *Tx, m *crs.Message) error {
	if m.ID == "" {
		m.ID = crs.NewID()
	}
	m.OrgID, m.Direction, m.Status = tx.actor.OrgID, crs.DirectionOut, crs.MessageQueued
	m.CreatedAt, m.UpdatedAt = tx.now, tx.now
	if _, err := tx.Exec(enqueueSQL[tx.db.dialect.name], messageArgs(m, nil, 1)...); err != nil {
		return crs.Errorf(crs.EINTERNAL, "queue message: %w", err)
	}
	return nil
}

// QueueHead returns the first message waiting in the destination's
// queue (queued or suspended), in delivery order (see feed_sequence.go),
// or ENOTFOUND when the queue is empty.
func (db *DB) QueueHead(ctx context.Context, destID string) (*crs.Message, error) {
	return scanMessage(db.read.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM hl7_messages
		WHERE channel_id = $1 AND direction = 'out' AND pending = 1 AND seq IS NOT NULL ORDER BY seq LIMIT 1`, destID))
}

// QueueDepth counts the messages waiting in the destination's queue.
func (db *DB) QueueDepth(ctx context.Context, destID string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM hl7_messages WHERE channel_id = $1 AND direction = 'out' AND pending = 1`, destID).Scan(&n)
	return n, err
}

// LastSent returns when the destination last acknowledged a message.
func (db *DB) LastSent(ctx context.Context, destID string) (time.Time, error) {
	var s string
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(updated_at), '') FROM hl7_messages WHERE channel_id = $1 AND direction = 'out' AND status = $2`, destID, crs.MessageSent).Scan(&s)
	return parseTime(s), err
}

// RecordSendOutcome writes what became of a try at sending the outbound
// message id. It is the sender's bookkeeping, not a change to any
// record, so it is written directly rather than through the write path;
// it is synced before it returns.
func (db *DB) RecordSendOutcome(ctx context.Context, id string, o crs.SendOutcome) error {
	pending := 1
	if o.Status == crs.MessageSent || o.Status == crs.MessageSkipped {
		pending = 0
	}
	errs := jsonText(o.Errors)
	_, err := db.execDurable(ctx, `UPDATE hl7_messages SET status = $1, pending = $2, ack_code = $3, ack = $4, errors = $5, last_error = $6,
		next_attempt_at = $7, attempts = attempts + $8, updated_at = $9 WHERE id = $10 AND direction = 'out' AND pending = 1`,
		o.Status, pending, o.ACKCode, o.ACK, errs, o.LastError, formatTime(o.NextAttemptAt), 1-boolInt(o.Unanswered), formatTime(db.Clock.Now()), id)
	return err
}

// ResendMessages queues the trust's outbound messages again. A message
// still waiting (a suspended or retrying head) is released to be tried
// at once in its place; one already sent or skipped is copied to the
// tail of its destination's queue. The change is appended as an event.
func (db *DB) ResendMessages(ctx context.Context, a crs.Actor, ids []string) error {
	return db.writeTx(ctx, a, crs.ActManageInterfaces, func(tx *Tx) error {
		for _, id := range ids {
			m, err := scanMessage(tx.QueryRow(`SELECT `+messageColumns+` FROM hl7_messages WHERE id = $1 AND org_id = $2`, id, a.OrgID))
			if err != nil {
				return err
			}
			if m.Direction != crs.DirectionOut {
				return crs.Errorf(crs.EINVALID, "message %s was received, not sent; only sent messages can be resent", m.ControlID)
			}
			switch m.Status {
			case crs.MessageQueued, crs.MessageSuspended:
				if _, err := tx.Exec(`UPDATE hl7_messages SET status = $1, pending = 1, attempts = 0, next_attempt_at = '', updated_at = $2 WHERE id = $3`,
					crs.MessageQueued, formatTime(tx.now), id); err != nil {
					return err
				}
			default:
				cp := &crs.Message{ChannelID: m.ChannelID, SendingFacility: m.SendingFacility, ControlID: m.ControlID, Type: m.Type,
					PatientID: m.PatientID, NHSNumber: m.NHSNumber, MRN: m.MRN, EventID: m.EventID, Raw: m.Raw}
				if err := enqueueMessage(tx, cp); err != nil {
					return err
				}
			}
		}
		return tx.EmitData(&crs.Event{Type: "hl7.message.resent", SubjectID: strings.Join(ids, ","), Summary: "HL7 messages resent: " + itoa(len(ids))},
			"hl7 resend", map[string]any{"ids": ids})
	})
}

// SkipMessage takes a waiting outbound message of the trust out of its
// queue unsent, so the messages behind it can go.
func (db *DB) SkipMessage(ctx context.Context, a crs.Actor, id string) error {
	return db.writeTx(ctx, a, crs.ActManageInterfaces, func(tx *Tx) error {
		res, err := tx.Exec(`UPDATE hl7_messages SET status = $1, pending = 0, updated_at = $2 WHERE id = $3 AND org_id = $4 AND direction = 'out' AND pending = 1`,
			crs.MessageSkipped, formatTime(tx.now), id, a.OrgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return crs.Errorf(crs.ENOTFOUND, "no waiting outbound message %s in this trust", id)
		}
		return tx.EmitData(&crs.Event{Type: "hl7.message.skipped", SubjectID: id, Summary: "HL7 message skipped"}, "hl7 skip", map[string]any{"id": id})
	})
}
