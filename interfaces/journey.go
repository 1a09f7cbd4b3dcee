package interfaces

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/nhs"
)

// The inpatient ADT events (A05 pre-admit, A38 cancel pre-admit, A01
// admit, A02 transfer, A03 discharge, A11, A12 and A13 cancellations, A21
// and A22 leave) are applied as the commands the ward clerk's pages use,
// in the transaction that logs the message: the patient part (PID) first,
// as a registration or an update, then the change to the planned
// admission or the spell. The spell is found by the sender's visit number
// (PV1-19), recorded at admission, or else as the patient's current (for
// A13, latest) spell. A planned admission is found by the same visit
// number (or the PV1-5 preadmit number), and an A01 for it admits it.

// pv1Fields says which PV1 field each admission or discharge field the
// inpatient rules check comes from.
var pv1Fields = map[string]int{
	"ward": 3, "bed": 3, "method": 4, "source": 14, "consultant": 7, "admitted_at": 44, "at": 0, "discharged_at": 45,
}

// dischargeFields locates the fields of a discharge.
var dischargeFields = map[string]int{"method": 36, "destination": 37, "discharged_at": 45, "at": 45}

// ackErrList is several located problems with one message.
type ackErrList []hl7.ACKError

func (l ackErrList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Text
	}
	return strings.Join(s, "; ")
}

// errCode is the HL7 error condition code of an OpenCRS error.
func errCode(err error) string {
	switch crs.ErrorCode(err) {
	case crs.ENOTFOUND:
		return hl7.CodeUnknownKey
	case crs.EINVALID:
		return hl7.CodeDataType
	case crs.ECONFLICT:
		return hl7.CodeDuplicateKey
	case crs.EFORBIDDEN, crs.EUNAUTHORIZED:
		return hl7.CodeUnsupportedProcessing
	}
	return hl7.CodeInternal
}

// locate turns the field errors of a refused command into ERR contents
// at the PV1 fields they came from (fields; a field 0 is EVN-6, the time
// the event occurred). Errors of other fields are left as they are.
func locate(err error, fields map[string]int) error {
	if err == nil {
		return nil
	}
	var ae *ackErr
	if errors.As(err, &ae) {
		return err
	}
	var list []*crs.Error
	var es crs.Errors
	var ce *crs.Error
	switch {
	case errors.As(err, &es):
		list = es
	case errors.As(err, &ce):
		list = []*crs.Error{ce}
	default:
		return err
	}
	var out ackErrList
	for _, fe := range list {
		f, ok := fields[fe.Field]
		if !ok {
			return err
		}
		a := hl7.ACKError{Segment: "PV1", Sequence: 1, Field: f, Code: errCode(fe), Severity: hl7.SeverityError, Text: crs.ErrorMessage(fe)}
		if f == 0 {
			a.Segment, a.Field = "EVN", 6
		}
		out = append(out, a)
	}
	return out
}

// journeyPatient applies the PID of a journey event: registered (A01) or
// updated (the others), and returns the outcome for the log.
func journeyPatient(e *Engine, tx crs.Tx, in *inbound, register bool) (outcome, error) {
	if register {
		return registerOrUpdate(tx, in, e)
	}
	return applyUpdate(e, tx, in)
}

// pv1Time reads an HL7 time from path ("" gives the zero time: now).
func (e *Engine) pv1Time(m *hl7.Message, seg string, field int, what string) (time.Time, error) {
	v := m.Get(fmt.Sprintf("%s-%d.1", seg, field))
	if v == "" {
		return time.Time{}, nil
	}
	t, err := hl7.ParseTimeIn(v, e.Zone)
	if err != nil {
		return time.Time{}, fieldErr(seg, field, hl7.CodeDataType, "%s-%d %s %q is not an HL7 date/time", seg, field, what, v)
	}
	return t.UTC(), nil
}

// eventTime is when the event occurred: EVN-6, else now.
func (e *Engine) eventTime(m *hl7.Message) (time.Time, error) {
	return e.pv1Time(m, "EVN", 6, "event occurred time")
}

// visitNumber is PV1-19.1, the sender's number of the visit (spell).
func visitNumber(m *hl7.Message) string { return strings.TrimSpace(m.Get("PV1-19.1")) }

