// Code lists of the statutory returns, as NHS England publishes them.

package nhs

// DM01Tests are the diagnostic tests of the monthly DM01 return (diagnostic
// waiting times and activity), in the return's order: imaging,
// physiological measurement, endoscopy.
var DM01Tests = []Code{
	{Code: "MRI", Description: "Magnetic Resonance Imaging"},
	{Code: "CT", Description: "Computed Tomography"},
	{Code: "NON_OBSTETRIC_ULTRASOUND", Description: "Non-obstetric Ultrasound"},
	{Code: "BARIUM_ENEMA", Description: "Barium Enema"},
	{Code: "DEXA_SCAN", Description: "DEXA Scan"},
	{Code: "AUDIOLOGY_ASSESSMENTS", Description: "Audiology - Audiology Assessments"},
	{Code: "ECHOCARDIOGRAPHY", Description: "Cardiology - Echocardiography"},
	{Code: "ELECTROPHYSIOLOGY", Description: "Cardiology - Electrophysiology"},
	{Code: "PERIPHERAL_NEUROPHYS", Description: "Neurophysiology - Peripheral Neurophysiology"},
	{Code: "SLEEP_STUDIES", Description: "Respiratory Physiology - Sleep Studies"},
	{Code: "URODYNAMICS", Description: "Urodynamics - Pressures & Flows"},
	{Code: "COLONOSCOPY", Description: "Colonoscopy"},
	{Code: "FLEXI_SIGMOIDOSCOPY", Description: "Flexi Sigmoidoscopy"},
	{Code: "CYSTOSCOPY", Description: "Cystoscopy"},
	{Code: "GASTROSCOPY", Description: "Gastroscopy"},
}

// KH03Sectors are the bed availability sectors of the quarterly KH03
// return.
var KH03Sectors = []Code{
	{Code: "General & Acute", Description: "KH03 bed availability sector: General and acute"},
	{Code: "Mental illness", Description: "KH03 bed availability sector: Mental illness"},
	{Code: "Learning disabilities", Description: "KH03 bed availability sector: Learning disabilities"},
	{Code: "Maternity", Description: "KH03 bed availability sector: Maternity"},
}
