package interfaces

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/nhs"
)

// Inbound messages are strict where it matters and tolerant where it
// does not. Key fields (the patient's identity, the message type, event
// dates, the ward an admission or transfer goes to) must be understood:
// a ward code with no mapping holds the message (AE naming the code and
// its table) until the analyst maps it and reprocesses. A value of a
// non-key coded field (admission method, source, specialty, consultant,
// discharge method and destination, patient class, sex, ethnic
// category) that neither the interface's maps nor the national tables
// know is stored as received where the record can hold it, else as
// not known, and the message is applied with an AA carrying an ERR of
// severity W and a data-quality entry; an interface set strict holds the
// message instead.

// holdErr is a reason to hold a message: a code it needs mapped, an
// unknown patient, or an earlier held message of the same patient.
type holdErr struct {
	ackErr
	table, code, behind string
}

// holdFor returns the reason to hold a message for a code of a table.
func holdFor(seg string, field int, table, code, format string, args ...any) error {
	return &holdErr{ackErr: ackErr{hl7.ACKError{Segment: seg, Sequence: 1, Field: field, Code: hl7.CodeTableValueNotFound, Severity: hl7.SeverityError,
		Text: fmt.Sprintf(format, args...)}}, table: table, code: code}
}

// coder reads the coded fields of one message by its interface's code
// maps within the command, gathering the warnings and data-quality
// issues of the values no map knew.
type coder struct {
	tx       crs.Tx
	iface    *crs.InboundInterface
	warnings []hl7.ACKError
	issues   []crs.DataQualityIssue
}

// mapped translates a code by the interface's table.
func (c *coder) mapped(table, from string) (string, bool, error) {
	if from == "" {
		return "", false, nil
	}
	return c.tx.MapCode(c.iface.ID, table, from)
}

// unknown deals with a value of a non-key field no map knew: held when
// the interface is strict, else a warning and a data-quality issue
// saying what was stored.
func (c *coder) unknown(table, seg string, field int, code, what, stored string) error {
	loc := fmt.Sprintf("%s-%d", seg, field)
	if c.iface.Strict {
		return holdFor(seg, field, table, code, "%s %s %q has no mapping in table %s of interface %s (strict): map it and reprocess", loc, what, code, table, c.iface.Name)
	}
	text := fmt.Sprintf("%s %s %q has no mapping in table %s: %s; the code as received is kept on the data-quality entry", loc, what, code, table, stored)
	c.warnings = append(c.warnings, hl7.ACKError{Segment: seg, Sequence: 1, Field: field, Code: hl7.CodeTableValueNotFound, Severity: hl7.SeverityWarning, Text: text})
	c.issues = append(c.issues, crs.DataQualityIssue{InterfaceID: c.iface.ID, Table: table, Field: loc, Code: code, What: text})
	return nil
}

// field reads a coded field of the message (its first component, or the
// first subcomponent of that, as a v2.5 point of care sent as a
// namespace&id&type), upper case and trimmed.
func field(m *hl7.Message, seg string, f int) string {
	return strings.ToUpper(strings.TrimSpace(m.Get(fmt.Sprintf("%s-%d.1.1", seg, f))))
}

// admissionMethod reads PV1-4: the interface's admission_method map (to
// an ADMISSION METHOD), its admission_type map (to an HL7 table 0007
// code), then the HL7 and Data Dictionary codes; empty gives def.
func (c *coder) admissionMethod(m *hl7.Message, def string) (string, error) {
	v := field(m, "PV1", 4)
	if v == "" {
		return def, nil
	}
	if to, ok, err := c.mapped(crs.MapAdmissionMethod, v); err != nil || ok {
		return to, err
	}
	if to, ok, err := c.mapped(crs.MapAdmissionType, v); err != nil {
		return "", err
	} else if ok {
		v = to
	}
	if got, ok := known(v, nhs.AdmissionMethods, admissionTypes); ok {
		return got, nil
	}
	stored := def
	if stored == "" {
		stored = "99"
	}
	return stored, c.unknown(crs.MapAdmissionMethod, "PV1", 4, v, "admission type", "stored as "+stored+" (not known)")
}

