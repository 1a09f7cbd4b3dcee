// Code lists of the Emergency Care Data Set (ECDS) that the A&E screens
// record, beside the arrival modes and discharge destinations of codes.go.

package nhs

// EDAttendanceCategories is the EMERGENCY CARE ATTENDANCE CATEGORY: whether
// an attendance is a first or follow-up one, planned or not.
var EDAttendanceCategories = []Code{
	{Code: "1", Description: "Unplanned first attendance for a new clinical condition (or deterioration of a chronic condition)"},
	{Code: "2", Description: "Unplanned follow-up attendance for the same or a related condition within 7 days of the first attendance at this department"},
	{Code: "3", Description: "Unplanned follow-up attendance for the same or a related condition within 7 days of the first attendance at another department"},
	{Code: "4", Description: "Planned follow-up attendance within 7 days of the first attendance at this department"},
	{Code: "X", Description: "Not applicable (patient dead on arrival in the department)"},
}

// EDAcuities is the EMERGENCY CARE ACUITY (SNOMED CT): how urgently the
// patient needs care, assessed at initial assessment. Its five levels are
// the five triage categories, in the same order: category 1 is the first
// code and category 5 the last.
var EDAcuities = []Code{
	{Code: "1064891000000107", Description: "Immediate resuscitation level emergency care"},
	{Code: "1064911000000105", Description: "Very urgent level emergency care"},
	{Code: "1064901000000108", Description: "Urgent level emergency care"},
	{Code: "1077241000000103", Description: "Standard level emergency care"},
	{Code: "1077251000000100", Description: "Low acuity level emergency care"},
}

// EDAcuityForTriage returns the EMERGENCY CARE ACUITY of a triage category
// from 1 (immediate) to 5 (non-urgent), or "" for any other number.
func EDAcuityForTriage(category int) string {
	if category < 1 || category > len(EDAcuities) {
		return ""
	}
	return EDAcuities[category-1].Code
}

// EDChiefComplaints is a sample of the EMERGENCY CARE CHIEF COMPLAINT
// (SNOMED CT) concepts: the patient's main complaint as the clinician
// records it at initial assessment. The national list is longer; these are
// the complaints the department records most often.
var EDChiefComplaints = []Code{
	{Code: "21522001", Description: "Abdominal pain"},
	{Code: "29857009", Description: "Chest pain"},
	{Code: "267036007", Description: "Breathlessness"},
	{Code: "25064002", Description: "Headache"},
	{Code: "49727002", Description: "Cough"},
	{Code: "386661006", Description: "Fever"},
	{Code: "422587007", Description: "Nausea"},
	{Code: "80313002", Description: "Palpitations"},
	{Code: "271594007", Description: "Fainting"},
	{Code: "161891005", Description: "Back pain"},
}

// EDDischargeStatuses is the EMERGENCY CARE DISCHARGE STATUS (SNOMED CT):
// how the attendance ended, whether treatment was completed, the patient
// left early, was streamed elsewhere or died.
var EDDischargeStatuses = []Code{
	{Code: "182992009", Description: "Treatment completed"},
	{Code: "1066301000000103", Description: "Left care setting before initial assessment"},
	{Code: "1066311000000101", Description: "Left care setting after initial assessment"},
	{Code: "1066321000000107", Description: "Left care setting before treatment completed"},
	{Code: "1077021000000100", Description: "Streamed from emergency department to general practitioner following initial assessment"},
	{Code: "1077031000000103", Description: "Streamed from emergency department to urgent care service following initial assessment"},
	{Code: "1077041000000107", Description: "Streamed from emergency department to mental health service following initial assessment"},
	{Code: "1077051000000105", Description: "Streamed from emergency department to dental service following initial assessment"},
	{Code: "1077061000000108", Description: "Streamed from emergency department to ophthalmology service following initial assessment"},
	{Code: "1077071000000101", Description: "Streamed from emergency department to pharmacy service following initial assessment"},
	{Code: "1077081000000104", Description: "Streamed from emergency department to ambulatory emergency care service following initial assessment"},
	{Code: "1077091000000102", Description: "Streamed from emergency department to falls service following initial assessment"},
	{Code: "1077101000000105", Description: "Streamed from emergency department to frailty service following initial assessment"},
	{Code: "1077781000000101", Description: "Streamed to emergency department following initial assessment"},
	{Code: "1324201000000109", Description: "Streamed from emergency department to inpatient unit following initial assessment"},
	{Code: "63238001", Description: "Dead on arrival at hospital"},
	{Code: "75004002", Description: "Emergency room admission, died in emergency room"},
}