// findSpell finds the spell a journey event is about: by visit number,
// else the patient's open spell (latest spell when latest is set).
func findSpell(tx crs.Tx, in *inbound, patientID string, latest bool) (*crs.Spell, error) {
	if v := visitNumber(in.msg); v != "" {
		sp, err := tx.FindSpellByVisitNumber(patientID, in.iface.SendingFacility, v)
		if err == nil || crs.ErrorCode(err) != crs.ENOTFOUND {
			return sp, err
		}
		// A visit the sender numbered before we kept its numbers: fall
		// back to the patient's spell below.
	}
	var sp *crs.Spell
	var err error
	if latest {
		sp, err = tx.LatestSpell(patientID)
	} else {
		sp, err = tx.CurrentSpell(patientID)
	}
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		what := "is not an inpatient"
		if latest {
			what = "has no spell"
		}
		if v := visitNumber(in.msg); v != "" {
			return nil, fieldErr("PV1", 19, hl7.CodeUnknownKey, "PV1-19 visit number %s names no spell, and the patient %s", v, what)
		}
		return nil, fieldErr("PV1", 19, hl7.CodeUnknownKey, "the patient %s (PV1-19 visit number not given)", what)
	}
	return sp, err
}

// touched completes the outcome of an applied journey event.
func touched(tx crs.Tx, out outcome, sp *crs.Spell) outcome {
	out.status = crs.MessageApplied
	out.spellID = sp.ID
	out.eventID = tx.LastEventID()
	return out
}

// patientClasses maps PV1-2 patient class (HL7 table 0004, and the D
// for day case NHS interfaces send) to the PATIENT CLASSIFICATION;
// Data Dictionary codes 1-5 are taken as they are.
var patientClasses = map[string]string{
	"I": "1", "E": "1", "B": "1", "U": "1", "D": "2", "R": "3",
	"1": "1", "2": "2", "3": "3", "4": "4", "5": "5",
}

// admissionTypes maps PV1-4 admission type (HL7 table 0007) to the
// ADMISSION METHOD; Data Dictionary codes are taken as they are.
var admissionTypes = map[string]string{
	"A": "21", // accident: via the emergency department
	"E": "2D", // emergency, other
	"U": "2D", // urgent
	"C": "11", // elective: from the waiting list
	"R": "11", // routine
	"L": "31", // labour and delivery: maternity ante partum
	"N": "82", // newborn: born in this provider
}

// admitSources maps PV1-14 admit source (HL7 table 0023) to the SOURCE
// OF ADMISSION; Data Dictionary codes are taken as they are.
var admitSources = map[string]string{
	"1": "19", "2": "19", "3": "19", // referrals from home
	"4": "51", // transfer from a hospital
	"5": "85", // from a skilled nursing facility: a care home
	"6": "51", // from another health care facility
	"7": "19", // through the emergency room, from home
	"8": "39", // court or law enforcement
	"9": "99", // not known
}

// dispositions maps PV1-36 discharge disposition (HL7 table 0112) to the
// DISCHARGE METHOD and DISCHARGE DESTINATION.
var dispositions = map[string][2]string{
	"01": {"1", "19"}, "02": {"1", "51"}, "03": {"1", "85"}, "04": {"1", "85"}, "05": {"1", "51"},
	"06": {"1", "19"}, "07": {"2", "19"}, "08": {"1", "19"}, "20": {"4", "79"},
}

