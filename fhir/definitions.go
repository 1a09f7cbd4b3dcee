package fhir

import (
	"strings"

	"github.com/opencrs/crs"
)

// OpenCRS's own definitions: every extension, code system and identifier
// system under https://opencrs.org/ (and the few under
// https://fhir.opencrs.org/) that what the server writes uses. A trust's
// integration engine or validator reads them, as StructureDefinitions,
// CodeSystems and NamingSystems, from the API or from the package `crs
// fhir package` writes; CodeSystem/$lookup, $validate-code and ValueSet
// :in know the code systems' codes. The urls never change: receiving
// systems depend on them.

// extensionDef is an extension OpenCRS writes: its url, what it is
// called, the types its value takes (valueString is "string"), the
// elements it is put on, and what it holds for a reader.
type extensionDef struct {
	URL         string
	Title       string
	Types       []string
	Context     []string
	Description string
}

// codeSystemDef is a code system of OpenCRS's own. Concepts lists its
// codes whole when OpenCRS makes them; a code system whose codes are the
// trust's or another system's (a laboratory's test codes) lists none.
type codeSystemDef struct {
	URL         string
	Title       string
	Description string
	Concepts    []conceptDef
}

// conceptDef is one code of an OpenCRS code system.
type conceptDef struct {
	Code, Display, Definition string
}

// identifierSystemDef is an identifier system of OpenCRS's own: the
// namespace of the identifiers it gives, or carries from another system.
type identifierSystemDef struct {
	URL         string
	Title       string
	Description string
}

