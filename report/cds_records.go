package report

import (
	"context"
	"fmt"
	"strconv"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// The records of each CDS type: read, checked against the rules of the
// NHS Data Dictionary, and written as the record's element. A record that
// breaks a rule is listed in the result's rejects and not written.

func nhsValid(n string) bool { return nhs.ValidNumber(n) }

// add finishes a record of the period: unless rules were broken, its
// element, written by body, is sent when the extract is a bulk
// replacement or the record is not yet sent as it is now. The element is
// written in the extract's scratch buffer and from there in its message.
func (ex *extract) add(rj *rejects, activity crs.Date, element string, body func(x *xmlw)) error {
	ex.res.Records++
	before, wasSent := ex.sent[rj.uid]
	delete(ex.sent, rj.uid) // a rejected record is not deleted either: it is to be fixed
	if rj.n > 0 {
		return nil
	}
	b := &ex.scratch
	b.Reset()
	x := xmlw{b: b, open: make([]string, 0, 8)}
	x.start(element)
	body(&x)
	x.end()
	sum := checksum(b.Bytes())
	if !ex.o.Bulk && wasSent && !before.Deleted && before.Checksum == sum {
		ex.res.Unchanged++
		return nil
	}
	iw := ex.interchange()
	iw.message(cdsRecord{uid: rj.uid, activity: activity, body: b.Bytes()}, false)
	ex.record = append(ex.record, crs.CDSSent{UniqueID: rj.uid, ActivityDate: activity, Checksum: sum})
	ex.res.Sent++
	if ex.o.Progress != nil && ex.res.Sent%1000 == 0 {
		ex.o.Progress(ex.res.Sent)
	}
	return iw.err
}

// rejects starts the rule checks of the record uid, which describe says
// what it is.
func (ex *extract) rejects(id string, describe func() string) *rejects {
	return &rejects{res: ex.res, uid: uniqueID(ex.t, id), describe: describe}
}

// checkCode checks a code is one of its Data Dictionary list.
func checkCode(rj *rejects, field, name, code string, list []nhs.Code, required bool) {
	if code == "" {
		if required {
			rj.add(field, "%s is required", name)
		}
		return
	}
	if _, ok := nhs.Lookup(list, code); !ok {
		rj.add(field, "%q is not a %s code", code, name)
	}
}

func emergencyCareRecords(ctx context.Context, src crs.CDSSource, a crs.Actor, ex *extract) error {
	o := ex.o
	return src.EmergencyCareRecords(ctx, a, o.From, o.To, func(row *crs.CDSEmergencyCareRecord) error {
		e, p := row.Attendance, row.Patient
		day := dayOf(e.ArrivedAt)
		rj := ex.rejects(e.ID, func() string {
			return fmt.Sprintf("A&E attendance %s %s, MRN %s", localDay(e.ArrivedAt), localTime(e.ArrivedAt)[:5], p.MRN)
		})
		checkPatient(rj, p, day)
		if err := nhs.CheckEDDepartmentType(row.DepartmentType); err != nil {
			rj.add("EmergencyCareDepartmentType", "the trust's emergency department has no EMERGENCY CARE DEPARTMENT TYPE in use (01-03): %v", err)
		}
		checkCode(rj, "EmergencyCareArrivalMode_SnomedCt", "EMERGENCY CARE ARRIVAL MODE", e.ArrivalMode, nhs.ArrivalModes, true)
		checkCode(rj, "EmergencyCareAttendanceCategory", "EMERGENCY CARE ATTENDANCE CATEGORY", e.AttendanceCategory, nhs.EDAttendanceCategories, true)
		checkCode(rj, "EmergencyCareChiefComplaint_SnomedCt", "EMERGENCY CARE CHIEF COMPLAINT", e.ChiefComplaint, nhs.EDChiefComplaints, false)
		checkCode(rj, "EmergencyCareAcuity_SnomedCt", "EMERGENCY CARE ACUITY", e.Acuity, nhs.EDAcuities, false)
		if e.Status == crs.EDDeparted {
			checkCode(rj, "EmergencyCareDischargeStatus_SnomedCt", "EMERGENCY CARE DISCHARGE STATUS", e.DischargeStatus, nhs.EDDischargeStatuses, true)
			checkCode(rj, "EmergencyCareDischargeDestination_SnomedCt", "EMERGENCY CARE DISCHARGE DESTINATION", e.DischargeDestination, nhs.EDDischargeDestinations, e.Departure != crs.EDLeft)
		}
		if !e.SeenAt.IsZero() && e.SeenAt.Before(e.ArrivedAt) {
			rj.add("EmergencyCareTimeSeenForTreatment", "the time seen for treatment is before the arrival")
		}
		if !e.DepartedAt.IsZero() && e.DepartedAt.Before(e.ArrivedAt) {
			rj.add("EmergencyCareDepartureTime", "the departure is before the arrival")
		}
		return ex.add(rj, day, ex.t.element, func(x *xmlw) {
			x.start("PersonGroupPatient")
			x.start("PatientIdentity")
			ecPatientIdentity(x, p, o.Provider)
			x.end()
			if p.Gender != "" || p.EthnicCategory != "" {
				x.start("PatientCharacteristics_EmergencyCare")
				x.leaf("PersonStatedGenderCode", p.Gender)
				x.leaf("EthnicCategory", p.EthnicCategory)
				x.end()
			}
			x.end()
			gpRegistration(x, p)
			x.start("EmergencyCareAttendanceLocation")
			x.leaf("OrganisationSiteIdentifier_OfTreatment", o.Site)
			x.leaf("EmergencyCareDepartmentType", row.DepartmentType)
			x.end()
			x.start("AttendanceOccurrence")
			x.start("EmergencyCareAttendanceActivityCharacteristics")
			x.leaf("EmergencyCareAttendanceIdentifier", shortID(e.ID))
			x.leaf("EmergencyCareArrivalMode_SnomedCt", e.ArrivalMode)
			x.leaf("EmergencyCareAttendanceCategory", e.AttendanceCategory)
			x.leaf("EmergencyCareArrivalDate", localDay(e.ArrivedAt))
			x.leaf("EmergencyCareArrivalTime", localTime(e.ArrivedAt))
			x.leaf("AgeAtCdsActivityDate", strconv.Itoa(ageAt(p.BirthDate, day)))
			if !e.TriagedAt.IsZero() {
				x.leaf("EmergencyCareInitialAssessmentDate", localDay(e.TriagedAt))
				x.leaf("EmergencyCareInitialAssessmentTime", localTime(e.TriagedAt))
			}
			x.leaf("EmergencyCareAcuity_SnomedCt", e.Acuity)
			x.leaf("EmergencyCareChiefComplaint_SnomedCt", e.ChiefComplaint)
			if !e.SeenAt.IsZero() {
				x.leaf("EmergencyCareDateSeenForTreatment", localDay(e.SeenAt))
				x.leaf("EmergencyCareTimeSeenForTreatment", localTime(e.SeenAt))
			}
			x.end()
			x.start("ServiceAgreementDetails")
			x.leaf("OrganisationIdentifier_CodeOfProvider", o.Provider)
			x.leaf("OrganisationIdentifier_CodeOfCommissioner", o.Commissioner)
			x.end()
			if !e.DecisionToAdmitAt.IsZero() || e.Status == crs.EDDeparted {
				x.start("DischargeFromEmergencyCare")
				if !e.DecisionToAdmitAt.IsZero() {
					x.leaf("DecidedToAdmitDate", localDay(e.DecisionToAdmitAt))
					x.leaf("DecidedToAdmitTime", localTime(e.DecisionToAdmitAt))
					x.leaf("ActivityTreatmentFunctionCode_DecisionToAdmit", e.AdmitSpecialty)
				}
				x.leaf("EmergencyCareDischargeStatus_SnomedCt", e.DischargeStatus)
				if !e.DepartedAt.IsZero() {
					x.leaf("EmergencyCareAttendanceConclusionDate", localDay(e.DepartedAt))
					x.leaf("EmergencyCareAttendanceConclusionTime", localTime(e.DepartedAt))
					x.leaf("EmergencyCareDepartureDate", localDay(e.DepartedAt))
					x.leaf("EmergencyCareDepartureTime", localTime(e.DepartedAt))
				}
				x.leaf("EmergencyCareDischargeDestination_SnomedCt", e.DischargeDestination)
				x.end()
			}
			x.end()
		})
	})
}

// ecPatientIdentity writes the patient's identity as the emergency care
// type carries it: verified (NHS number status 01) or unverified.
func ecPatientIdentity(x *xmlw, p crs.CDSPatient, provider string) {
	local := func() {
		x.start("LocalIdentifierStructure")
		x.leaf("LocalPatientIdentifier_Extended", p.MRN)
		x.leaf("OrganisationIdentifier_LocalPatientIdentifier", provider)
		x.end()
	}
	if p.NHSNumberStatus == nhs.NumberVerified {
		x.start("VerifiedIdentity_Structure", "NHSNumberStatusIndicatorCode", string(p.NHSNumberStatus))
		local()
		x.start("DataElementStructure")
		x.leaf("NHSNumber", p.NHSNumber)
		x.leaf("NHSNumberStatusIndicatorCode", string(p.NHSNumberStatus))
		x.leaf("PostcodeOfUsualAddress", p.Postcode)
		x.leaf("PersonBirthDate", p.BirthDate.String())
		x.end()
		x.end()
		return
	}
	x.start("UnverifiedIdentity_Structure", "NHSNumberStatusIndicatorCode", string(p.NHSNumberStatus))
	local()
	x.start("DataElementStructure")
	x.leaf("NHSNumber", p.NHSNumber)
	x.leaf("NHSNumberStatusIndicatorCode", string(p.NHSNumberStatus))
	x.end()
	x.start("DataElementStructure2")
	x.leaf("PostcodeOfUsualAddress", p.Postcode)
	x.leaf("PersonBirthDate", p.BirthDate.String())
	x.end()
	x.end()
}

// gpRegistration writes the patient's GP practice, when it has the six
// characters of a practice code.
func gpRegistration(x *xmlw, p crs.CDSPatient) {
	if len(p.GPPracticeCode) != 6 {
		return
	}
	x.start("GPRegistration")
	x.leaf("GeneralPractice_PatientRegistration", p.GPPracticeCode)
	x.end()
}

// patientIdentity writes the patient's identity in the general
// structure the outpatient and admitted patient care types share.
func patientIdentity(x *xmlw, p crs.CDSPatient, provider string) {
	x.start("PatientIdentity_General_Structure")
	if p.NHSNumberStatus == nhs.NumberVerified {
		x.start("VerifiedIdentity_Structure", "NHSNumberStatusIndicatorCode", string(p.NHSNumberStatus))
	} else {
		x.start("UnverifiedIdentity_Structure", "NHSNumberStatusIndicatorCode", string(p.NHSNumberStatus))
	}
	x.leaf("LocalPatientIdentifier", p.MRN)
	x.leaf("OrganisationCode_LocalPatientIdentifier", provider)
	x.leaf("NHSNumber", p.NHSNumber)
	x.leaf("NHSNumberStatusIndicatorCode", string(p.NHSNumberStatus))
	x.leaf("PostcodeOfUsualAddress", p.Postcode)
	x.leaf("PersonBirthDate", p.BirthDate.String())
	x.end()
	x.end()
}

// patientPathway writes the patient pathway data of a record.
func patientPathway(x *xmlw, pw *crs.CDSPathway) {
	if pw == nil {
		return
	}
	x.start("PatientPathway")
	x.start("PatientPathwayIdentity")
	if pw.PPIIssuer == "e-RS" {
		x.leaf("UniqueBookingReferenceNumber_Converted", pw.PPI)
		x.leaf("OrganisationCode_PatientPathwayIdentifierIssuer", "RRE") // NHS e-Referral Service
	} else {
		x.leaf("PatientPathwayIdentifier", ppi(pw.PPI))
		x.leaf("OrganisationCode_PatientPathwayIdentifierIssuer", pw.PPIIssuer)
	}
	x.end()
	x.start("RTTPeriodCharacteristics")
	x.leaf("ReferralToTreatmentPeriod_Status", pw.Status)
	x.leaf("WaitingTimeMeasurementType", pw.Measurement)
	if !pw.Start.IsZero() {
		x.leaf("ReferralToTreatmentPeriod_StartDate", pw.Start.String())
	}
	if !pw.End.IsZero() {
		x.leaf("ReferralToTreatmentPeriod_EndDate", pw.End.String())
	}
	x.end()
	x.end()
}

// checkPathway checks the patient pathway data.
func checkPathway(rj *rejects, pw *crs.CDSPathway) {
	if pw == nil {
		return
	}
	if pw.PPIIssuer == "e-RS" {
		if len(pw.PPI) != 12 || !allDigits(pw.PPI) {
			rj.add("UniqueBookingReferenceNumber_Converted", "UBRN %q is not 12 digits", pw.PPI)
		}
	} else if pw.PPI == "" || len(pw.PPI) > 20 {
		rj.add("PatientPathwayIdentifier", "PATIENT PATHWAY IDENTIFIER %q is not 1 to 20 characters", pw.PPI)
	}
	if n := len(pw.PPIIssuer); pw.PPIIssuer != "e-RS" && (n < 3 || n > 12) {
		rj.add("OrganisationCode_PatientPathwayIdentifierIssuer", "the issuer %q is not an organisation code", pw.PPIIssuer)
	}
	if _, ok := nhs.Lookup(rttStatuses, pw.Status); !ok {
		rj.add("ReferralToTreatmentPeriod_Status", "REFERRAL TO TREATMENT PERIOD STATUS %q is not a national code", pw.Status)
	}
	if !pw.End.IsZero() && pw.End.Before(pw.Start.Time) {
		rj.add("ReferralToTreatmentPeriod_EndDate", "the RTT period ends %s, before it starts %s", pw.End, pw.Start)
	}
}

// rttStatuses are the national REFERRAL TO TREATMENT PERIOD STATUS codes.
var rttStatuses = func() []nhs.Code {
	var out []nhs.Code
	for _, c := range []string{"10", "11", "12", "20", "21", "30", "31", "32", "33", "34", "35", "36", "90", "91", "92", "98", "99"} {
		out = append(out, nhs.Code{Code: c, Description: c})
	}
	return out
}()

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// attendedCode is the ATTENDED OR DID NOT ATTEND code of an appointment.
func attendedCode(o *crs.CDSOutpatientRecord) string {
	switch o.Status {
	case crs.AppointmentAttended:
		return "5"
	case crs.AppointmentDNA:
		return "3"
	case crs.AppointmentCancelled:
		if o.CancelledBy == crs.CancelledByPatient {
			return "2"
		}
		return "4"
	}
	return ""
}

func outpatientRecords(ctx context.Context, src crs.CDSSource, a crs.Actor, ex *extract) error {
	o := ex.o
	return src.OutpatientRecords(ctx, a, o.From, o.To, func(row *crs.CDSOutpatientRecord) error {
		p := row.Patient
		day := dayOf(row.At)
		rj := ex.rejects(row.AppointmentID, func() string {
			return fmt.Sprintf("outpatient appointment %s %s clinic %s, MRN %s", localDay(row.At), localTime(row.At)[:5], row.ClinicCode, p.MRN)
		})
		checkPatient(rj, p, day)
		checkPathway(rj, row.Pathway)
		checkCode(rj, "ActivityTreatmentFunctionCode", "ACTIVITY TREATMENT FUNCTION", row.TreatmentFunction, nhs.TreatmentFunctions, true)
		checkCode(rj, "CareProfessionalMainSpecialtyCode", "MAIN SPECIALTY", row.Specialty, nhs.MainSpecialties, false)
		checkCode(rj, "PriorityTypeCode", "PRIORITY TYPE", row.Priority, nhs.PriorityTypes, false)
		checkCode(rj, "SourceOfReferralForOut_Patients", "SOURCE OF REFERRAL FOR OUT-PATIENTS", row.ReferralSource, nhs.ReferralSources, false)
		if !crs.ValidConsultantCode(row.ConsultantCode) {
			rj.add("ConsultantCode", "CONSULTANT CODE %q is not 8 characters", row.ConsultantCode)
		}
		attended := attendedCode(row)
		return ex.add(rj, day, ex.t.element, func(x *xmlw) {
			patientPathway(x, row.Pathway)
			x.start("PersonGroupPatient")
			patientIdentity(x, p, o.Provider)
			characteristics(x, "PatientCharacteristics_CareActivity_Structure", p)
			x.end()
			gpRegistration(x, p)
			x.start("CareEpisode")
			consultant(x, row.ConsultantCode, row.Specialty, row.TreatmentFunction)
			x.end()
			x.start("CareAttendance")
			x.start("ActivityCharacteristics")
			x.leaf("AttendanceIdentifier", shortID(row.AppointmentID))
			x.leaf("AdministrativeCategoryCode", "01") // NHS patient
			x.leaf("AttendedOrDidNotAttendCode", attended)
			if row.Kind == crs.SlotFollowUp {
				x.leaf("FirstAttendanceCode", "2")
			} else {
				x.leaf("FirstAttendanceCode", "1")
			}
			if attended == "5" {
				x.leaf("OutcomeOfAttendanceCode", crs.AttendanceOutcome(row.NextStep))
			}
			x.leaf("AppointmentDate", localDay(row.At))
			x.leaf("AppointmentTime", localTime(row.At))
			x.leaf("AgeAtCDSActivityDate", strconv.Itoa(ageAt(p.BirthDate, day)))
			x.end()
			serviceAgreement(x, o)
			x.start("AttendanceLocationGroup")
			x.leaf("SiteCodeOfTreatment", o.Site)
			x.leaf("ClinicCode", row.ClinicCode)
			x.end()
			x.end()
			x.start("OutpatientReferral")
			x.start("ActivityCharacteristics")
			x.leaf("PriorityTypeCode", row.Priority)
			x.leaf("SourceOfReferralForOut_Patients", row.ReferralSource)
			if !row.ReferralReceived.IsZero() {
				x.leaf("ReferralRequestReceivedDate", row.ReferralReceived.String())
			}
			x.end()
			if len(row.ReferrerCode) == 8 || len(row.ReferrerOrg) >= 3 {
				x.start("Referrer")
				if len(row.ReferrerCode) == 8 {
					x.leaf("ReferrerCode", row.ReferrerCode)
				}
				if n := len(row.ReferrerOrg); n >= 3 && n <= 12 {
					x.leaf("ReferringOrganisationCode", row.ReferrerOrg)
				}
				x.end()
			}
			x.end()
		})
	})
}

// characteristics writes the patient's gender and ethnic category in the
// element the type names.
func characteristics(x *xmlw, element string, p crs.CDSPatient) {
	if p.Gender == "" && p.EthnicCategory == "" {
		return
	}
	x.start(element)
	gender := p.Gender
	if gender == "X" {
		gender = "0" // PERSON GENDER CODE CURRENT has 0 for not known
	}
	x.leaf("PersonGenderCodeCurrent", gender)
	x.leaf("EthnicCategory", p.EthnicCategory)
	x.end()
}

func consultant(x *xmlw, code, specialty, function string) {
	x.start("PersonGroup_Consultant")
	x.leaf("ConsultantCode", code)
	x.leaf("CareProfessionalMainSpecialtyCode", specialty)
	x.leaf("ActivityTreatmentFunctionCode", function)
	x.end()
}

func serviceAgreement(x *xmlw, o CDSOptions) {
	x.start("ServiceAgreementDetails")
	x.leaf("OrganisationCode_CodeOfProvider", o.Provider)
	x.leaf("OrganisationCode_CodeOfCommissioner", o.Commissioner)
	x.end()
}

func episodeRecords(ctx context.Context, src crs.CDSSource, a crs.Actor, ex *extract) error {
	o := ex.o
	return src.EpisodeRecords(ctx, a, o.From, o.To, func(row *crs.CDSEpisodeRecord) error {
		p := row.Patient
		day := dayOf(row.End)
		rj := ex.rejects(row.EpisodeID, func() string {
			return fmt.Sprintf("consultant episode %d of the admission of %s, MRN %s", row.Seq, localDay(row.AdmittedAt), p.MRN)
		})
		checkPatient(rj, p, day)
		checkPathway(rj, row.Pathway)
		checkCode(rj, "AdmissionMethodCode_HospitalProviderSpell", "ADMISSION METHOD", row.AdmissionMethod, nhs.AdmissionMethods, true)
		checkCode(rj, "SourceOfAdmissionCode_HospitalProviderSpell", "SOURCE OF ADMISSION", row.AdmissionSource, nhs.AdmissionSources, true)
		checkCode(rj, "ActivityTreatmentFunctionCode", "ACTIVITY TREATMENT FUNCTION", row.TreatmentFunction, nhs.TreatmentFunctions, true)
		if row.LastInSpell {
			checkCode(rj, "DischargeMethodCode_HospitalProviderSpell", "DISCHARGE METHOD", row.DischargeMethod, nhs.DischargeMethods, true)
			checkCode(rj, "DischargeDestinationCode_HospitalProviderSpell", "DISCHARGE DESTINATION", row.DischargeDestination, nhs.DischargeDestinations, true)
		}
		if !crs.ValidConsultantCode(row.ConsultantCode) {
			rj.add("ConsultantCode", "CONSULTANT CODE %q is not 8 characters", row.ConsultantCode)
		}
		if row.Seq < 1 || row.Seq > 99 {
			rj.add("EpisodeNumber", "EPISODE NUMBER %d is not 1 to 99", row.Seq)
		}
		if row.Coding == nil || len(row.Coding.Diagnoses) == 0 {
			rj.add("PrimaryDiagnosis_ICD", "a finished consultant episode needs its PRIMARY DIAGNOSIS (ICD): the episode is not coded yet")
		} else {
			for i, d := range row.Coding.Diagnoses {
				if _, err := nhs.NormaliseICD10(d); err != nil {
					rj.add("ClinicalDiagnosisGroupICD", "diagnosis %d: %v", i+1, err)
				}
			}
			for i, pr := range row.Coding.Procedures {
				if _, err := nhs.NormaliseOPCS4(pr.Code); err != nil {
					rj.add("ClinicalActivityGroupOPCS", "procedure %d: %v", i+1, err)
				}
			}
		}
		visit := row.VisitNumber
		if visit == "" || len(visit) > 12 {
			visit = shortID(row.SpellID)
		}
		return ex.add(rj, day, ex.t.element, func(x *xmlw) {
			patientPathway(x, row.Pathway)
			x.start("PersonGroupPatient")
			patientIdentity(x, p, o.Provider)
			characteristics(x, "PatientCharacteristics_General_Structure", p)
			x.end()
			gpRegistration(x, p)
			x.start("HospitalProviderSpell")
			x.start("AdmissionCharacteristics")
			x.leaf("HospitalProviderSpellNumber", visit)
			x.leaf("PatientClassificationCode", row.PatientClass)
			x.leaf("AdmissionMethodCode_HospitalProviderSpell", row.AdmissionMethod)
			x.leaf("SourceOfAdmissionCode_HospitalProviderSpell", row.AdmissionSource)
			x.leaf("StartDate_HospitalProviderSpell", localDay(row.AdmittedAt))
			x.leaf("StartTime_HospitalProviderSpell", localTime(row.AdmittedAt))
			x.leaf("AgeOnAdmission", strconv.Itoa(ageAt(p.BirthDate, dayOf(row.AdmittedAt))))
			x.end()
			if row.LastInSpell {
				x.start("DischargeCharacteristics")
				x.leaf("DischargeDestinationCode_HospitalProviderSpell", row.DischargeDestination)
				x.leaf("DischargeMethodCode_HospitalProviderSpell", row.DischargeMethod)
				x.leaf("DischargeDate_HospitalProviderSpell", localDay(row.DischargedAt))
				x.leaf("DischargeTime_HospitalProviderSpell", localTime(row.DischargedAt))
				x.end()
			}
			x.end()
			x.start("Episode")
			x.start("EpisodeCharacteristics")
			x.leaf("EpisodeNumber", strconv.Itoa(row.Seq))
			if row.LastInSpell {
				x.leaf("LastEpisodeInSpellIndicatorCode", "1")
			} else {
				x.leaf("LastEpisodeInSpellIndicatorCode", "2")
			}
			x.leaf("StartDate_Episode", localDay(row.Start))
			x.leaf("StartTime_Episode", localTime(row.Start))
			x.leaf("EndDate_Episode", localDay(row.End))
			x.leaf("EndTime_Episode", localTime(row.End))
			x.leaf("AgeAtCDSActivityDate", strconv.Itoa(ageAt(p.BirthDate, day)))
			x.end()
			serviceAgreement(x, o)
			consultant(x, row.ConsultantCode, "", row.TreatmentFunction)
			x.start("ClinicalDiagnosisDetails")
			x.start("ClinicalDiagnosisGroupICD")
			x.leaf("DiagnosisSchemeInUse", "02") // ICD-10
			for i, d := range row.Coding.Diagnoses {
				if i == 0 {
					x.start("PrimaryDiagnosisGroupICD")
					x.leaf("PrimaryDiagnosis_ICD", d)
				} else {
					x.start("SecondaryDiagnosisGroupICD")
					x.leaf("SecondaryDiagnosis_ICD", d)
				}
				x.end()
			}
			x.end()
			x.end()
			if len(row.Coding.Procedures) > 0 {
				x.start("ClinicalTreatmentDetails")
				x.start("ClinicalActivityGroupOPCS")
				x.leaf("ProcedureSchemeInUse", "02") // OPCS-4
				for i, pr := range row.Coding.Procedures {
					if i == 0 {
						x.start("PrimaryProcedureGroupOPCS")
						x.leaf("PrimaryProcedure_OPCS", pr.Code)
					} else {
						x.start("SecondaryProcedureGroupOPCS")
						x.leaf("SecondaryProcedure_OPCS", pr.Code)
					}
					x.leaf("ProcedureDate", pr.Date.String())
					x.end()
				}
				x.end()
				x.end()
			}
			x.end()
		})
	})
}
