package store

import (
	"context"
	"encoding/json"

	"github.com/opencrs/crs"
)

// FindInboundInterface returns the trust's inbound interface with the id,
// with its user, so a message that came in on it can be applied again
// as it. It is ENOTFOUND for an interface of no one or of another trust,
// and ECONFLICT when the interface or its user is disabled: the
// interface may no longer send, so its messages are not applied.
func (db *DB) FindInboundInterface(ctx context.Context, orgID, id string) (*crs.InboundInterface, error) {
	var i crs.InboundInterface
	var created, role string
	var enabled, disabled int
	var c conventionCols
	err := db.read.QueryRowContext(ctx, `SELECT i.id, i.org_id, i.name, i.sending_application, i.sending_facility, i.user_id, i.enabled, i.created_at,
		`+prefixed("i.", conventionColumns)+`, o.ods_code, u.username, u.role, u.disabled
		FROM hl7_interfaces i JOIN organisations o ON o.id = i.org_id JOIN users u ON u.id = i.user_id
		WHERE i.id = $1 AND i.org_id = $2`, id, orgID).Scan(append(append([]any{&i.ID, &i.OrgID, &i.Name, &i.SendingApplication, &i.SendingFacility, &i.UserID, &enabled, &created},
		c.dest()...), &i.OrgODS, &i.Username, &role, &disabled)...)
	if err != nil {
		return nil, notFound(err, "no inbound interface %s in this trust", id)
	}
	c.fill(&i.Interface)
	i.Enabled, i.CreatedAt, i.Role = enabled == 1, parseTime(created), crs.Role(role)
	switch {
	case !i.Enabled:
		return nil, crs.Errorf(crs.ECONFLICT, "the interface %s is disabled; enable it before reprocessing its messages", i.Name)
	case disabled != 0:
		return nil, crs.Errorf(crs.ECONFLICT, "the user of the interface %s is disabled; enable it before reprocessing its messages", i.Name)
	}
	return &i, nil
}

// getMessageTx returns, within a command, one message of the actor's
// trust's log as the command sees it.
func getMessageTx(tx *Tx, id string) (*crs.Message, error) {
	return scanMessage(tx.QueryRow(`SELECT `+messageColumns+` FROM hl7_messages WHERE id = $1 AND org_id = $2`, id, tx.actor.OrgID))
}

// updateReprocessedMessage writes what became of an inbound message
// applied again (status, ACK code and text, errors, the patient and
// event it touched) over its own entry in the log, within the command
// that applied it, and counts the attempt. The entry must still be one
// that may be reprocessed (crs.Reprocessable): if it was applied in the
// meantime, nothing is written and the error is ECONFLICT, so a message
// is never applied twice. m.Attempts is set to the new count.
func updateReprocessedMessage(tx *Tx, m *crs.Message) error {
	errs, _ := json.Marshal(m.Errors)
	if m.Errors == nil {
		errs = []byte("[]")
	}
	attempts := max(m.Attempts, 1) + 1
	res, err := tx.Exec(`UPDATE hl7_messages SET status = $1, ack_code = $2, ack = $3, errors = $4, patient_id = $5, nhs_number = $6, mrn = $7,
		event_id = $8, attempts = $9, updated_at = $10
		WHERE id = $11 AND org_id = $12 AND direction = 'in' AND status IN ($13, $14, $15, $17) AND attempts = $16`,
		m.Status, m.ACKCode, m.ACK, string(errs), m.PatientID, m.NHSNumber, m.MRN, m.EventID, attempts, formatTime(tx.now),
		m.ID, tx.actor.OrgID, crs.MessageFailed, crs.MessageRejected, crs.MessageNotApplied, m.Attempts, crs.MessageHeld)
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "log reprocessed message: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return crs.Errorf(crs.ECONFLICT, "message %s was changed while it was being reprocessed; it is not applied again", m.ControlID)
	}
	m.Attempts, m.UpdatedAt = attempts, tx.now
	return nil
}

// actAs runs fn within the command with a as its actor, then restores
// the command's own. The integration engine applies a reprocessed
// message as the interface it came in on, inside the analyst's command,
// so the changes are the interface's (and its feeds do not echo them
// back to it) while the reprocess itself is the analyst's. a must be of
// the same trust.
func actAs(tx *Tx, a crs.Actor, fn func() error) error {
	if a.OrgID != tx.actor.OrgID {
		return crs.Errorf(crs.EFORBIDDEN, "a command cannot act for another trust")
	}
	own := tx.actor
	tx.actor = a
	defer func() { tx.actor = own }()
	return fn()
}