// extensionDefs are the extensions OpenCRS writes.
var extensionDefs = []extensionDef{
	// The order catalogue (ActivityDefinition) and orders (ServiceRequest).
	{extOrderStatus, "Order status", []string{"code"}, []string{"ServiceRequest"},
		"Where an order stands in OpenCRS: placed (sent to the performing system), received (the performing system accepted it, HL7 v2 ORC-1 OK), in-progress, resulted or cancelled. ServiceRequest.status says the same in R4's terms; this keeps OpenCRS's own step."},
	{extCancelReason, "Order cancellation reason", []string{"string"}, []string{"ServiceRequest"},
		"Why the requester cancelled the order, as they entered it; sent to the performing system in HL7 v2 ORC-16."},
	{extSpecimen, "Test specimen", []string{"string"}, []string{"ActivityDefinition", "ServiceRequest"},
		"The specimen a pathology test is done on (e.g. Blood (EDTA)), from the trust's test catalogue; sent to the laboratory in HL7 v2 OBR-15."},
	{extDestination, "Test destination", []string{"string"}, []string{"ActivityDefinition"},
		"The name of the performing system a test is sent to (an HL7 interface destination, e.g. Pathology LIMS), from the trust's test catalogue."},
	{extTestKind, "Test kind", []string{"code"}, []string{"ActivityDefinition", "ServiceRequest"},
		"Whether a test is a pathology test (pathology, done on a specimen) or an imaging examination (radiology), from the trust's test catalogue."},
	{extDM01Test, "DM01 diagnostic test", []string{"code"}, []string{"ActivityDefinition", "ServiceRequest"},
		"The diagnostic test of the DM01 waiting times return the test counts as (e.g. MRI, CT, GASTROSCOPY), from the trust's test catalogue; absent for a test DM01 does not count."},
	{extPlannedDue, "Planned due date", []string{"string"}, []string{"ServiceRequest"},
		"Present only on a planned test (a surveillance or repeat test, not a patient waiting): the date (YYYY-MM-DD) it is due. A planned test is not on the DM01 diagnostic waiting list."},

	// Results (DiagnosticReport and its Observations) filed from the
	// laboratory's HL7 v2 ORU messages.
	{extHL7Status, "HL7 v2 result status", []string{"code"}, []string{"DiagnosticReport", "Observation"},
		"The result status the laboratory sent, as sent: HL7 v2 OBR-25 on a report, OBX-11 on an observation (F final, P preliminary, C corrected, X cancelled, ...). The R4 status is derived from it."},
	{extAbnormalCount, "Abnormal observations", []string{"string"}, []string{"DiagnosticReport"},
		"How many of the report's observations the laboratory flagged abnormal (HL7 v2 OBX-8 other than N), as a whole number; the results worklist shows those with any first."},
	{extAcknowledgedBy, "Acknowledged by", []string{"string"}, []string{"DiagnosticReport"},
		"The username of the clinician who acknowledged the result from the results worklist."},
	{extAcknowledgedAt, "Acknowledged at", []string{"string"}, []string{"DiagnosticReport"},
		"When the result was acknowledged, an instant in UTC (YYYY-MM-DDThh:mm:ss.sssZ)."},
	{extRequesterID, "Requester", []string{"string"}, []string{"DiagnosticReport"},
		"The OpenCRS user id of the clinician who placed the order the result answers, so that the result reaches their worklist."},
	{extResultVersion, "Result version", []string{"string"}, []string{"DiagnosticReport"},
		"The number of the result's version as filed, from 1: a later message for the same order and test (a correction, HL7 v2 OBR-25 C) files the next."},
	{extResultFiled, "Result filed at", []string{"string"}, []string{"DiagnosticReport"},
		"When OpenCRS filed the result, an instant in UTC (YYYY-MM-DDThh:mm:ss.sssZ)."},
	{extPlacerOrder, "Placer order number", []string{"string"}, []string{"DiagnosticReport"},
		"The placer order number the laboratory sent with the result (HL7 v2 OBR-2), as sent."},
	{extOrderedBy, "Ordered by", []string{"string"}, []string{"DiagnosticReport"},
		"The ordering provider the laboratory sent with the result (HL7 v2 OBR-16), as sent."},
	{extMessageID, "Result message", []string{"string"}, []string{"DiagnosticReport"},
		"The message control id of the HL7 v2 message the result came in (MSH-10), to trace it in the interface's message log."},
	{extOBXSetID, "OBX set id", []string{"string"}, []string{"Observation"},
		"The observation's set id in the laboratory's message (HL7 v2 OBX-1)."},
	{extOBXSubID, "OBX sub-id", []string{"string"}, []string{"Observation"},
		"The observation's sub-id in the laboratory's message (HL7 v2 OBX-4), which tells apart observations of one test."},
	{extOBXValueType, "OBX value type", []string{"code"}, []string{"Observation"},
		"The HL7 v2 value type of the observation's value (OBX-2: NM numeric, ST string, TX text, CE coded, ...)."},
	{extOBXObserved, "OBX observed at", []string{"string"}, []string{"Observation"},
		"The date and time of the observation as the laboratory sent it (HL7 v2 OBX-14), unconverted."},
	{extOBXUnits, "OBX units", []string{"string"}, []string{"Observation"},
		"The units of the observation's value as the laboratory sent them (HL7 v2 OBX-6), when the value is not a number (a numeric value carries them in valueQuantity)."},

	// Clinical notes, clinic letters and discharge summaries
	// (Composition).
	{extSummaryStatus, "Document status", []string{"code"}, []string{"Composition"},
		"Where a note, clinic letter or discharge summary stands in OpenCRS: draft, signed, amended, void or entered-in-error. Composition.status says the same in R4's terms."},
	{extNoteTemplate, "Note template", []string{"string"}, []string{"Composition"},
		"The id of the trust's note or letter template the document was written from."},
	{extSpecialty, "Treatment function", []string{"code"}, []string{"Composition"},
		"The treatment function (specialty) of the note or letter, from its template or the clinic the letter is from: an NHS Data Dictionary treatment function code (e.g. 100 General Surgery)."},
	{extClinic, "Clinic code", []string{"string"}, []string{"Composition"},
		"The trust's code of the clinic the letter is from."},
	{extClinicName, "Clinic name", []string{"string"}, []string{"Composition"},
		"The name of the clinic the letter is from."},
	{extConsultantName, "Consultant name", []string{"string"}, []string{"Composition"},
		"The name of the consultant whose clinic the letter is from."},
	{extOutcome, "Clinic outcome", []string{"string"}, []string{"Composition"},
		"The outcome of the clinic attendance the letter is of, as a sentence (e.g. Follow-up in clinic in 6 weeks), from the outcome the clinic recorded."},
	{extAmendReason, "Amendment reason", []string{"string"}, []string{"Composition"},
		"Why a signed letter or discharge summary was amended, as the clinician entered it."},
	{extErrorReason, "Entered in error reason", []string{"string"}, []string{"Composition"},
		"Why the document was marked entered in error, as the clinician entered it."},
	{extRecordedAt, "Recorded at", []string{"string"}, []string{"Composition"},
		"When the note was recorded, an instant in UTC (YYYY-MM-DDThh:mm:ss.sssZ)."},
	{extRecordedBy, "Recorded by", []string{"string"}, []string{"Composition"},
		"The username of the clinician who recorded the note."},
	{extSectionPrompt, "Section prompt", []string{"string"}, []string{"Composition.section"},
		"The prompt the template shows the clinician for the section (what to write in it)."},
	{extSectionText, "Section text", []string{"string"}, []string{"Composition.section"},
		"The section's text as the clinician wrote it, plain; the narrative carries it as XHTML."},
	{extWard, "Ward code", []string{"string"}, []string{"Composition"},
		"The trust's code of the ward the patient was discharged from, as the spell records it."},
	{extConsultant, "Consultant code", []string{"string"}, []string{"Composition"},
		"The code of the consultant responsible for the spell at discharge, as the spell records it."},
	{extVisitNumber, "Visit number", []string{"string"}, []string{"Composition"},
		"The visit number of the hospital spell the discharge summary is of (the PAS's, HL7 v2 PV1-19)."},

	// The patient's record and alerts.
	{extHeldCopy, "Held copy", []string{"code"}, []string{"Patient.identifier", "Patient.telecom", "Patient.address"},
		"Marks, in what OpenCRS keeps beside the PMI's record, the copy of an element a system sent with more than the PMI holds of it (a phone's rank or period, an address's text): its code names which element (nhs, phone, mobile, email, address). OpenCRS serves the copy without it; it is never served."},
	// A&E attendances (Encounter).
	{extDecisionToAdmit, "Decision to admit", []string{"dateTime"}, []string{"Encounter"},
		"When a clinician in the emergency department decided to admit the patient (ECDS DECISION TO ADMIT DATE and TIME), to the second: a 12-hour trolley wait is counted from it."},
	{extAdmitSpecialty, "Decision to admit: specialty", []string{"Coding"}, []string{"Encounter"},
		"The treatment function (NHS Data Dictionary TREATMENT FUNCTION CODE) the patient was to be admitted under, as the decision to admit named it."},
	{extAdmittedTo, "Admitted to", []string{"Reference"}, []string{"Encounter"},
		"The inpatient stay (an Encounter of class IMP) the patient was admitted to from the emergency department, which ended the attendance."},

	// Referrals (ServiceRequest of category referral), written through
	// the PAS's commands.
	{extConsultantLed, "Consultant-led", []string{"boolean"}, []string{"ServiceRequest"},
		"Whether the referral is to consultant-led care, which starts an 18-week RTT pathway (an EpisodeOfCare) with its clock from the date received; a referral sent without it is consultant-led."},
	{extCorrectionReason, "Correction: reason", []string{"string"}, []string{"Encounter"},
		"Why an inpatient spell's admission, last move or discharge is undone (an admission entered in error, a transfer or discharge recorded by mistake), sent with the change that undoes it; the PAS records it with the undoing."},
	{extClosedReason, "Referral closed: reason", []string{"string"}, []string{"ServiceRequest"},
		"Why the referral was closed without (further) appointments, as entered (e.g. returned to the GP after triage); sent with status completed or revoked, it closes the referral."},
	{extClosedOn, "Referral closed: date", []string{"date"}, []string{"ServiceRequest"},
		"The date the referral was closed (YYYY-MM-DD), not in the future; today when a closure is sent without it."},
	{extClosedRTTStatus, "Referral closed: RTT status", []string{"Coding"}, []string{"ServiceRequest"},
		"The REFERRAL TO TREATMENT PERIOD STATUS the closure records on the referral's pathway (" + rttStatusSystem + "): a clock stop (30-32, 34-36), 21 (care transferred to another provider) or a status outside RTT (90-98). Sent with a closure only; the pathway (EpisodeOfCare) shows the clock it stops."},

	{decisionReasonURL, "SpO2 scale decision reason", []string{"string"}, []string{"Flag"},
		"Why a clinician put the patient on NEWS2 SpO2 scale 2 (target saturation 88-92%) or took them off it, as entered."},
}

