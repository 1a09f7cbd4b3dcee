package interfaces

import (
	"fmt"
	"slices"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/nhs"
)

// identifiers are the patient identifiers a PID-3 or MRG-1 holds.
type identifiers struct {
	NHS   string // validated, 10 digits
	MRN   string // the trust's hospital number
	Local string // the sender's own patient number (Interface.LocalIDs)
	// System is the sender, MSH-3@MSH-4 of its interface: whose number Local is.
	System string
	// warnings say what was not taken: an NHS number failing its check
	// digit is never stored as one.
	warnings []hl7.ACKError
	// badNHS is why an NHS number was not taken, for the error when no
	// other identifier is usable.
	badNHS string
}

func (ids identifiers) empty() bool { return ids.NHS == "" && ids.MRN == "" && ids.Local == "" }

// readIdentifiers reads the identifiers of the repetitions of a CX field
// such as PID-3 or MRG-1, by the interface's conventions:
//
//   - the NHS number, marked as UK feeds do (^^^NHS^NH, NHS^NHS,
//     NHSNBR^NHSNMBR, the NHS number OID as authority) or as the
//     interface says (NHSIDs); one failing the Modulus 11 check is not
//     taken, with a warning;
//   - the sender's own patient number (LocalIDs), its cross-reference;
//   - the trust's hospital number: type MR, PI, PT or none, assigned by
//     the trust or by no one.
//
// An NHS number that fails its check is an error only when the field
// holds nothing else usable.
func readIdentifiers(m *hl7.Message, seg string, field int, i *crs.InboundInterface) (identifiers, error) {
	ids := identifiers{System: i.Sender()}
	path := fmt.Sprintf("%s-%d", seg, field)
	n := m.Count(path)
	for r := 1; r <= n; r++ {
		p := fmt.Sprintf("%s[%d]", path, r)
		id := strings.TrimSpace(m.Get(p + ".1"))
		if id == "" || id == nullValue {
			continue
		}
		auth := []string{strings.ToUpper(m.Get(p + ".4.1")), m.Get(p + ".4.2")}
		typ := strings.ToUpper(m.Get(p + ".5"))
		switch {
		case crs.IsNHSNumberID(auth, typ, i.NHSIDs):
			num, err := nhs.ParseNumber(id)
			if err != nil {
				text := fmt.Sprintf("%s NHS number %s %s: it is not stored as the patient's NHS number", path, id, err)
				ids.warnings = append(ids.warnings, hl7.ACKError{Segment: seg, Sequence: 1, Field: field, Code: hl7.CodeDataType, Severity: hl7.SeverityWarning, Text: text})
				if ids.badNHS == "" {
					ids.badNHS = fmt.Sprintf("%s NHS number %s %s", path, id, err)
				}
				continue
			}
			if ids.NHS == "" {
				ids.NHS = num
			}
		case isLocalID(auth, typ, i.LocalIDs):
			if ids.Local == "" {
				ids.Local = strings.ToUpper(id)
			}
		case (typ == "MR" || typ == "PI" || typ == "PT" || typ == "") && (auth[0] == "" || auth[0] == i.OrgODS):
			if ids.MRN == "" {
				ids.MRN = strings.ToUpper(id)
			}
		}
	}
	if ids.empty() && ids.badNHS != "" {
		return ids, fieldErr(seg, field, hl7.CodeDataType, "%s", ids.badNHS)
	}
	return ids, nil
}

// isLocalID reports whether an identifier follows one of the sender's
// conventions for its own patient number.
func isLocalID(auth []string, typ string, cs []crs.IDConvention) bool {
	for _, c := range cs {
		if c.Matches(auth, typ) {
			return true
		}
	}
	return false
}

// peekIdentifiers reads what identifiers it can for the log of a
// refused message.
func peekIdentifiers(m *hl7.Message, i *crs.InboundInterface) (nhsNumber, mrn string) {
	ids, _ := readIdentifiers(m, "PID", 3, i)
	return ids.NHS, ids.MRN
}

// pid3 is a message's PID-3 read by patientIDs before its command is
// queued (see inbound.pid3).
type pid3 struct {
	ids identifiers
	err error
}

// readPID3 reads a message's PID-3 ahead of its command.
func readPID3(m *hl7.Message, i *crs.InboundInterface) *pid3 {
	ids, err := patientIDs(m, i)
	return &pid3{ids, err}
}

// patientIDs is patientIDs of the message, as read ahead when it was.
// The warnings are the command's own: a command run again, or a
// registration that keeps the sender's number, appends to a copy.
func (in *inbound) patientIDs() (identifiers, error) {
	if in.pid3 == nil {
		return patientIDs(in.msg, in.iface)
	}
	ids := in.pid3.ids
	ids.warnings = slices.Clip(ids.warnings)
	return ids, in.pid3.err
}

