package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// insertInterface adds an inbound interface to the actor's trust within a
// command. Its user must be a user of the trust in the interface role.
func insertInterface(tx *Tx, i *crs.Interface) error {
	i.OrgID = tx.actor.OrgID
	i.SendingApplication = strings.TrimSpace(i.SendingApplication)
	i.SendingFacility = strings.TrimSpace(i.SendingFacility)
	var es crs.Errors
	if strings.TrimSpace(i.Name) == "" {
		es = append(es, crs.FieldErrorf("name", "an interface needs a name"))
	}
	if i.SendingApplication == "" {
		es = append(es, crs.FieldErrorf("sending_application", "enter the sending application (MSH-3)"))
	}
	if i.SendingFacility == "" {
		es = append(es, crs.FieldErrorf("sending_facility", "enter the sending facility (MSH-4), the sender's ODS code"))
	}
	es = append(es, validateConventions(i)...)
	if err := es.Err(); err != nil {
		return err
	}
	var role string
	if err := tx.QueryRow(`SELECT role FROM users WHERE id = $1 AND org_id = $2`, i.UserID, i.OrgID).Scan(&role); err != nil {
		return notFound(err, "the interface user is not a user of this trust")
	}
	if crs.Role(role) != crs.RoleInterface {
		return crs.FieldErrorf("user", "the interface user must have the interface role, not %s", crs.Role(role).Name())
	}
	if i.ID == "" {
		i.ID = crs.NewID()
	}
	i.Enabled, i.CreatedAt = true, tx.now
	settingsChanged(tx)
	conv := interfaceConventionArgs(i)
	if _, err := tx.Exec(`INSERT INTO hl7_interfaces (id, org_id, name, sending_application, sending_facility, user_id, enabled, created_at,
		receiving_facilities, nhs_ids, local_ids, unknown_patient, strict)
		VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $11, $12)`, append([]any{i.ID, i.OrgID, i.Name, i.SendingApplication, i.SendingFacility, i.UserID, formatTime(tx.now)}, conv...)...); err != nil {
		if isUniqueViolation(err) {
			return crs.FieldErrorf("sending_application", "an interface from %s at %s already exists", i.SendingApplication, i.SendingFacility)
		}
		return err
	}
	return tx.EmitData(&crs.Event{Type: crs.EventInterfaceAdded, SubjectID: i.ID, Summary: "Inbound interface " + i.Name + " added"}, "interface", i)
}

// FindInterfacesBySender lists the enabled interfaces, across trusts,
// that send as application app from facility. The integration engine
// calls it to tell whose message has arrived, before any actor is known.
// A message with no MSH-4 (facility "") is the application's from any
// facility: senders that leave MSH-4 empty are found by MSH-3 alone.
func (db *DB) FindInterfacesBySender(ctx context.Context, app, facility string) ([]*crs.InboundInterface, error) {
	return queryRows(ctx, db.read, func(r scanner) (*crs.InboundInterface, error) {
		var i crs.InboundInterface
		var created, role string
		var c conventionCols
		err := r.Scan(append(append([]any{&i.ID, &i.OrgID, &i.Name, &i.SendingApplication, &i.SendingFacility, &i.UserID, &created}, c.dest()...), &i.OrgODS, &i.Username, &role)...)
		i.Enabled, i.CreatedAt, i.Role = true, parseTime(created), crs.Role(role)
		c.fill(&i.Interface)
		return &i, err
	}, `SELECT i.id, i.org_id, i.name, i.sending_application, i.sending_facility, i.user_id, i.created_at, `+prefixed("i.", conventionColumns)+`,
		o.ods_code, u.username, u.role
		FROM hl7_interfaces i JOIN organisations o ON o.id = i.org_id JOIN users u ON u.id = i.user_id
		WHERE i.sending_application = $1 AND (i.sending_facility = $2 OR $2 = '') AND i.enabled = 1 AND u.disabled = 0
		ORDER BY i.created_at, i.id`, app, facility)
}

