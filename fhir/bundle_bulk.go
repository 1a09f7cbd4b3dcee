package fhir

import "github.com/opencrs/crs"

// bulkTx is the unit of work of a transaction Bundle with the writes of
// its resources held back and written together (PutResources): the
// Bundle's new resources are then a few INSERTs of many rows with one event
// and one audit record, not statements, an event and an audit record
// each. A read of the resource store inside the command (a read, a
// search, a conditional create or reference) first writes what is held,
// so it sees every entry applied before it; the command's end writes
// the rest (flush). What the typed core writes (a Patient of the patient
// index) goes through its own commands as before.
type bulkTx struct {
	crs.Tx
	held  []*crs.Resource
	index [][]crs.ResourceIndexRow
}

// PutResource holds r back to be written with the others. Its text is
// checked now, so a refusal names the entry that sent it; it is given
// the command's time now, so the entry's response can say it.
func (b *bulkTx) PutResource(r *crs.Resource, index []crs.ResourceIndexRow) error {
	if err := r.CheckText(); err != nil {
		return err
	}
	r.LastUpdated = b.Now()
	b.held = append(b.held, r)
	b.index = append(b.index, index)
	return nil
}

// flush writes the resources held back.
func (b *bulkTx) flush() error {
	if len(b.held) == 0 {
		return nil
	}
	held, index := b.held, b.index
	b.held, b.index = nil, nil
	return b.Tx.PutResources(held, index)
}

// GetResource reads a resource after writing those held back.
func (b *bulkTx) GetResource(typ, id string) (*crs.Resource, error) {
	if err := b.flush(); err != nil {
		return nil, err
	}
	return b.Tx.GetResource(typ, id)
}

// GetResourceVersion reads a version of a resource after writing those
// held back.
func (b *bulkTx) GetResourceVersion(typ, id string, version int) (*crs.Resource, error) {
	if err := b.flush(); err != nil {
		return nil, err
	}
	return b.Tx.GetResourceVersion(typ, id, version)
}

// SearchResources searches after writing the resources held back.
func (b *bulkTx) SearchResources(q crs.ResourceQuery) ([]*crs.Resource, error) {
	if err := b.flush(); err != nil {
		return nil, err
	}
	return b.Tx.SearchResources(q)
}
