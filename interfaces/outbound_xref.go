package interfaces

import (
	"fmt"
	"strings"

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

// reverseFields are the fields of an outbound message a destination's
// code maps translate back: our code there becomes the destination's.
var reverseFields = []struct{ path, table string }{
	{"PV1-4", crs.MapAdmissionMethod}, {"PV1-7.1", crs.MapConsultant}, {"PV1-10", crs.MapTreatmentFunction},
	{"PV1-14", crs.MapAdmissionSource}, {"PV1-36", crs.MapDischargeMethod}, {"PV1-37", crs.MapDischargeDestination},
	{"PID-22", crs.MapEthnicCategory},
}

// reverseMap writes a destination's own codes into an outbound message,
// by the code maps of its inbound interface (Destination.MapInterfaceID)
// read in reverse: a ward, bay and bed mapped from WARD^BAY^BED (or a
// ward from WARD), a consultant, a specialty and the rest. A code with
// no mapping is sent as ours.
func reverseMap(tx crs.Tx, m *hl7.Message, d *crs.Destination) error {
	if d.MapInterfaceID == "" {
		return nil
	}
	ward, bay, bed := m.Get("PV1-3.1"), m.Get("PV1-3.2"), m.Get("PV1-3.3")
	if ward != "" {
		if from, ok, err := tx.ReverseMapCode(d.MapInterfaceID, crs.MapLocation, ward+"^"+bay+"^"+bed); err != nil {
			return err
		} else if ok {
			parts := append(strings.SplitN(from, "^", 3), "", "")
			for i, v := range parts[:3] {
				if err := m.Set(fmt.Sprintf("PV1-3.%d", i+1), v); err != nil {
					return err
				}
			}
		} else if from, ok, err := tx.ReverseMapCode(d.MapInterfaceID, crs.MapLocation, ward); err != nil {
			return err
		} else if ok {
			if err := m.Set("PV1-3.1", from); err != nil {
				return err
			}
		}
	}
	for _, f := range reverseFields {
		v := m.Get(f.path)
		if v == "" {
			continue
		}
		from, ok, err := tx.ReverseMapCode(d.MapInterfaceID, f.table, v)
		if err != nil {
			return err
		}
		if ok {
			if err := m.Set(f.path, from); err != nil {
				return err
			}
		}
	}
	return nil
}