// applyAdmit applies A01: the patient is admitted to the ward and bed of
// PV1-3 under the consultant of PV1-7, at PV1-44.
func applyAdmit(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	m := in.msg
	if m.Segment("PV1") == nil {
		return outcome{}, fieldErr("PV1", 0, hl7.CodeSegmentSequence, "the PV1 segment is missing: an admission needs PV1-3 location and PV1-7 consultant")
	}
	out, err := journeyPatient(e, tx, in, true)
	if err != nil {
		return out, err
	}
	pa, _, err := plannedAdmission(tx, in, out.patientID)
	if err != nil {
		return out, err
	}
	if pa != nil && pa.Status != crs.PreadmissionPending {
		pa = nil // admitted or cancelled: this is an admission of its own
	}
	ad := &crs.Admission{PatientID: out.patientID}
	if pa != nil {
		ad.PreadmissionID = pa.ID
	}
	if ad.ConsultantCode, err = in.codes.consultant(m); err != nil {
		return out, err
	}
	if ad.TreatmentFunction, err = in.codes.treatmentFunction(m); err != nil {
		return out, err
	}
	if _, err = in.codes.referrer(m); err != nil {
		return out, err
	}
	class := field(m, "PV1", 2)
	if ad.PatientClass, err = in.codes.patientClass(m); err != nil {
		return out, err
	}
	methodDefault := "99"
	switch {
	case class == "E":
		methodDefault = "21"
	case pa != nil:
		methodDefault = "" // the planned admission's
	}
	if ad.Method, err = in.codes.admissionMethod(m, methodDefault); err != nil {
		return out, err
	}
	if ad.Source, err = in.codes.coded(m, "PV1", 14, crs.MapAdmissionSource, nhs.AdmissionSources, admitSources, "99", "99", "admit source"); err != nil {
		return out, err
	}
	if ad.ConsultantCode == "" && (pa == nil || pa.ConsultantCode == "") {
		if in.iface.Strict {
			return out, fieldErr("PV1", 7, hl7.CodeRequiredFieldMissing, "PV1-7 attending doctor is missing: say which consultant the patient is admitted under")
		}
		ad.ConsultantCode = in.codes.missingConsultant()
	}
	if ad.At, err = e.pv1Time(m, "PV1", 44, "admit date/time"); err != nil {
		return out, err
	}
	if pa == nil || pa.WardID == "" || strings.TrimSpace(m.Get("PV1-3.1")) != "" {
		if ad.WardID, ad.BedID, err = in.codes.place(m, 3); err != nil {
			return out, err
		}
	}
	sp, err := tx.AdmitPatient(ad)
	if err != nil && ad.BedID != "" && in.codes.bedTaken(err, 3) {
		ad.BedID = ""
		sp, err = tx.AdmitPatient(ad)
	}
	if err != nil {
		return out, locate(err, pv1Fields)
	}
	out = touched(tx, out, sp)
	if v := visitNumber(m); v != "" {
		if err := tx.LinkVisitNumber(sp, in.iface.SendingFacility, v); err != nil {
			return out, err
		}
	}
	return out, nil
}

// applyTransfer applies A02: the patient moves to PV1-3 (PV1-6, the
// prior location, is what the sender believed; the record knows it).
func applyTransfer(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	out, err := journeyPatient(e, tx, in, false)
	if err != nil {
		return out, err
	}
	sp, err := findSpell(tx, in, out.patientID, false)
	if err != nil {
		return out, err
	}
	var t crs.Transfer
	if t.At, err = e.eventTime(in.msg); err != nil {
		return out, err
	}
	if t.WardID, t.BedID, err = in.codes.place(in.msg, 3); err != nil {
		return out, err
	}
	err = tx.TransferPatient(sp.ID, t)
	if err != nil && t.BedID != "" && in.codes.bedTaken(err, 3) {
		t.BedID = ""
		err = tx.TransferPatient(sp.ID, t)
	}
	if err != nil {
		return out, locate(err, pv1Fields)
	}
	return touched(tx, out, sp), nil
}

// applyDischarge applies A03: the spell ends at PV1-45, with the
// discharge method and destination of PV1-36 and PV1-37.
func applyDischarge(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	out, err := journeyPatient(e, tx, in, false)
	if err != nil {
		return out, err
	}
	sp, err := findSpell(tx, in, out.patientID, false)
	if err != nil {
		return out, err
	}
	m := in.msg
	d := crs.Discharge{Method: "9", Destination: "99"}
	if err := in.codes.discharge(m, &d); err != nil {
		return out, err
	}
	if d.At, err = e.pv1Time(m, "PV1", 45, "discharge date/time"); err != nil {
		return out, err
	}
	if err := tx.DischargePatient(sp.ID, d); err != nil {
		return out, locate(err, dischargeFields)
	}
	return touched(tx, out, sp), nil
}

// applyCancel applies A11, A12 and A13: the admission, last transfer or
// discharge entered in error is undone.
func applyCancel(trig string) func(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	return func(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
		out, err := journeyPatient(e, tx, in, false)
		if err != nil {
			return out, err
		}
		sp, err := findSpell(tx, in, out.patientID, trig == "A13")
		if err != nil {
			return out, err
		}
		reason := fmt.Sprintf("HL7 ADT^%s %s from %s", trig, in.msg.ControlID(), in.iface.Name)
		switch trig {
		case "A11":
			err = tx.CancelPatientAdmission(sp.ID, reason)
		case "A12":
			err = tx.CancelPatientTransfer(sp.ID, reason)
		case "A13":
			err = tx.CancelPatientDischarge(sp.ID, reason)
		}
		if err != nil {
			return out, err
		}
		return touched(tx, out, sp), nil
	}
}

