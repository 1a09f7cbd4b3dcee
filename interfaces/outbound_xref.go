package interfaces

import (
	"fmt"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
)

// carryXref adds to the PID-3 of an outbound message the destination's
// own numbers for the patient (Destination.XrefSystem), as
// number^^^authority^type, so a system that wants its own numbers back
// gets them. A patient the system has no number for is sent without.
func carryXref(tx crs.Tx, m *hl7.Message, d *crs.Destination, patientID string) error {
	if d.XrefSystem == "" || patientID == "" {
		return nil
	}
	xs, err := tx.PatientXrefs(patientID)
	if err != nil {
		return err
	}
	n := m.Count("PID-3")
	for _, x := range xs {
		if x.System != d.XrefSystem {
			continue
		}
		n++
		rep := fmt.Sprintf("PID-3[%d]", n)
		for path, v := range map[string]string{rep + ".1": x.Value, rep + ".4": d.XrefID.Authority, rep + ".5": d.XrefID.Type} {
			if v == "" {
				continue
			}
			if err := m.Set(path, v); err != nil {
				return err
			}
		}
	}
	return nil
}