// codeSystemDefs are OpenCRS's own code systems.
var codeSystemDefs = []codeSystemDef{
	{URL: auditActionSystem, Title: "OpenCRS audit action",
		Description: "What an audit record says was done. AuditEvent.subtype carries the R4 or DICOM code where there is one (read, search, update, login, logout); a refused access has none, and is coded here.",
		Concepts: []conceptDef{
			{crs.AuditView, "View", "A record was read."},
			{crs.AuditSearch, "Search", "A search was run."},
			{crs.AuditChange, "Change", "A record was changed."},
			{crs.AuditLogin, "Login", "A user logged in."},
			{crs.AuditLogout, "Logout", "A user logged out."},
			{crs.AuditRefused, "Refused", "Access was refused: a failed login, a role without the right, or another trust's record."},
		}},
	{URL: SpO2ScaleSystem, Title: "OpenCRS NEWS2",
		Description: "Codes of NEWS2 (the Royal College of Physicians' National Early Warning Score 2) that OpenCRS records, as the code and identifier of the Flag that puts a patient on SpO2 scale 2.",
		Concepts: []conceptDef{
			{spo2Scale2Code, "NEWS2 SpO2 scale 2 (target saturation 88-92%)", "The patient's oxygen saturation is scored on NEWS2's SpO2 scale 2, for a target of 88-92% (hypercapnic respiratory failure), as a clinician decided."},
		}},
	{URL: ReviewTagSystem, Title: "OpenCRS result review",
		Description: "Whether a result (DiagnosticReport, in meta.tag) awaits a clinician's acknowledgement: the results worklist is the search _tag=" + ReviewTagSystem + "|unacknowledged.",
		Concepts: []conceptDef{
			{"unacknowledged", "Unacknowledged", "The result is on the results worklist, awaiting a clinician's acknowledgement."},
			{"acknowledged", "Acknowledged", "A clinician acknowledged the result."},
			{"carried", "Carried", "A later version of a result already acknowledged: it is filed without going back on the worklist."},
		}},
	{URL: bannerAlertSystem, Title: "OpenCRS banner alert",
		Description: "Marks a Condition (as a category) that shows on the patient banner as an alert.",
		Concepts: []conceptDef{
			{"alert", "Alert on the patient banner", "The condition shows as an alert on the patient banner of every page of the patient's record."},
		}},
	{URL: TestCatalogueSystem, Title: "OpenCRS test catalogue",
		Description: "The trust's orderable tests, by the trust's test codes (e.g. FBC), as the trust's test catalogue lists them (ActivityDefinition, found by this url). The codes are the trust's: this definition lists none."},
	{URL: rttDecisionSystem, Title: "OpenCRS RTT pathway decision",
		Description: "A clinical or validation decision recorded on an 18-week RTT pathway outside an appointment or admission (EpisodeOfCare/[id]/$rtt-decision), as the pathway page offers them: each records its RTT event with its REFERRAL TO TREATMENT PERIOD STATUS.",
		Concepts:    pathwayDecisionConcepts()},
	{URL: labTestSystem, Title: "OpenCRS laboratory test",
		Description: "The test and observation codes a laboratory sends with its results (HL7 v2 OBR-4 and OBX-3, the identifier), as sent. The codes are the laboratory's: this definition lists none."},
}