// known reads a code that is a Data Dictionary code of table or an HL7
// code hl7Codes maps (a one-letter HL7 code first).
func known(v string, table []nhs.Code, hl7Codes map[string]string) (string, bool) {
	if c, ok := hl7Codes[v]; ok && len(v) == 1 {
		return c, true
	}
	if _, ok := nhs.Lookup(table, v); ok {
		return v, true
	}
	c, ok := hl7Codes[v]
	return c, ok
}

// coded reads a non-key coded field: the interface's map, then the
// national codes (table, hl7Codes); empty gives def; an unknown value
// gives notKnown, with a warning.
func (c *coder) coded(m *hl7.Message, seg string, f int, mapTable string, table []nhs.Code, hl7Codes map[string]string, def, notKnown, what string) (string, error) {
	v := field(m, seg, f)
	if v == "" || v == nullValue {
		return def, nil
	}
	if to, ok, err := c.mapped(mapTable, v); err != nil || ok {
		return to, err
	}
	if got, ok := known(v, table, hl7Codes); ok {
		return got, nil
	}
	return notKnown, c.unknown(mapTable, seg, f, v, what, "stored as "+notKnown+" (not known)")
}

// nationalConsultant is the form of a national consultant or GP code
// (GMC or GDC number with a letter), which needs no mapping.
var nationalConsultant = regexp.MustCompile(`^[CDGH][0-9]{7}$`)

// consultantNotKnown is the Data Dictionary's code for a consultant not
// known.
const consultantNotKnown = "C9999998"

// consultant reads PV1-7 (the attending doctor), else PV1-17 (the
// admitting doctor): mapped, national, or the sender's own code stored
// as received, with a warning.
func (c *coder) consultant(m *hl7.Message) (string, error) {
	f := 7
	v := field(m, "PV1", 7)
	if v == "" {
		f, v = 17, field(m, "PV1", 17)
	}
	if v == "" {
		return "", nil
	}
	if to, ok, err := c.mapped(crs.MapConsultant, v); err != nil || ok {
		return to, err
	}
	if nationalConsultant.MatchString(v) {
		return v, nil
	}
	stored := v
	if !crs.ValidConsultantCode(v) {
		stored = consultantNotKnown
	}
	return stored, c.unknown(crs.MapConsultant, "PV1", f, v, "consultant", "stored as "+stored)
}

// referrer reads PV1-8, the referring doctor: the interface's referrer
// map (to a GP or consultant code), else a national code as sent. The
// spell keeps no referrer, so the code is only checked: one no map knows
// is a warning and a data-quality entry that keeps the code as received
// (held when the interface is strict), and it joins the unmapped codes.
func (c *coder) referrer(m *hl7.Message) (string, error) {
	v := field(m, "PV1", 8)
	if v == "" || v == nullValue {
		return "", nil
	}
	if to, ok, err := c.mapped(crs.MapReferrer, v); err != nil || ok {
		return to, err
	}
	if nationalConsultant.MatchString(v) {
		return v, nil
	}
	return "", c.unknown(crs.MapReferrer, "PV1", 8, v, "referring doctor", "not kept in the record (the spell holds no referrer)")
}

// note records a warning about a value kept in another form than sent,
// with a data-quality entry (table "" when no code map applies).
func (c *coder) note(seg string, field int, table, code, text string) {
	c.warnings = append(c.warnings, hl7.ACKError{Segment: seg, Sequence: 1, Field: field, Code: hl7.CodeDataType, Severity: hl7.SeverityWarning, Text: text})
	c.issues = append(c.issues, crs.DataQualityIssue{InterfaceID: c.iface.ID, Table: table, Field: fmt.Sprintf("%s-%d", seg, field), Code: code, What: text})
}

// missingConsultant is the consultant of an admission whose message
// names none (PV1-7 and PV1-17 empty): the consultant is not a key field,
// so the patient is admitted under the code for a consultant not known,
// with a warning and a data-quality entry for the ward clerk to put right.
func (c *coder) missingConsultant() string {
	text := "PV1-7 attending doctor is missing: the patient is admitted under " + consultantNotKnown + " (consultant not known) until the ward says who"
	c.warnings = append(c.warnings, hl7.ACKError{Segment: "PV1", Sequence: 1, Field: 7, Code: hl7.CodeRequiredFieldMissing, Severity: hl7.SeverityWarning, Text: text})
	c.issues = append(c.issues, crs.DataQualityIssue{InterfaceID: c.iface.ID, Table: crs.MapConsultant, Field: "PV1-7", What: text})
	return consultantNotKnown
}