// FindInterfaces lists the trust's inbound interfaces.
func (db *DB) FindInterfaces(ctx context.Context, orgID string) ([]*crs.Interface, error) {
	return queryRows(ctx, db.read, func(r scanner) (*crs.Interface, error) {
		var i crs.Interface
		var created string
		var enabled int
		var c conventionCols
		err := r.Scan(append([]any{&i.ID, &i.OrgID, &i.Name, &i.SendingApplication, &i.SendingFacility, &i.UserID, &enabled, &created}, c.dest()...)...)
		i.Enabled, i.CreatedAt = enabled == 1, parseTime(created)
		c.fill(&i)
		return &i, err
	}, `SELECT id, org_id, name, sending_application, sending_facility, user_id, enabled, created_at, `+conventionColumns+`
		FROM hl7_interfaces WHERE org_id = $1 ORDER BY name`, orgID)
}

// FindOrganisationIDByODS returns the id of the organisation with the ODS
// code, or ENOTFOUND.
func (db *DB) FindOrganisationIDByODS(ctx context.Context, ods string) (string, error) {
	var id string
	err := db.read.QueryRowContext(ctx, `SELECT id FROM organisations WHERE ods_code = $1`, ods).Scan(&id)
	return id, notFound(err, "no organisation with ODS code %s", ods)
}

// findByIdentifierSQL reads, by engine and kind of identifier, the
// patient holding it now (a live record before a merged one), else one
// that held it before, in one round trip. Each is built once: every
// inbound message looks its patient up.
//
// On PostgreSQL a hospital number's holder is read as the first patient,
// in the order of the (org_id, mrn) key, from the trust and number asked
// for on, kept when it is theirs: a probe of the key however PostgreSQL
// sees the table. Asked for by equality, the look-up was planned, while
// the table was new and nearly empty (and kept so, as the statement's
// generic plan, while it grew), as a walk of the trust's patients by
// another index of the trust's, which on so few rows costs the same as
// the key; in the key's order, any other index must read and sort every
// patient from the trust on. An NHS number may be held by several
// records (a merged record keeps it); its index (migration 0109) orders
// them live first, so the first entry from the trust and number on is
// the one wanted, and is probed the same way.
//
// SQLite plans each statement as it is prepared, by its indexes, and
// asked by equality probes the same keys; but the probe from the number
// on reads the patient after it when nobody holds the number, as nobody
// does for a registration (three in four of the messages of `crs bench
// hl7`), and did so twice (again to know that the former holder is
// wanted). By equality, the number's index alone says that nobody holds
// it, and whether anybody does is asked of the index alone.
var findByIdentifierSQL = map[string]map[string]string{
	"postgres": {
		"nhs": findByIdentifier(`SELECT `+patientColumns+` FROM (SELECT `+patientColumns+` FROM patients WHERE (org_id, nhs_number, merged_into) >= ($1, $2, '')
		ORDER BY org_id, nhs_number, merged_into LIMIT 1) probe WHERE org_id = $1 AND nhs_number = $2`, ""),
		"mrn": findByIdentifier(`SELECT `+patientColumns+` FROM (SELECT `+patientColumns+` FROM patients WHERE (org_id, mrn) >= ($1, $2) ORDER BY org_id, mrn LIMIT 1) probe
		WHERE org_id = $1 AND mrn = $2`, ""),
	},
	"sqlite": {
		"nhs": findByIdentifier(`SELECT `+patientColumns+` FROM patients WHERE org_id = $1 AND nhs_number = $2 ORDER BY merged_into LIMIT 1`,
			`SELECT 1 FROM patients WHERE org_id = $1 AND nhs_number = $2`),
		"mrn": findByIdentifier(`SELECT `+patientColumns+` FROM patients WHERE org_id = $1 AND mrn = $2`,
			`SELECT 1 FROM patients WHERE org_id = $1 AND mrn = $2`),
	},
}

// findByIdentifier reads the patient the query held finds (the holder of
// the number now), else the one patient_identifiers says held it before;
// anyone asks whether anybody holds the number now (held itself when
// empty). Each branch gives one row at most and the second only when
// the first gives none, so the rows need no sort: ordered by which
// branch gave them, SQLite built a temporary B-tree for every look-up,
// opened, filled and closed by the one writer (without it the look-up
// took 0.64 times the committer's CPU in `crs bench hl7`'s profiles).
func findByIdentifier(held, anyone string) string {
	if anyone == "" {
		anyone = held
	}
	return `SELECT ` + patientColumns + ` FROM (` + held + `) held
		UNION ALL
		SELECT ` + patientColumns + ` FROM (SELECT ` + prefixed("p.", patientColumns) + ` FROM patient_identifiers i JOIN patients p ON p.id = i.patient_id
			WHERE i.org_id = $1 AND i.kind = $3 AND i.value = $2 LIMIT 1) former
		WHERE NOT EXISTS (` + anyone + `)`
}

