package store

import "github.com/opencrs/crs"

// PendingOutbound counts the trust's outbound messages waiting in their
// destinations' queues, per destination and type (see crs.OutboxTx).
func (tx *Tx) PendingOutbound() ([]crs.OutboundCount, error) {
	rows, err := tx.Query(`SELECT m.channel_id, COALESCE(d.name, ''), m.message_type, COUNT(*)
		FROM hl7_messages m LEFT JOIN hl7_destinations d ON d.id = m.channel_id
		WHERE m.org_id = $1 AND m.direction = 'out' AND m.pending = 1
		GROUP BY m.channel_id, d.name, m.message_type
		ORDER BY COALESCE(d.name, ''), m.channel_id, m.message_type`, tx.actor.OrgID)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "count the queued outbound messages: %w", err)
	}
	defer rows.Close()
	var out []crs.OutboundCount
	for rows.Next() {
		var c crs.OutboundCount
		if err := rows.Scan(&c.DestinationID, &c.Destination, &c.Type, &c.Count); err != nil {
			return nil, crs.Errorf(crs.EINTERNAL, "count the queued outbound messages: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
