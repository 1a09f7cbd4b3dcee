package crs

import "time"

// AuditChainCheck is the outcome of checking one trust's audit trail for
// tampering. Every audit record is chained to the one before it in its
// trust by a SHA-256 hash, so a record altered, deleted or slipped in
// afterwards breaks the chain where it was done.
type AuditChainCheck struct {
	OrgID    string
	Records  int    // audit records in the chain
	Links    int    // places in the chain: a record, or a block of access records (SQLite writes those a block a commit)
	HeadSeq  int64  // the last link's place in the chain, as the trust's head holds it
	HeadHash string // the hash the chain ends with: note it down to compare with a later check
	// Breaks lists where the chain does not hold, in chain order; at most
	// MaxAuditBreaks of them.
	Breaks []AuditChainBreak
	// MoreBreaks says there were more breaks than listed.
	MoreBreaks bool
}

// MaxAuditBreaks is how many breaks one check lists at most.
const MaxAuditBreaks = 100

// Intact reports whether the whole chain holds.
func (c *AuditChainCheck) Intact() bool { return len(c.Breaks) == 0 }

// AuditChainBreak is one place the audit chain does not hold: the record
// where the check found it and what is wrong there.
type AuditChainBreak struct {
	RecordID string    // the audit record's id; empty when a record is missing from the end
	Seq      int64     // its place in the chain; 0 for a record outside the chain
	At       time.Time // when the record says it was written
	Problem  string    // what is wrong, e.g. "its content was altered"
}