// findPatientByIdentifierTx finds, within a command, the live patient of
// the actor's trust holding an NHS number ("nhs") or hospital number
// ("mrn"), following merges to the surviving record. It returns
// ENOTFOUND when no patient holds it.
func findPatientByIdentifierTx(tx *Tx, kind, value string) (*crs.Patient, error) {
	query, ok := findByIdentifierSQL[tx.db.dialect.name][kind]
	if !ok {
		return nil, crs.Errorf(crs.EINVALID, "identifier kind %q is not nhs or mrn", kind)
	}
	org := tx.actor.OrgID
	// Asked first in an inbound message's command, the look-up goes
	// before the transaction's BEGIN (pg_pipeline.go).
	first := lookUpFirst(context.Background())
	p, err := scanPatient(tx.QueryRowContext(first, query, org, value, kind))
	for hops := 0; err == nil && p.Merged() && hops < 10; hops++ {
		p, err = scanPatient(tx.QueryRowContext(first, `SELECT `+patientColumns+` FROM patients WHERE `+patientByID, p.MergedInto, org))
	}
	if err == nil && !tx.db.pooled() && !p.Merged() {
		tx.lookedUp = copyPatient(p)
	}
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		what := map[string]string{"nhs": "NHS number", "mrn": "hospital number"}[kind]
		if kind == "nhs" {
			if !tx.db.pooled() {
				tx.absentNHS = value
			} else {
				tx.unseenNHS = value
			}
			value = nhs.FormatNumber(value)
		}
		return nil, crs.Errorf(crs.ENOTFOUND, "no patient with %s %s", what, value)
	}
	return p, err
}

// claimInboundMessage claims, first thing in a command, the key of an
// inbound message (see crs.MessageKey) for the message id the command
// will log with insertInboundMessage. found is true, with the
// acknowledgement the message got, when a message with the key was logged
// before: the command then changes nothing and the sender gets the same
// answer.
//
// The claim is the message's one log row, inserted at the end of the
// command under the key's unique index: a copy of a message logged
// before fails there, which undoes whatever the copy did, and its sender
// gets the first answer. A copy is rare (a sender that timed out sends
// the message again), so the first run of a command looks nothing up:
// this spares every other message a statement (and, on PostgreSQL, a
// round trip).
//
// On SQLite the single writer applies one command at a time, so no other
// command can hold the key uncommitted: a copy fails at its log row
// (crs.ErrDuplicateMessage), its sender getting the first answer read
// after the command. A dry run's command (no committer, so no append
// buffer), whose first answer nobody can read after it, looks the key
// up.
//
// On PostgreSQL commands run at once. The log row is held back to go
// with the commit (pg_pipeline.go), where a copy's meets the first's
// under the unique index (or its new patient the first's; a copy whose
// first is still under way waits there for its outcome) and fails the
// commit; the command is then run again (writePooled), and a command
// run again looks the key up first and, finding it, changes nothing: the
// sender gets the first answer. A dry run's command, never run again,
// looks the key up too. An inbound message writes its log row
// once, not a claim row then the message over it.
func claimInboundMessage(tx *Tx, id, controlID, key string) (ack string, found bool, err error) {
	controlID, key = indexedValue(controlID), indexedValue(key)
	if tx.buf != nil && !tx.again {
		if tx.db.pooled() {
			tx.claimed = id
		}
		return "", false, nil
	}
	if !tx.db.pooled() {
		err = tx.QueryRow(findACKSQL, controlID, key).Scan(&ack)
		if err == sql.ErrNoRows {
			return "", false, nil
		}
		return ack, err == nil, err
	}
	res, err := tx.Exec(`SELECT 1 FROM hl7_messages WHERE control_id = $1 AND idem_key = $2`, controlID, key)
	if err != nil {
		return "", false, crs.Errorf(crs.EINTERNAL, "look up message key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			tx.claimed = id
		}
		return "", false, err
	}
	err = tx.QueryRow(findACKSQL, controlID, key).Scan(&ack)
	return ack, err == nil, err
}

