package rtt

import "strconv"

// Rule is a rule of the NHS England RTT guidance (Recording and reporting
// referral to treatment waiting times for consultant-led elective care,
// v5.0, February 2025) as applied to one event. String gives it in plain
// English with the rule number and section of the guidance.
type Rule uint8

// Rules applied by Evaluate. Rule numbers 1-5 are those of the national
// clock rules suite (s2.2); sections are those of the guidance.
const (
	RuleReferral Rule = iota + 1
	RuleUBRN
	RuleReReferral
	RuleTransferIn
	RuleAlreadyRunning
	RuleFirstActivity
	RuleSubsequent
	RuleBooking
	RuleCancelByPatient
	RuleCancelByHospital
	RuleDNAFirstNullifies
	RuleDNAFirstNotNullified
	RuleDNASubsequent
	RuleRebookAfterDNA
	RuleReofferAfterDNA
	RuleWaitingListAfterDNA
	RuleDecisionToAdmit
	RuleWaitingList
	RuleTCIOffered
	RuleTCIDeclined
	RuleTCIDeclinedTwice
	RuleAdmittedDiagnostic
	RuleAdmittedNotTreated
	RuleAdmittedForTreatment
	RuleTreatmentStarted
	RuleTransplantList
	RuleActiveMonitoringStarted
	RuleDecisionNotToTreat
	RulePatientDeclined
	RuleDischarged
	RuleDischargedAfterDNA
	RuleDied
	RuleTransferOut
	RuleDecisionToTreatAfterAM
	RuleNewTreatment
	RuleBilateral
	RuleSeparateCondition
	RuleStartStatus
	RuleNoReferral
	RuleAlreadyRunningStart
	RuleNoPause
	RuleStoppedIgnored
	RuleMonitoringIgnored
	RuleNullifiedIgnored
	RuleTransferredIgnored
	RuleNoClock
	RuleAfterTreatment
	RuleNotRTT
	RuleStatusConflict
	RuleStopNotMatched
	RuleCorrectionStart
	RuleCorrectionStop
	RuleCorrectionReopen
	RuleAfterAsOf
	RuleUnknownKind

	ruleEnd
)