// treatmentFunction reads PV1-10: mapped or a TREATMENT FUNCTION CODE;
// the sender's own code is left not known (the record holds national
// codes only), with a warning and the code in the data-quality list.
func (c *coder) treatmentFunction(m *hl7.Message) (string, error) {
	v := field(m, "PV1", 10)
	if v == "" {
		return "", nil
	}
	if to, ok, err := c.mapped(crs.MapTreatmentFunction, v); err != nil || ok {
		return to, err
	}
	if _, ok := nhs.Lookup(nhs.TreatmentFunctions, v); ok {
		return v, nil
	}
	return "", c.unknown(crs.MapTreatmentFunction, "PV1", 10, v, "hospital service", "left not known")
}

// patientClass reads PV1-2 for an admission: mapped, an HL7 class or a
// PATIENT CLASSIFICATION; another value is not known (the spell takes
// its default), with a warning.
func (c *coder) patientClass(m *hl7.Message) (string, error) {
	v := field(m, "PV1", 2)
	if v == "" {
		return "", nil
	}
	if to, ok, err := c.mapped(crs.MapPatientClass, v); err != nil {
		return "", err
	} else if ok {
		v = to
	}
	if got, ok := patientClasses[v]; ok {
		return got, nil
	}
	return "", c.unknown(crs.MapPatientClass, "PV1", 2, v, "patient class", "the admission takes the usual class (1, ordinary admission)")
}

// place finds the ward and bed of a PL field (point of care^room^bed):
// by the interface's location map (POC^ROOM^BED to WARD^BAY^BED, or POC
// to WARD), else the trust's own ward codes. The ward is a key field: a
// point of care with no mapping and no ward of that code holds the
// message. A room or bed the ward does not have admits to the ward with
// no bed, with a warning, for the bed manager to allocate.
func (c *coder) place(m *hl7.Message, f int) (wardID, bedID string, err error) {
	p := fmt.Sprintf("PV1-%d", f)
	poc, room, bed := field(m, "PV1", f), strings.ToUpper(strings.TrimSpace(m.Get(p+".2.1"))), strings.ToUpper(strings.TrimSpace(m.Get(p+".3.1")))
	if poc == "" {
		return "", "", fieldErr("PV1", f, hl7.CodeRequiredFieldMissing, "%s location holds no ward code (ward^room^bed)", p)
	}
	ward, bay := poc, room
	mappedWhole := false
	if room != "" || bed != "" {
		to, ok, err := c.mapped(crs.MapLocation, poc+"^"+room+"^"+bed)
		if err != nil {
			return "", "", err
		}
		if ok {
			parts := strings.SplitN(to, "^", 3)
			for len(parts) < 3 {
				parts = append(parts, "")
			}
			ward, bay, bed, mappedWhole = parts[0], parts[1], parts[2], true
		}
	}
	if !mappedWhole {
		to, ok, err := c.mapped(crs.MapLocation, poc)
		if err != nil {
			return "", "", err
		}
		if ok {
			ward = to
		}
	}
	if wardID, err = c.tx.FindWardByCode(ward); err != nil {
		if crs.ErrorCode(err) != crs.ENOTFOUND {
			return "", "", err
		}
		if ward != poc {
			return "", "", holdFor("PV1", f, crs.MapLocation, poc, "%s point of care %s maps to ward %s, which the trust does not have: correct the location map and reprocess", p, poc, ward)
		}
		return "", "", holdFor("PV1", f, crs.MapLocation, poc, "%s: point of care %s is not a ward of this trust and has no mapping in table location: map it (crs hl7 map set --table location --from %s --to WARD) and reprocess", p, poc, poc)
	}
	if bed == "" {
		return wardID, "", nil
	}
	if bedID, err = c.tx.FindBedByCode(wardID, bay, bed); err != nil {
		if crs.ErrorCode(err) != crs.ENOTFOUND {
			return "", "", err
		}
		where := ward
		if bay != "" {
			where += " room " + bay
		}
		c.warnings = append(c.warnings, hl7.ACKError{Segment: "PV1", Sequence: 1, Field: f, Code: hl7.CodeUnknownKey, Severity: hl7.SeverityWarning,
			Text: fmt.Sprintf("%s: ward %s has no bed %s (%s): the patient is on the ward with no bed, for the bed manager to allocate", p, ward, bed, where)})
		return wardID, "", nil
	}
	return wardID, bedID, nil
}