// findACKSQL reads the acknowledgement of the inbound message logged
// under a key, found by its control id and the key (the unique index of
// migration 0095).
const findACKSQL = `SELECT ack FROM hl7_messages WHERE control_id = $1 AND idem_key = $2`

// FindInboundACK looks up the acknowledgement already sent for the
// inbound message with the key. found is false when the message has not
// been seen.
func (db *DB) FindInboundACK(ctx context.Context, controlID, key string) (ack string, found bool, err error) {
	err = db.read.QueryRowContext(ctx, findACKSQL, indexedValue(controlID), indexedValue(key)).Scan(&ack)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	return ack, err == nil, err
}

const messageColumns = `id, org_id, direction, channel_id, sending_facility, control_id, message_type, status, ack_code, errors, ack,
	patient_id, nhs_number, mrn, event_id, raw, attempts, next_attempt_at, last_error, created_at, updated_at`

func scanMessage(r scanner) (*crs.Message, error) {
	var m crs.Message
	var errs, next, created, updated string
	if err := r.Scan(&m.ID, &m.OrgID, &m.Direction, &m.ChannelID, &m.SendingFacility, &m.ControlID, &m.Type, &m.Status, &m.ACKCode, &errs, &m.ACK,
		&m.PatientID, &m.NHSNumber, &m.MRN, &m.EventID, &m.Raw, &m.Attempts, &next, &m.LastError, &created, &updated); err != nil {
		return nil, notFound(err, "no such message")
	}
	_ = json.Unmarshal([]byte(errs), &m.Errors)
	m.NextAttemptAt, m.CreatedAt, m.UpdatedAt = parseTime(next), parseTime(created), parseTime(updated)
	return &m, nil
}

// messageArgs are the values of a message's log row. Its control id,
// key and NHS number are kept as the search index keeps a value
// (indexedValue), each in an index of the log: a sender's MSH-10 of
// thousands of characters failed the row on PostgreSQL, and the sender,
// told to send the message again, sent it again for ever. The message as
// received (raw) keeps them whole.
func messageArgs(m *crs.Message, key any, pending int) []any {
	if k, ok := key.(string); ok {
		key = indexedValue(k)
	}
	errs, _ := json.Marshal(m.Errors)
	if m.Errors == nil {
		errs = []byte("[]")
	}
	return []any{m.ID, m.OrgID, m.Direction, m.ChannelID, key, m.SendingFacility, indexedValue(m.ControlID), m.Type, m.Status, pending, m.ACKCode, string(errs), m.ACK,
		m.PatientID, indexedValue(m.NHSNumber), m.MRN, m.EventID, m.Raw, m.Attempts, formatTime(m.NextAttemptAt), m.LastError, formatTime(m.CreatedAt), formatTime(m.UpdatedAt)}
}

const insertMessageSQL = `INSERT INTO hl7_messages (id, org_id, direction, channel_id, idem_key, sending_facility, control_id, message_type, status, pending,
	ack_code, errors, ack, patient_id, nhs_number, mrn, event_id, raw, attempts, next_attempt_at, last_error, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`

// upsertMessageSQL logs a message, over the row of the same id if there
// is one.
const upsertMessageSQL = insertMessageSQL + ` ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, direction = excluded.direction,
	channel_id = excluded.channel_id, idem_key = excluded.idem_key, sending_facility = excluded.sending_facility, control_id = excluded.control_id,
	message_type = excluded.message_type, status = excluded.status, pending = excluded.pending, ack_code = excluded.ack_code, errors = excluded.errors,
	ack = excluded.ack, patient_id = excluded.patient_id, nhs_number = excluded.nhs_number, mrn = excluded.mrn, event_id = excluded.event_id,
	raw = excluded.raw, attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error,
	created_at = excluded.created_at, updated_at = excluded.updated_at`

