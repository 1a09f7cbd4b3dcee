package rtt

import "strings"

// Line is one treatment function line of the monthly RTT return to NHS
// England (guidance s10.1.4): either one of the 18 treatment functions
// reported individually, or one of the five "Other" groups X02-X06 into
// which every other treatment function is aggregated.
type Line struct {
	Code string // "100" ... "502", or "X02" ... "X06"
	Name string // as printed on the return, e.g. "Other – Medical Services"
}

// lines are the return's treatment function lines in the order of the
// collection template (guidance s10.1.4, from April 2021).
var lines = []Line{
	{"100", "General Surgery Service"},
	{"101", "Urology Service"},
	{"110", "Trauma & Orthopaedics Service"},
	{"120", "Ear, Nose & Throat Service"},
	{"130", "Ophthalmology Service"},
	{"140", "Oral Surgery Service"},
	{"150", "Neurosurgery Service"},
	{"160", "Plastic Surgery Service"},
	{"170", "Cardiothoracic Surgery Service"},
	{"300", "General Internal Medicine Service"},
	{"301", "Gastroenterology Service"},
	{"320", "Cardiology Service"},
	{"330", "Dermatology Service"},
	{"340", "Respiratory Medicine Service"},
	{"400", "Neurology Service"},
	{"410", "Rheumatology Service"},
	{"430", "Elderly Medicine Service"},
	{"502", "Gynaecology Service"},
	{"X02", "Other – Medical Services"},
	{"X03", "Other – Mental Health Services"},
	{"X04", "Other – Paediatric Services"},
	{"X05", "Other – Surgical Services"},
	{"X06", "Other – Other Services"},
}

// Lines returns the treatment function lines of the monthly RTT return in
// template order, so that a report can print every line, including those
// with no pathways. The caller may modify the returned slice.
func Lines() []Line {
	return append([]Line(nil), lines...)
}

// ReportingLine returns the line of the monthly RTT return on which a
// pathway with activity treatment function code tfc is counted, and the
// line's name. The 18 high-volume treatment functions are reported on their
// own line; the named exceptions go to their parent (108, 111, 115 to 110
// Trauma & Orthopaedics; 144, 145 to 140 Oral Surgery; 172, 173 to 170
// Cardiothoracic Surgery); sub-specialties such as 306-309 and every other
// treatment function go to the "Other" group of their treatment function
// group, X02-X06 (guidance s10.1.4).
//
// A completed pathway is reported against the treatment function of the
// activity that stopped the clock; an incomplete one against its treatment
// function at the time of submission.
//
// The X02-X06 group of the codes the guidance does not name follows a
// published third-party grouping after NHS Digital's DCB0028; it has not
// been checked against the DCB0028 code list specification itself.
//
// ReportingLine returns two empty strings for a code that is not a current
// national treatment function (for example the defaults 199 and 499, retired
// codes, or a typing error): such a pathway cannot be placed on the return
// and must be corrected first.
func ReportingLine(tfc string) (code, name string) {
	code, ok := tfcLine[strings.TrimSpace(tfc)]
	if !ok {
		return "", ""
	}
	for _, l := range lines {
		if l.Code == code {
			return l.Code, l.Name
		}
	}
	return "", "" // unreachable: every tfcLine value is a line (tested)
}