// pathwayDecisionConcepts are the RTT pathway decisions as codes.
func pathwayDecisionConcepts() []conceptDef {
	out := make([]conceptDef, len(crs.PathwayDecisions))
	for i, d := range crs.PathwayDecisions {
		out[i] = conceptDef{d.Code, d.Label, d.Label + ": records the RTT event " + d.Kind.String() + " with status " + d.Status.String() + "."}
	}
	return out
}

// operationDef is an operation of OpenCRS's own: its url, its code, the
// type it is invoked on (on an instance), what it does, and its
// parameters.
type operationDef struct {
	URL         string
	Code        string
	Title       string
	Resource    string
	Description string
	Parameters  []operationParamDef
}

// operationParamDef is a parameter of an operation: in or out, how
// many, its type and what it holds.
type operationParamDef struct {
	Name, Use string
	Min       int
	Max, Type string
	Doc       string
}

// operationDefs are OpenCRS's own operations.
var operationDefs = []operationDef{
	{rttDecisionOperation, "rtt-decision", "RTT pathway decision", "EpisodeOfCare",
		"Records a decision on an 18-week RTT pathway outside an appointment or admission through the PAS's command, as the pathway page records it (its RTT event and clock, its audit): active monitoring started or ended, a decision not to treat, the patient declining treatment or dying, care transferred out, treatment outside an admission, a discharge back to the GP, a new period. A decision the pathway's events so far refuse is answered 422 naming the parameter.",
		[]operationParamDef{
			{"decision", "in", 1, "1", "code", "The decision, a code of " + rttDecisionSystem + "."},
			{"date", "in", 0, "1", "date", "The date the decision was made and told to the patient (YYYY-MM-DD), not in the future; today when not given."},
			{"note", "in", 0, "1", "string", "A note of the decision."},
			{"dnaDate", "in", 0, "1", "date", "With the decision discharged alone: the date of the later appointment the patient did not attend (rule 5f), on or before the decision."},
			{"return", "out", 1, "1", "EpisodeOfCare", "The pathway as its clock then stands."},
		}},
}