// bedTaken reports whether a refused admission or transfer was refused
// only because its bed is taken, and notes the warning: the change is
// made again on the ward with no bed.
func (c *coder) bedTaken(err error, f int) bool {
	var ce *crs.Error
	var es crs.Errors
	switch {
	case errors.As(err, &es) && len(es) == 1:
		ce = es[0]
	case errors.As(err, &ce):
	default:
		return false
	}
	if ce.Field != "bed" {
		return false
	}
	c.warnings = append(c.warnings, hl7.ACKError{Segment: "PV1", Sequence: 1, Field: f, Code: hl7.CodeDuplicateKey, Severity: hl7.SeverityWarning,
		Text: fmt.Sprintf("PV1-%d: %s: the patient is on the ward with no bed, for the bed manager to allocate", f, crs.ErrorMessage(ce))})
	return true
}

// discharge reads PV1-36 and PV1-37 into a discharge's method and
// destination.
func (c *coder) discharge(m *hl7.Message, d *crs.Discharge) error {
	disp := field(m, "PV1", 36)
	if disp != "" {
		to, ok, err := c.mapped(crs.MapDischargeMethod, disp)
		switch {
		case err != nil:
			return err
		case ok:
			d.Method = to
		default:
			if md, ok := dispositions[disp]; ok {
				d.Method, d.Destination = md[0], md[1]
			} else if _, ok := nhs.Lookup(nhs.DischargeMethods, disp); ok {
				d.Method = disp
			} else if err := c.unknown(crs.MapDischargeMethod, "PV1", 36, disp, "discharge disposition", "stored as 9 (not known)"); err != nil {
				return err
			}
		}
	}
	if v := field(m, "PV1", 37); v != "" {
		to, ok, err := c.mapped(crs.MapDischargeDestination, v)
		switch {
		case err != nil:
			return err
		case ok:
			d.Destination = to
		default:
			if _, ok := nhs.Lookup(nhs.DischargeDestinations, v); ok {
				d.Destination = v
			} else if err := c.unknown(crs.MapDischargeDestination, "PV1", 37, v, "discharged to location", "stored as 99 (not known)"); err != nil {
				return err
			} else {
				d.Destination = "99"
			}
		}
	}
	if d.Method == "4" {
		d.Destination = "79"
	}
	return nil
}

// sex reads PID-8: mapped, HL7 administrative sex or a Data Dictionary
// code; another value keeps what the record holds, with a warning.
func (c *coder) sex(v string) (string, bool, error) {
	v = strings.ToUpper(strings.TrimSpace(v))
	if to, ok, err := c.mapped(crs.MapSex, v); err != nil {
		return "", false, err
	} else if ok {
		v = to
	}
	if g, ok := genders[v]; ok {
		return g, true, nil
	}
	return "", false, c.unknown(crs.MapSex, "PID", 8, v, "administrative sex", "the record keeps the sex it holds")
}

// ethnicCategory reads PID-22: mapped or an ETHNIC CATEGORY; another
// value keeps what the record holds, with a warning.
func (c *coder) ethnicCategory(v string) (string, bool, error) {
	v = strings.ToUpper(strings.TrimSpace(v))
	if to, ok, err := c.mapped(crs.MapEthnicCategory, v); err != nil || ok {
		return to, ok, err
	}
	if _, ok := nhs.Lookup(nhs.EthnicCategories, v); ok {
		return v, true, nil
	}
	return "", false, c.unknown(crs.MapEthnicCategory, "PID", 22, v, "ethnic group", "the record keeps the ethnic category it holds")
}

// finish completes the outcome of a message applied: the coder's
// warnings join the ACK, and its data-quality issues are recorded
// against the message and the patient.
func (c *coder) finish(msgID string, out *outcome) error {
	out.warnings = append(out.warnings, c.warnings...)
	for i := range c.issues {
		d := c.issues[i]
		d.MessageID, d.PatientID, d.SpellID = msgID, out.patientID, out.spellID
		if err := c.tx.RecordDataQuality(&d); err != nil {
			return err
		}
	}
	return nil
}
