package store

// The trust's running numbers (hospital numbers, pathway identifiers,
// visit numbers) come from its counters, one row per trust and name.

// allocateSQL moves a counter on by $3 and returns its new value; the
// counter starts at 0 when the trust has none of that name yet.
const allocateSQL = `INSERT INTO counters (org_id, name, value) VALUES ($1, $2, $3)
	ON CONFLICT (org_id, name) DO UPDATE SET value = counters.value + excluded.value RETURNING value`

// allocate takes n numbers from the trust's counter name and returns the
// last of them: the command owns last-n+1 to last.
//
// On PostgreSQL, where commands run side by side, the counter moves in a
// transaction of its own on a connection kept for numbering
// (DB.numbers): in the command's transaction its row would stay locked
// until that command commits, so every registration, referral or
// admission of a trust would wait for the one before it. A number a
// command takes and then does not use, because the command failed, is
// not given again: the numbers have gaps, as a sequence's do. Its commit
// does not wait for the disk (newPGNumberingConnector says why that
// loses no number a change used), so the counter's row is locked for
// microseconds, not for a sync of the log. A registration that looks
// up its NHS number first takes its hospital number in that look-up's
// statement instead, before its transaction begins, in a transaction of
// the look-up's own that does not wait for the disk either
// (nhsProbeTakeSQL): the same move of the counter, a round trip fewer,
// and allocate is not asked. A dry run's commands move
// the counter in the dry run's transaction, which is rolled back, so a
// dry run leaves the counters as they were. On SQLite
// the one writer applies commands in turn, and the counter moves in the
// batch's transaction (appendBuffer.allocateIn).
func (tx *Tx) allocate(orgID, name string, n int) (last int64, err error) {
	if tx.db.numbers != nil && !tx.dry {
		err = tx.db.numbers.QueryRowContext(tx.ctx, allocateSQL, orgID, name, n).Scan(&last)
	} else if tx.buf != nil && !tx.db.pooled() && !tx.dry {
		return tx.buf.allocateIn(tx, orgID, name, n)
	} else {
		err = tx.QueryRow(allocateSQL, orgID, name, n).Scan(&last)
	}
	return last, err
}
