package golive

// The reason codes a row of the extract is rejected with (section 9 of the
// extract's specification). Every rejected row has exactly one.
const (
	ReasonAdmittedAfterExtract   = "admitted_after_extract"
	ReasonAppointmentAfterDeath  = "appointment_after_death"
	ReasonNotOutcomed            = "appointment_not_outcomed"
	ReasonOutOfSlot              = "appointment_out_of_slot"
	ReasonBadCode                = "bad_code"
	ReasonBadDate                = "bad_date"
	ReasonBadDatetime            = "bad_datetime"
	ReasonBadFormat              = "bad_format"
	ReasonBedDoubleOccupied      = "bed_double_occupied"
	ReasonBedNotInWard           = "bed_not_in_ward"
	ReasonClinicNotFound         = "clinic_not_found"
	ReasonClinicRejected         = "clinic_rejected"
	ReasonClockAfterFirstEvent   = "clock_start_after_first_event"
	ReasonClockBeforeReferral    = "clock_start_before_referral"
	ReasonDateAfterCensus        = "date_after_census"
	ReasonDeathBeforeBirth       = "death_before_birth"
	ReasonDuplicateID            = "duplicate_id"
	ReasonGPNotFound             = "gp_practice_not_found"
	ReasonGPRejected             = "gp_practice_rejected"
	ReasonHospitalNumberDup      = "hospital_number_duplicate"
	ReasonMergeTargetInvalid     = "merge_target_invalid"
	ReasonMergeTargetNotFound    = "merge_target_not_found"
	ReasonMissingRequired        = "missing_required"
	ReasonNHSCheckDigit          = "nhs_number_check_digit"
	ReasonNHSDuplicate           = "nhs_number_duplicate"
	ReasonNHSStatusMismatch      = "nhs_number_status_mismatch"
	ReasonOutcomeInFuture        = "outcome_in_future"
	ReasonPathwayClosed          = "pathway_closed"
	ReasonPathwayNoEvents        = "pathway_has_no_events"
	ReasonPathwayNotFound        = "pathway_not_found"
	ReasonPathwayRejected        = "pathway_rejected"
	ReasonPathwayPatientMismatch = "pathway_patient_mismatch"
	ReasonPathwayCodeMismatch    = "pathway_status_code_mismatch"
	ReasonPathwayInconsistent    = "pathway_status_inconsistent"
	ReasonAlreadyAdmitted        = "patient_already_admitted"
	ReasonPatientDeceased        = "patient_deceased"
	ReasonPatientMerged          = "patient_merged"
	ReasonPatientNotFound        = "patient_not_found"
	ReasonPatientRejected        = "patient_rejected"
	ReasonNotConsultantLed       = "referral_not_consultant_led"
	ReasonReferralNotFound       = "referral_not_found"
	ReasonReferralRejected       = "referral_rejected"
	ReasonReferralMismatch       = "referral_patient_mismatch"
	ReasonSessionInconsistent    = "session_inconsistent"
	ReasonTCIBeforeDecision      = "tci_before_decision"
	ReasonWardNotFound           = "ward_not_found"
	ReasonWardRejected           = "ward_rejected"
	ReasonWrongColumnCount       = "wrong_column_count"
)

// ReasonNHSHeld is the reason a live patient row is refused as it is
// loaded, which no check of the extract can give: a live patient of the
// trust already holds its NHS number (registered by a feed or by hand
// before the migration, or by an earlier rehearsal), and one NHS number
// has one live record. It is OpenCRS's own, not one of the
// specification's codes (Reasons); the rows that depend on the patient
// are rejected in turn, as for a patient the checks rejected.
const ReasonNHSHeld = "nhs_number_held"

// Reasons lists every reason code, in the order of the specification.
var Reasons = []string{
	ReasonAdmittedAfterExtract, ReasonAppointmentAfterDeath, ReasonNotOutcomed, ReasonOutOfSlot,
	ReasonBadCode, ReasonBadDate, ReasonBadDatetime, ReasonBadFormat, ReasonBedDoubleOccupied,
	ReasonBedNotInWard, ReasonClinicNotFound, ReasonClinicRejected, ReasonClockAfterFirstEvent,
	ReasonClockBeforeReferral, ReasonDateAfterCensus, ReasonDeathBeforeBirth, ReasonDuplicateID,
	ReasonGPNotFound, ReasonGPRejected, ReasonHospitalNumberDup, ReasonMergeTargetInvalid,
	ReasonMergeTargetNotFound, ReasonMissingRequired, ReasonNHSCheckDigit, ReasonNHSDuplicate,
	ReasonNHSStatusMismatch, ReasonOutcomeInFuture, ReasonPathwayClosed, ReasonPathwayNoEvents,
	ReasonPathwayNotFound, ReasonPathwayRejected, ReasonPathwayPatientMismatch, ReasonPathwayCodeMismatch,
	ReasonPathwayInconsistent, ReasonAlreadyAdmitted, ReasonPatientDeceased, ReasonPatientMerged,
	ReasonPatientNotFound, ReasonPatientRejected, ReasonNotConsultantLed, ReasonReferralNotFound,
	ReasonReferralRejected, ReasonReferralMismatch, ReasonSessionInconsistent, ReasonTCIBeforeDecision,
	ReasonWardNotFound, ReasonWardRejected, ReasonWrongColumnCount,
}