// applyLeave applies A21 (leave of absence starts) and A22 (the patient
// returns), at EVN-6.
func applyLeave(start bool) func(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	return func(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
		out, err := journeyPatient(e, tx, in, false)
		if err != nil {
			return out, err
		}
		sp, err := findSpell(tx, in, out.patientID, false)
		if err != nil {
			return out, err
		}
		at, err := e.eventTime(in.msg)
		if err != nil {
			return out, err
		}
		if start {
			err = tx.StartPatientLeave(sp.ID, at)
		} else {
			err = tx.EndPatientLeave(sp.ID, at)
		}
		if err != nil {
			return out, locate(err, pv1Fields)
		}
		return touched(tx, out, sp), nil
	}
}

// preadmitFields says which PV1 field each field of a planned admission
// the rules check comes from.
var preadmitFields = map[string]int{
	"method": 4, "patient_class": 2, "consultant": 7, "treatment_function": 10, "ward": 3, "visit_number": 19,
}

// preadmitKey is the number a message gives its planned admission: the
// visit number (PV1-19), or else the preadmit number (PV1-5); field says
// which (0 when neither is given).
func preadmitKey(m *hl7.Message) (key string, field int) {
	if v := visitNumber(m); v != "" {
		return v, 19
	}
	if v := strings.TrimSpace(m.Get("PV1-5.1")); v != "" {
		return v, 5
	}
	return "", 0
}

// plannedAdmission finds the patient's planned admission the message's
// visit (or preadmit) number names, of any status; nil when it names none
// or gives no number.
func plannedAdmission(tx crs.Tx, in *inbound, patientID string) (*crs.Preadmission, int, error) {
	key, field := preadmitKey(in.msg)
	if key == "" {
		return nil, 0, nil
	}
	p, err := tx.FindPreadmissionByVisit(patientID, in.iface.SendingFacility, key)
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return nil, field, nil
	}
	return p, field, err
}

// applyPreadmit applies A05: the patient (PID) is registered or updated
// and their planned admission recorded: expected at PV2-8, on the ward
// of PV1-3, under the consultant of PV1-7, with the admission type of
// PV1-4 and the treatment function of PV1-10. An A05 again for the same
// visit number changes the pending planned admission. A ward code the
// trust does not have is kept as given, with a warning: the pre-admission
// is on the record, and the ward is chosen at admission.
func applyPreadmit(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	m := in.msg
	if m.Segment("PV1") == nil {
		return outcome{}, fieldErr("PV1", 0, hl7.CodeSegmentSequence, "the PV1 segment is missing: a pre-admission needs PV1 (PV1-19 visit number, PV1-3 ward, PV1-7 consultant)")
	}
	out, err := journeyPatient(e, tx, in, true)
	if err != nil {
		return out, err
	}
	p := &crs.Preadmission{PatientID: out.patientID, WardCode: strings.TrimSpace(m.Get("PV1-3.1"))}
	if to, ok, err := in.codes.mapped(crs.MapLocation, field(m, "PV1", 3)); err != nil {
		return out, err
	} else if ok {
		p.WardCode, _, _ = strings.Cut(to, "^")
	}
	if p.ConsultantCode, err = in.codes.consultant(m); err != nil {
		return out, err
	}
	if p.TreatmentFunction, err = in.codes.treatmentFunction(m); err != nil {
		return out, err
	}
	if _, err = in.codes.referrer(m); err != nil {
		return out, err
	}
	p.SourceVisit, _ = preadmitKey(m)
	if p.SourceVisit != "" {
		p.SourceFacility = in.iface.SendingFacility
	}
	switch class := strings.ToUpper(strings.TrimSpace(m.Get("PV1-2.1"))); class {
	case "", "P": // preadmit: the class is known at admission
	default:
		if p.PatientClass, err = in.codes.patientClass(m); err != nil {
			return out, err
		}
	}
	if p.AdmissionMethod, err = in.codes.admissionMethod(m, ""); err != nil {
		return out, err
	}
	if v := strings.TrimSpace(m.Get("PV2-8.1")); v != "" {
		t, err := hl7.ParseTimeIn(v, e.Zone)
		if err != nil {
			return out, fieldErr("PV2", 8, hl7.CodeDataType, "PV2-8 expected admit date/time %q is not an HL7 date/time", v)
		}
		if len(v) <= 8 {
			p.ExpectedOn = crs.NewDate(t.Date())
		} else {
			p.ExpectedAt = t.UTC()
		}
	}
	prev, field, err := plannedAdmission(tx, in, out.patientID)
	if err != nil {
		return out, err
	}
	switch {
	case prev != nil && prev.Status == crs.PreadmissionAdmitted:
		return out, fieldErr("PV1", field, hl7.CodeDuplicateKey, "PV1-%d visit number %s: the patient was already admitted for it (visit %s); send A08 to change the admission", field, p.SourceVisit, prev.VisitNumber)
	case prev != nil && prev.Status == crs.PreadmissionPending:
		p.ID, p.EntryID = prev.ID, prev.EntryID
		if prev.SourceVisit != "" {
			p.SourceVisit, p.SourceFacility = prev.SourceVisit, prev.SourceFacility
		}
		err = tx.UpdatePreadmission(p)
	default: // none yet, or cancelled: a planned admission of its own
		err = tx.RecordPreadmission(p)
	}
	if err != nil {
		return out, locate(err, preadmitFields)
	}
	out.status, out.eventID = crs.MessageApplied, tx.LastEventID()
	if p.WardCode != "" && p.WardID == "" {
		out.warnings = append(out.warnings, hl7.ACKError{Segment: "PV1", Sequence: 1, Field: 3, Code: hl7.CodeUnknownKey, Severity: hl7.SeverityWarning,
			Text: fmt.Sprintf("PV1-3 ward code %s is not a ward of this trust: the pre-admission is recorded with the code as given, and the ward is chosen at admission", p.WardCode)})
	}
	return out, nil
}

