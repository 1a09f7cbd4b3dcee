package crs

// OutboundCount is how many outbound messages of one type and trigger
// (MSH-9, e.g. "ADT^A01") wait in the queue of one of the trust's
// destinations: what a system that stays would be sent.
type OutboundCount struct {
	DestinationID string `json:"destination_id"`
	Destination   string `json:"destination"` // its name, e.g. "Radiology RIS"
	Type          string `json:"type"`
	Count         int    `json:"count"`
}

// OutboxTx reads the feeds' queues inside a unit of work, so that a dry
// run can say what the commands it tried would have sent before it is
// rolled back.
type OutboxTx interface {
	// PendingOutbound counts the trust's outbound messages waiting in
	// their destinations' queues (queued or suspended), per destination
	// and message type, in order of destination name and type.
	PendingOutbound() ([]OutboundCount, error)
}