// tfcLine maps each current national TREATMENT FUNCTION CODE to its line of
// the monthly RTT return (from rtt_treatment_function_map.csv).
var tfcLine = map[string]string{
	"100": "100", // General Surgery Service
	"101": "101", // Urology Service
	"102": "X05", // Transplant Surgery Service
	"103": "X05", // Breast Surgery Service
	"104": "X05", // Colorectal Surgery Service
	"105": "X05", // Hepatobiliary and Pancreatic Surgery Service
	"106": "X05", // Upper Gastrointestinal Surgery Service
	"107": "X05", // Vascular Surgery Service
	"108": "110", // Spinal Surgery Service
	"109": "X05", // Bariatric Surgery Service
	"110": "110", // Trauma and Orthopaedic Service
	"111": "110", // Orthopaedic Service
	"113": "X05", // Endocrine Surgery Service
	"115": "110", // Trauma Surgery Service
	"120": "120", // Ear Nose and Throat Service
	"130": "130", // Ophthalmology Service
	"140": "140", // Oral Surgery Service
	"141": "X05", // Restorative Dentistry Service
	"142": "X04", // Paediatric Dentistry Service
	"143": "X05", // Orthodontic Service
	"144": "140", // Maxillofacial Surgery Service
	"145": "140", // Oral and Maxillofacial Surgery Service
	"150": "150", // Neurosurgical Service
	"160": "160", // Plastic Surgery Service
	"161": "X05", // Burns Care Service
	"170": "170", // Cardiothoracic Surgery Service
	"171": "X04", // Paediatric Surgery Service
	"172": "170", // Cardiac Surgery Service
	"173": "170", // Thoracic Surgery Service
	"174": "X05", // Cardiothoracic Transplantation Service
	"180": "X02", // Emergency Medicine Service
	"190": "X02", // Anaesthetic Service
	"191": "X02", // Pain Management Service
	"192": "X02", // Intensive Care Medicine Service
	"200": "X02", // Aviation and Space Medicine Service
	"211": "X04", // Paediatric Urology Service
	"212": "X04", // Paediatric Transplantation Surgery Service
	"213": "X04", // Paediatric Gastrointestinal Surgery Service
	"214": "X04", // Paediatric Trauma and Orthopaedic Service
	"215": "X04", // Paediatric Ear Nose and Throat Service
	"216": "X04", // Paediatric Ophthalmology Service
	"217": "X04", // Paediatric Oral and Maxillofacial Surgery Service
	"218": "X04", // Paediatric Neurosurgery Service
	"219": "X04", // Paediatric Plastic Surgery Service
	"220": "X04", // Paediatric Burns Care Service
	"221": "X04", // Paediatric Cardiac Surgery Service
	"222": "X04", // Paediatric Thoracic Surgery Service
	"223": "X04", // Paediatric Epilepsy Service
	"230": "X04", // Paediatric Clinical Pharmacology Service
	"240": "X04", // Paediatric Palliative Medicine Service
	"241": "X04", // Paediatric Pain Management Service
	"242": "X04", // Paediatric Intensive Care Service
	"250": "X04", // Paediatric Hepatology Service
	"251": "X04", // Paediatric Gastroenterology Service
	"252": "X04", // Paediatric Endocrinology Service
	"253": "X04", // Paediatric Clinical Haematology Service
	"254": "X04", // Paediatric Audio Vestibular Medicine Service
	"255": "X04", // Paediatric Clinical Immunology and Allergy Service
	"256": "X04", // Paediatric Infectious Diseases Service
	"257": "X04", // Paediatric Dermatology Service
	"258": "X04", // Paediatric Respiratory Medicine Service
	"259": "X04", // Paediatric Nephrology Service
	"260": "X04", // Paediatric Medical Oncology Service
	"261": "X04", // Paediatric Inherited Metabolic Medicine Service
	"262": "X04", // Paediatric Rheumatology Service
	"263": "X04", // Paediatric Diabetes Service
	"264": "X04", // Paediatric Cystic Fibrosis Service
	"270": "X04", // Paediatric Emergency Medicine Service
	"280": "X04", // Paediatric Interventional Radiology Service
	"290": "X04", // Community Paediatric Service
	"291": "X04", // Paediatric Neurodisability Service
	"300": "300", // General Internal Medicine Service
	"301": "301", // Gastroenterology Service
	"302": "X02", // Endocrinology Service
	"303": "X02", // Clinical Haematology Service
	"304": "X02", // Clinical Physiology Service
	"305": "X02", // Clinical Pharmacology Service
	"306": "X02", // Hepatology Service
	"307": "X02", // Diabetes Service
	"308": "X02", // Blood and Marrow Transplantation Service
	"309": "X02", // Haemophilia Service
	"310": "X02", // Audio Vestibular Medicine Service
	"311": "X02", // Clinical Genetics Service
	"313": "X02", // Clinical Immunology and Allergy Service
	"314": "X02", // Rehabilitation Medicine Service
	"315": "X02", // Palliative Medicine Service
	"316": "X02", // Clinical Immunology Service
	"317": "X02", // Allergy Service
	"318": "X02", // Intermediate Care Service
	"319": "X02", // Respite Care Service
	"320": "320", // Cardiology Service
	"321": "X04", // Paediatric Cardiology Service
	"322": "X02", // Clinical Microbiology Service
	"323": "X02", // Spinal Injuries Service
	"324": "X02", // Anticoagulant Service
	"325": "X02", // Sport and Exercise Medicine Service
	"326": "X02", // Acute Internal Medicine Service
	"327": "X02", // Cardiac Rehabilitation Service
	"328": "X02", // Stroke Medicine Service
	"329": "X02", // Transient Ischaemic Attack Service
	"330": "330", // Dermatology Service
	"331": "X02", // Congenital Heart Disease Service
	"333": "X02", // Rare Disease Service
	"335": "X02", // Inherited Metabolic Medicine Service
	"340": "340", // Respiratory Medicine Service
	"341": "X02", // Respiratory Physiology Service
	"342": "X02", // Pulmonary Rehabilitation Service
	"343": "X02", // Adult Cystic Fibrosis Service
	"344": "X02", // Complex Specialised Rehabilitation Service
	"345": "X02", // Specialist Rehabilitation Service
	"346": "X02", // Local Specialist Rehabilitation Service
	"347": "X02", // Sleep Medicine Service
	"348": "X02", // Post-COVID-19 Syndrome Service
	"350": "X02", // Infectious Diseases Service
	"352": "X02", // Tropical Medicine Service
	"360": "X02", // Genitourinary Medicine Service
	"361": "X02", // Renal Medicine Service
	"370": "X02", // Medical Oncology Service
	"371": "X02", // Nuclear Medicine Service
	"400": "400", // Neurology Service
	"401": "X02", // Clinical Neurophysiology Service
	"410": "410", // Rheumatology Service
	"420": "X02", // Paediatric Service
	"421": "X04", // Paediatric Neurology Service
	"422": "X02", // Neonatal Critical Care Service
	"424": "X02", // Well Baby Service
	"430": "430", // Elderly Medicine Service
	"431": "X02", // Orthogeriatric Medicine Service
	"450": "X02", // Dental Medicine Service
	"451": "X02", // Special Care Dentistry Service
	"460": "X02", // Medical Ophthalmology Service
	"461": "X02", // Ophthalmic and Vision Science Service
	"501": "X02", // Obstetrics Service
	"502": "502", // Gynaecology Service
	"503": "X02", // Gynaecological Oncology Service
	"504": "X02", // Community Sexual and Reproductive Health Service
	"505": "X02", // Fetal Medicine Service
	"560": "X06", // Midwifery Service
	"650": "X06", // Physiotherapy Service
	"651": "X06", // Occupational Therapy Service
	"652": "X06", // Speech and Language Therapy Service
	"653": "X06", // Podiatry Service
	"654": "X06", // Dietetics Service
	"655": "X06", // Orthoptics Service
	"656": "X03", // Clinical Psychology Service
	"657": "X06", // Prosthetics Service
	"658": "X06", // Orthotics Service
	"659": "X06", // Dramatherapy Service
	"660": "X06", // Art Therapy Service
	"661": "X06", // Music Therapy Service
	"662": "X06", // Optometry Service
	"663": "X06", // Podiatric Surgery Service
	"670": "X06", // Urological Physiology Service
	"673": "X06", // Vascular Physiology Service
	"675": "X06", // Cardiac Physiology Service
	"677": "X06", // Gastrointestinal Physiology Service
	"700": "X03", // Learning Disability Service
	"710": "X03", // Adult Mental Health Service
	"711": "X03", // Child and Adolescent Psychiatry Service
	"712": "X03", // Forensic Psychiatry Service
	"713": "X03", // Medical Psychotherapy Service
	"715": "X03", // Old Age Psychiatry Service
	"720": "X03", // Eating Disorders Service
	"721": "X03", // Addiction Service
	"722": "X03", // Liaison Psychiatry Service
	"723": "X03", // Psychiatric Intensive Care Service
	"724": "X03", // Perinatal Mental Health Service
	"725": "X03", // Mental Health Recovery and Rehabilitation Service
	"726": "X03", // Mental Health Dual Diagnosis Service
	"727": "X03", // Dementia Assessment Service
	"730": "X03", // Neuropsychiatry Service
	"800": "X06", // Clinical Oncology Service
	"811": "X06", // Interventional Radiology Service
	"812": "X06", // Diagnostic Imaging Service
	"822": "X06", // Chemical Pathology Service
	"834": "X02", // Medical Virology Service
	"840": "X06", // Audiology Service
	"920": "X06", // Diabetic Education Service
}