// insertInboundMessage logs an inbound message within a command, under
// key (see crs.MessageKey; "" for none), claimed with
// claimInboundMessage. When the command has appended no event yet (the
// message changed no record), it appends an EventMessageReceived so the
// write is in the history and audited.
func insertInboundMessage(tx *Tx, m *crs.Message, key string) error {
	if m.ID == "" {
		m.ID = crs.NewID()
	}
	m.OrgID, m.Direction = tx.actor.OrgID, crs.DirectionIn
	m.CreatedAt, m.UpdatedAt = tx.now, tx.now
	m.Attempts = max(m.Attempts, 1) // received once; each reprocess adds one
	var k any
	if key != "" {
		k = key
	}
	ctx := context.Background()
	q := upsertMessageSQL
	if key != "" && m.ID == tx.claimed {
		// On PostgreSQL, the row of a key the command looked up and did
		// not find (claimInboundMessage): a copy logged meanwhile fails
		// the commit, and the command is run again, to find it. The row
		// goes with the next statement or the commit (pg_pipeline.go).
		q, ctx = insertMessageSQL, tx.deferrable(ctx)
	}
	if _, err := tx.ExecContext(ctx, q, messageArgs(m, k, 0)...); err != nil {
		if isUniqueViolation(err) {
			return crs.ErrDuplicateMessage
		}
		return crs.Errorf(crs.EINTERNAL, "log message: %w", err)
	}
	if len(tx.events) > 0 {
		return nil
	}
	return tx.EmitData(&crs.Event{Type: crs.EventMessageReceived, PatientID: m.PatientID, SubjectID: m.ID,
		Summary: "HL7 " + m.Type + " " + m.ControlID + " " + m.Status},
		"hl7 message", map[string]any{"message_id": m.ID, "control_id": m.ControlID, "type": m.Type, "status": m.Status})
}

// InsertOrphanMessage logs an inbound message that could not be tied to
// any trust (an unknown sender, an unreadable message), outside the
// write path: no record is changed and no actor is known. It is written
// and synced before it returns, so the reject sent after it is true.
func (db *DB) InsertOrphanMessage(ctx context.Context, m *crs.Message) error {
	if m.ID == "" {
		m.ID = crs.NewID()
	}
	m.Direction = crs.DirectionIn
	m.Attempts = max(m.Attempts, 1)
	now := db.Clock.Now().UTC()
	m.CreatedAt, m.UpdatedAt = now, now
	_, err := db.execDurable(ctx, insertMessageSQL, messageArgs(m, nil, 0)...)
	return err
}

// messageWhere builds the WHERE clause and arguments of a message log
// search of the trust, cursors aside.
func messageWhere(orgID string, q crs.MessageQuery) (string, []any) {
	where := []string{"org_id = $1"}
	args := []any{orgID}
	add := func(cond string, vs ...any) {
		for _, v := range vs {
			args = append(args, v)
			cond = strings.Replace(cond, "?", "$"+itoa(len(args)), 1)
		}
		where = append(where, cond)
	}
	if q.Direction != "" {
		add("direction = ?", q.Direction)
	}
	if q.PatientID != "" {
		add("patient_id = ?", q.PatientID)
	}
	if q.NHSNumber != "" {
		add("nhs_number = ? AND nhs_number <> ''", searchedNHS(q)) // see messageKeyFilter
	}
	if q.ControlID != "" {
		add("control_id = ?", indexedValue(q.ControlID))
	}
	if t := strings.ToUpper(strings.TrimSpace(q.Type)); t != "" {
		if strings.Contains(t, "^") {
			add("message_type = ?", t)
		} else {
			// A trigger (A31) or a message type (ADT): either half of MSH-9.
			add("(message_type = ? OR message_type LIKE ? OR message_type LIKE ?)", t, "%^"+t, t+"^%")
		}
	}
	switch q.Status {
	case "":
	case crs.MessageFailed:
		// Written out, not bound, so the partial index of messages in
		// error (migration 0095) serves the analyst's error worklist.
		where = append(where, "status = 'error'")
	default:
		add("status = ?", q.Status)
	}
	if q.ChannelID != "" {
		add("channel_id = ?", q.ChannelID)
	}
	if !q.From.IsZero() {
		add("created_at >= ?", formatTime(q.From))
	}
	if !q.To.IsZero() {
		add("created_at < ?", formatTime(q.To))
	}
	return strings.Join(where, " AND "), args
}

// messageOrder is the message log's order, newest first: by the time
// each message was logged, then by its time-ordered id. One index
// (hl7_messages_log, migration 0095) serves it and the search by period.
var messageOrder = keyset{keys: []string{"created_at", "id"}, desc: true}

// messageAfter returns the condition (" AND ...") that keeps the messages
// after the cursor message in the order, its id added through arg: a
// page's cursor is the id of the message it starts after, its place in
// the order read from the log. An id not in the trust's log keeps none.
func messageAfter(order keyset, cursor string, arg func(any) string) string {
	if cursor == "" {
		return ""
	}
	cmp := " > "
	if order.desc {
		cmp = " < "
	}
	return " AND (created_at, id)" + cmp + "(SELECT created_at, id FROM hl7_messages WHERE id = " + arg(cursor) + " AND org_id = $1)"
}