// applyCancelPreadmit applies A38: the pending planned admission PV1-19
// (or PV1-5) names is cancelled; without a number, the patient's only
// pending one. EVN-4, the event reason, is kept with the reason.
func applyCancelPreadmit(e *Engine, tx crs.Tx, in *inbound) (outcome, error) {
	out, err := journeyPatient(e, tx, in, false)
	if err != nil {
		return out, err
	}
	m := in.msg
	p, field, err := plannedAdmission(tx, in, out.patientID)
	if err != nil {
		return out, err
	}
	key, _ := preadmitKey(m)
	switch {
	case key != "" && p == nil:
		return out, fieldErr("PV1", field, hl7.CodeUnknownKey, "PV1-%d visit number %s names no pre-admission of this patient: there is nothing to cancel", field, key)
	case p != nil && p.Status == crs.PreadmissionCancelled:
		return out, fieldErr("PV1", field, hl7.CodeUnknownKey, "PV1-%d visit number %s: the pre-admission (visit %s) is already cancelled", field, key, p.VisitNumber)
	case p != nil && p.Status == crs.PreadmissionAdmitted:
		return out, fieldErr("PV1", field, hl7.CodeUnknownKey, "PV1-%d visit number %s: the patient has been admitted (visit %s), so the pre-admission cannot be cancelled; send A11 to cancel the admission", field, key, p.VisitNumber)
	case key == "":
		pending, err := tx.PendingPreadmissions(out.patientID)
		if err != nil {
			return out, err
		}
		switch len(pending) {
		case 0:
			return out, fieldErr("PV1", 19, hl7.CodeUnknownKey, "PV1-19 visit number not given, and the patient has no pending pre-admission to cancel")
		case 1:
			p = pending[0]
		default:
			return out, fieldErr("PV1", 19, hl7.CodeRequiredFieldMissing, "PV1-19 visit number not given, and the patient has %d pending pre-admissions: say which to cancel", len(pending))
		}
	}
	reason := fmt.Sprintf("HL7 ADT^A38 %s from %s", m.ControlID(), in.iface.Name)
	if why := strings.TrimSpace(m.Get("EVN-4.1")); why != "" {
		reason += " (event reason " + why + ")"
	}
	if err := tx.CancelPreadmission(p.ID, reason); err != nil {
		return out, err
	}
	out.status, out.eventID = crs.MessageApplied, tx.LastEventID()
	return out, nil
}