// patientIDs reads PID-3, requiring at least one usable identifier.
func patientIDs(m *hl7.Message, i *crs.InboundInterface) (identifiers, error) {
	if m.Segment("PID") == nil {
		return identifiers{}, fieldErr("PID", 0, hl7.CodeSegmentSequence, "the PID segment is missing")
	}
	ids, err := readIdentifiers(m, "PID", 3, i)
	if err != nil {
		return ids, err
	}
	if ids.empty() {
		ods := i.OrgODS
		return ids, fieldErr("PID", 3, hl7.CodeRequiredFieldMissing,
			"PID-3 holds no NHS number (id^^^NHS^NH) or hospital number of trust %s (id^^^%s^MR)%s%s", ods, ods, localHint(i), heldConventions(m))
	}
	return ids, nil
}

// heldConventions says which AUTHORITY^TYPE the identifiers of PID-3
// carry, for the analyst to configure (--nhs-id, --local-id).
func heldConventions(m *hl7.Message) string {
	var seen []string
	for r := 1; r <= m.Count("PID-3"); r++ {
		p := fmt.Sprintf("PID-3[%d]", r)
		if strings.TrimSpace(m.Get(p+".1")) == "" {
			continue
		}
		auth := m.Get(p + ".4.1")
		if auth == "" {
			auth = m.Get(p + ".4.2")
		}
		c := auth + "^" + m.Get(p+".5")
		if c != "^" && !slices.Contains(seen, c) {
			seen = append(seen, c)
		}
	}
	if len(seen) == 0 {
		return ""
	}
	return "; it holds identifiers marked " + strings.Join(seen, ", ") + ": configure the interface's --nhs-id or --local-id for them"
}

// localHint says which conventions of the sender's own number were looked for.
func localHint(i *crs.InboundInterface) string {
	if len(i.LocalIDs) == 0 {
		return ""
	}
	var cs []string
	for _, c := range i.LocalIDs {
		cs = append(cs, c.String())
	}
	return " or a patient number of the sender (" + strings.Join(cs, ", ") + ")"
}

// namedPatient finds the existing patient PID-3 names; an unknown patient
// is a content error at PID-3.
func namedPatient(tx crs.Tx, in *inbound) (*crs.Patient, identifiers, error) {
	ids, err := in.patientIDs()
	if err != nil {
		return nil, ids, err
	}
	p, err := findPatient(tx, ids, false)
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		switch in.iface.UnknownPatient {
		case crs.UnknownPatientHold:
			return nil, ids, holdFor("PID", 3, "patient", patientKey(ids), "unknown patient: %s; interface %s holds the messages of patients not yet known: register the patient and reprocess",
				crs.ErrorMessage(err), in.iface.Name)
		case crs.UnknownPatientRegister:
			p, err := registerNew(tx, in, &ids)
			return p, ids, err
		}
		return nil, ids, fieldErr("PID", 3, hl7.CodeUnknownKey, "unknown patient: %s", crs.ErrorMessage(err))
	} else if err != nil {
		return nil, ids, err
	}
	return p, ids, keepXref(tx, &ids, p.ID)
}

// patientKey is the identifier a hold for an unknown patient names.
func patientKey(ids identifiers) string {
	switch {
	case ids.NHS != "":
		return "NHS " + ids.NHS
	case ids.MRN != "":
		return "MRN " + ids.MRN
	}
	return ids.System + " " + ids.Local
}

// registerNew registers the patient a message's PID and PD1 describe,
// as an interface set to register unknown patients does: after the
// duplicate check, so a likely duplicate of a patient already known is
// held for a clerk to resolve, never guessed. A message an analyst
// reprocesses after the clerk decided (in.newPatient) skips the check.
func registerNew(tx crs.Tx, in *inbound, ids *identifiers) (*crs.Patient, error) {
	p := &crs.Patient{MRN: ids.MRN}
	if err := readPID(in.msg, p, *ids, in.engine.Zone, in.codes); err != nil {
		return nil, err
	}
	if in.iface.UnknownPatient == crs.UnknownPatientRegister && !in.newPatient {
		dups, err := tx.LikelyDuplicates(p)
		if err != nil {
			return nil, err
		}
		if len(dups) > 0 {
			d := dups[0].Patient
			return nil, holdFor("PID", 3, "duplicate", patientKey(*ids), "the patient is not known by PID-3 but is likely the same person as hospital number %s (%s): held for a clerk to resolve; reprocess the message to register a new patient once they have decided",
				d.MRN, strings.Join(dups[0].Reasons, ", "))
		}
	}
	if err := tx.InsertPatient(p); err != nil {
		return nil, err
	}
	return p, keepXref(tx, ids, p.ID)
}

// keepXref keeps the sender's own number for the patient as a
// cross-reference, so its later messages find them by it alone. A
// number that already names another patient is left there, with a
// warning for the interface analyst: the message is still applied to the
// patient its other identifiers name.
func keepXref(tx crs.Tx, ids *identifiers, patientID string) error {
	if ids.Local == "" {
		return nil
	}
	err := tx.LinkPatientXref(patientID, ids.System, ids.Local)
	if crs.ErrorCode(err) == crs.ECONFLICT {
		ids.warnings = append(ids.warnings, hl7.ACKError{Segment: "PID", Sequence: 1, Field: 3, Code: hl7.CodeDuplicateKey, Severity: hl7.SeverityWarning,
			Text: "PID-3 " + crs.ErrorMessage(err) + ": it is not linked to this patient"})
		return nil
	}
	return err
}