// SearchMessages lists the trust's logged messages matching q, newest
// first (see messageOrder), a page of at most q.Limit after or
// before the cursor of q. The caller checks the actor may manage
// interfaces.
func (db *DB) SearchMessages(ctx context.Context, orgID string, q crs.MessageQuery) ([]*crs.Message, error) {
	query, args, newer := searchMessagesSQL(orgID, q)
	out, err := queryRows(ctx, db.read, scanMessage, query, args...)
	if newer {
		slices.Reverse(out)
	}
	return out, err
}

// searchMessagesSQL is SearchMessages' query and its arguments; newer
// says the page is read oldest first, to be turned round.
//
// A search by patient, NHS number or control id reads the messages with
// that patient, number or control id first, through its index (a
// handful, or a few hundred for a patient in hospital for months), then
// orders the page of them. Written as one query, SQLite's planner, with
// no statistics of the log, walked the trust's whole log newest first
// through hl7_messages_log, which serves the order, to find the page.
func searchMessagesSQL(orgID string, q crs.MessageQuery) (query string, _ []any, newer bool) {
	where, args := messageWhere(orgID, q)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + itoa(len(args))
	}
	order, cursor := messageOrder, q.Before
	newer = q.Before == "" && q.After != ""
	if newer {
		// The page just newer than the cursor: the oldest of those
		// first, turned round below.
		order, cursor = messageOrder.reversed(), q.After
	}
	after := messageAfter(order, cursor, arg)
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	from := "hl7_messages"
	if key := messageKeyFilter(q, arg); key != "" {
		query = `WITH keyed AS MATERIALIZED (SELECT * FROM hl7_messages WHERE ` + key + `) `
		from = "keyed"
	}
	query += `SELECT ` + messageColumns + ` FROM ` + from + ` WHERE ` + where + after + order.orderBy() + ` LIMIT ` + itoa(limit)
	return query, args, newer
}

// searchedNHS is the NHS number a search names, as the log holds it:
// ten digits, without the spaces or hyphens it may be typed with.
func searchedNHS(q crs.MessageQuery) string {
	return indexedValue(strings.NewReplacer(" ", "", "-", "").Replace(q.NHSNumber))
}

// messageKeyFilter is the condition that reads a search's messages by
// the most selective index its filters name (patient, NHS number or
// control id), its value added through arg, or "" when they name none.
// Each condition names its index's columns alone, so that no other index
// is a choice.
func messageKeyFilter(q crs.MessageQuery, arg func(any) string) string {
	switch {
	case q.PatientID != "":
		return "org_id = $1 AND patient_id = " + arg(q.PatientID) // hl7_messages_patient
	case q.NHSNumber != "":
		// hl7_messages_nhs holds the messages with a number (migration 0097).
		return "org_id = $1 AND nhs_number = " + arg(searchedNHS(q)) + " AND nhs_number <> ''" // hl7_messages_nhs
	case q.ControlID != "":
		return "control_id = " + arg(indexedValue(q.ControlID)) // hl7_messages_key, by its first column
	}
	return ""
}

// CountMessages counts the trust's logged messages matching q (its
// cursors and limit aside), stopping at most: a log of millions is not
// counted to the end for a page heading. A count of most means "at
// least most".
func (db *DB) CountMessages(ctx context.Context, orgID string, q crs.MessageQuery, most int) (int, error) {
	where, args := messageWhere(orgID, q)
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM hl7_messages WHERE `+where+` LIMIT `+itoa(most)+`) m`, args...).Scan(&n)
	return n, err
}

// GetMessage returns one message of the trust's log.
func (db *DB) GetMessage(ctx context.Context, orgID, id string) (*crs.Message, error) {
	return scanMessage(db.read.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM hl7_messages WHERE id = $1 AND org_id = $2`, id, orgID))
}

// CountInboundMessages counts the inbound messages logged with each
// status, across trusts; tests and the crash check use it.
func CountInboundMessages(ctx context.Context, db *DB) (map[string]int, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT status, COUNT(*) FROM hl7_messages WHERE direction = 'in' GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}