var ruleText = [ruleEnd]string{
	RuleReferral:                "the clock starts on the date the provider receives the referral (rules 1 and 2, s3.2.1, s3.3)",
	RuleUBRN:                    "for an NHS e-Referral Service referral the clock starts on the date the patient converts the UBRN, or the UBRN appears on the provider's ASI worklist (s3.2.1)",
	RuleReReferral:              "a patient referred again as a new referral after an earlier RTT period ended starts a new clock on the date the referral is received (rule 3c, s3.4.3)",
	RuleTransferIn:              "a patient whose care is transferred from another provider keeps the original clock start from the IPTAMDS, not the date this provider received the referral (s11.3)",
	RuleAlreadyRunning:          "the clock is already running; a further referral in the same RTT period (an onward referral, a second UBRN) does not restart it (s3.2.2, s11.3)",
	RuleFirstActivity:           "status 10 marks the first care activity of the RTT period, which started with the referral; the clock keeps running (Annex D note 28)",
	RuleSubsequent:              "the clock keeps ticking until first definitive treatment starts or a clinical decision stops it (s2.1)",
	RuleBooking:                 "booking an appointment does not affect the clock (s2.1)",
	RuleCancelByPatient:         "a patient cancelling, rearranging or postponing an appointment does not stop the clock (s4.4.2.1)",
	RuleCancelByHospital:        "a cancellation by the hospital does not stop the clock, even after admission (s4.4.2.2)",
	RuleDNAFirstNullifies:       "a DNA of the first appointment after the referral that started the clock stops and nullifies the clock; a new clock starts when the patient rebooks or the provider decides to offer another appointment (rule 5e, s3.4.5, s4.4.1.3)",
	RuleDNAFirstNotNullified:    "the first appointment was missed but recorded with status 20: the provider did not apply rule 5e (it must be able to show the appointment was clearly communicated), so the clock keeps ticking (s4.4.1.3)",
	RuleDNASubsequent:           "a DNA of any appointment other than the first after the referral does not stop the clock unless the clinician discharges the patient to the GP (rule 5f, s4.4.1.3)",
	RuleRebookAfterDNA:          "after a first-appointment DNA nullified the clock, a new clock starts at zero on the date the patient contacts the trust to rebook (rule 3e, s3.4.5)",
	RuleReofferAfterDNA:         "after a first-appointment DNA nullified the clock, a new clock starts on the date the clinician decides another first appointment should be offered (rule 3e, s3.4.5)",
	RuleWaitingListAfterDNA:     "after a first-appointment DNA, when no appointment can be booked the clock starts from the decision to offer another appointment and the patient is added to a waiting list (rule 3e, s3.4.5)",
	RuleDecisionToAdmit:         "a decision to admit does not stop the clock; the patient counts among incomplete pathways with a decision to admit (s10.1.1.2 Part 2a)",
	RuleWaitingList:             "adding the patient to a waiting list does not stop the clock (s2.1)",
	RuleTCIOffered:              "offering a date to come in does not affect the clock (s2.1)",
	RuleTCIDeclined:             "declining an offered date does not stop the clock (s8.2, s8.3)",
	RuleTCIDeclinedTwice:        "the patient has declined two offered dates: the clock keeps ticking, but the clinician may, after a clinical conversation and with the patient's agreement, start active monitoring (s8.3, s4.4.1.4)",
	RuleAdmittedDiagnostic:      "an admission for a diagnostic test, pre-treatment or pre-operative assessment only does not stop the clock (s4.3.2.3)",
	RuleAdmittedNotTreated:      "admitted for treatment but the procedure was not carried out: the clock keeps ticking until the admission at which it is (s4.3.2.3)",
	RuleAdmittedForTreatment:    "admission as an inpatient or day case for first definitive treatment stops the clock on the date of admission (rule 4a, s4.3.2.3)",
	RuleTreatmentStarted:        "the start of first definitive treatment (in outpatients, an interface service, or a therapy or healthcare science intervention) stops the clock on that date (rule 4a, s4.3.2.1, s4.3.2.2)",
	RuleTransplantList:          "a decision, made and communicated, to add the patient to a transplant list stops the clock; recorded as status 34 (rule 4b, s4.3.2.4, Annex E)",
	RuleActiveMonitoringStarted: "a decision to start active monitoring stops the clock on the date it is made and communicated to the patient (rule 5b, s4.4.1.4)",
	RuleDecisionNotToTreat:      "a clinical decision not to treat, made and communicated to the patient, stops the clock (rule 5d, s4.4.1.1, s4.4.1.2)",
	RulePatientDeclined:         "the patient declining treatment having been offered it stops the clock (rule 5c, s4.4.1.1, s4.4.1.2)",
	RuleDischarged:              "returning the patient to primary care stops the clock on the date it is communicated (rule 5a, s4.4.1.1)",
	RuleDischargedAfterDNA:      "after a DNA of a later appointment, a clinical decision to discharge the patient back to the GP under the local access policy stops the clock on the date of discharge (rule 5f, s4.4.1.3)",
	RuleDied:                    "the death of the patient before treatment stops the clock; recorded as status 36 (s4.4.1.2, Annex E)",
	RuleTransferOut:             "care passed to another provider (status 21): the clock keeps running there and the receiving provider reports it; this provider no longer does (s11.1, Annex C)",
	RuleDecisionToTreatAfterAM:  "a decision to treat (or the patient's decision to go ahead) after active monitoring starts a new clock on the date it is made and communicated; recorded as status 11 (rule 3d, s3.4.4, s8.3)",
	RuleNewTreatment:            "a decision to start substantively new or different treatment that is not part of the agreed care plan starts a new clock (rule 3b, s3.4.2)",
	RuleBilateral:               "when the patient becomes fit and ready for the second side of a bilateral procedure a new clock starts (rule 3a, s3.4.1)",
	RuleSeparateCondition:       "status 12: a referral to a consultant for a separate condition starts a new RTT period (Annex D, Annex E)",
	RuleStartStatus:             "a clock start status (10) with no clock running marks the first activity of a new RTT period (Annex D)",
	RuleNoReferral:              "no referral or rebooking is recorded before this activity, so the clock is taken to start here; the true start is the date the referral was received (s3.2.1, s10.1.5)",
	RuleAlreadyRunningStart:     "a clock start while the clock is already running does not reset the wait; the running clock continues (s2.1)",
	RuleNoPause:                 "there are no pauses or suspensions: since October 2015 a waiting list suspension does not adjust the clock (s1.1)",
	RuleStoppedIgnored:          "the clock has stopped; later activity does not restart it until a new clock start (rule 3, s3.4)",
	RuleMonitoringIgnored:       "the patient is on active monitoring; activity such as routine check-ups does not start a new clock until a decision to treat (s4.4.1.4)",
	RuleNullifiedIgnored:        "the clock was nullified by a first-appointment DNA; no clock runs until the patient rebooks, the provider offers another appointment or the patient is re-referred (s3.4.5)",
	RuleTransferredIgnored:      "the pathway was transferred to another provider, which now measures the clock (s11.1)",
	RuleNoClock:                 "no clock has started on this pathway and this event does not start one (s3)",
	RuleAfterTreatment:          "status 90: first definitive treatment happened earlier; the activity is not part of an RTT period (Annex D)",
	RuleNotRTT:                  "the activity is not part of an RTT period (e.g. not consultant-led, s7.1) and does not start or stop a clock (Annex D)",
	RuleStatusConflict:          "the recorded status contradicts a running clock; the clock keeps running (s2.1)",
	RuleStopNotMatched:          "a clock stop status with no clock running is not applied: an event that matches no open RTT period cannot stop one (Annex E)",
	RuleCorrectionStart:         "validation correction: the clock start is set to this date",
	RuleCorrectionStop:          "validation correction: the clock stop is set to this date and status",
	RuleCorrectionReopen:        "validation correction: the earlier stop was wrong; the clock continues from its original start",
	RuleAfterAsOf:               "the event is dated after the as-of date and is not taken into account",
	RuleUnknownKind:             "the event is of an unknown kind and is not taken into account",
}

// String returns the rule in plain English with its source in the guidance.
func (r Rule) String() string {
	if r > 0 && r < ruleEnd {
		return ruleText[r]
	}
	return "Rule(" + strconv.Itoa(int(r)) + ")"
}