// identifierSystemDefs are the identifier systems of OpenCRS's own.
var identifierSystemDefs = []identifierSystemDef{
	{SystemHospitalNumber, "Hospital number", "A trust's hospital number (MRN, HL7 v2 PID-3 of type MR); the identifier's assigner says which trust's."},
	{SystemVisitNumber, "Visit number", "The visit number of a hospital spell or attendance (HL7 v2 PV1-19)."},
	{SystemLocationCode, "Location code", "The trust's code of a site, ward, bed or clinic room."},
	{SystemConsultantCode, "Consultant code", "The code of a consultant (GMC number or the trust's consultant code, HL7 v2 PV1-7)."},
	{SystemClinicCode, "Clinic code", "The trust's code of an outpatient clinic."},
	{userSystem, "OpenCRS user", "The id of an OpenCRS user: the clinician, clerk or system that did something."},
	{PlacerOrderSystem, "Placer order number", "The number OpenCRS gives an order it places (HL7 v2 ORC-2 and OBR-2)."},
	{FillerOrderSystem, "Filler order number", "The number the performing system gives an order (HL7 v2 ORC-3 and OBR-3)."},
	{ResultOrderSystem, "Result order", "What ties the versions of one result together: the laboratory's filler order number (HL7 v2 OBR-3), else its placer order number (OBR-2), and the test code (OBR-4), as order|test."},
	{ResultVersionSystem, "Result", "The id of the version of a result as OpenCRS filed it that the report was made from."},
	{ResultReplacedSystem, "Replaced result", "The ids of the filed versions of a result that the report's current version replaced, so that a link to an earlier version finds the report."},
	{observationSystem, "Result observation", "What identifies one observation of a result across its versions: the report, and the observation's code, sub-id and name (HL7 v2 OBX-3.1, OBX-4, OBX-3.2)."},
	{LetterAppointmentSystem, "Clinic letter appointment", "The id of the outpatient appointment a clinic letter is of."},
	{noteSystem, "Clinical note", "The id of a clinical note in OpenCRS."},
	{letterDocSystem, "Clinic letter document", "The id of a clinic letter in OpenCRS, the same in every version."},
	{SummarySpellSystem, "Discharge summary spell", "The id of the hospital spell a discharge summary is of."},
	{summaryDocSystem, "Discharge summary document", "The id of a discharge summary in OpenCRS, the same in every version."},
	{VitalSignsSetSystem, "Vital signs set", "What ties the observations of one set of vital signs (one NEWS2 score) together."},
	{NoteTemplateSystem, "Note template", "The trust's note and letter templates: the url of each template (Questionnaire) and the namespace of their ids."},
}

// auditActionSystem codes an audit record's action where R4's and
// DICOM's codes have none.
const auditActionSystem = "https://opencrs.org/CodeSystem/audit-action"

// ownURL says whether a url is in OpenCRS's own namespace, whose
// definitions only OpenCRS makes.
func ownURL(url string) bool {
	return strings.HasPrefix(url, "https://opencrs.org/") || strings.HasPrefix(url, "https://fhir.opencrs.org/")
}
