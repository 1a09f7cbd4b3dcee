package fhir

import (
	"html"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A resource's narrative (its text) is what a system that does not know
// the resource's profile shows a person: a GP system's record viewer, a
// clinical portal. The resources the API serves from the PAS's own
// records carry one generated from the resource itself, so that it never
// says more than the data; what a system stored in the resource store
// keeps the narrative it sent.

// xhtmlDiv builds the div of a generated narrative. Every word written
// into it is escaped, so that what a person typed (a name with a "<" or
// an "&") comes out as text, never as markup; it writes only the few
// elements R4 allows a narrative (txt-1: p, table, tr, th, td), no
// attributes but the div's namespace.
type xhtmlDiv struct {
	b     strings.Builder
	table bool // a table is open
}

// para writes a paragraph of the words given, one after the other.
func (d *xhtmlDiv) para(words ...string) {
	d.start()
	d.closeTable()
	d.b.WriteString("<p>")
	for _, w := range words {
		d.b.WriteString(html.EscapeString(w))
	}
	d.b.WriteString("</p>")
}

// row writes a row of the two-column table of facts: what it is and its
// value; a fact without a value is left out.
func (d *xhtmlDiv) row(label, value string) {
	if value == "" {
		return
	}
	d.start()
	if !d.table {
		d.b.WriteString("<table>")
		d.table = true
	}
	d.b.WriteString("<tr><th>" + html.EscapeString(label) + "</th><td>" + html.EscapeString(value) + "</td></tr>")
}

func (d *xhtmlDiv) start() {
	if d.b.Len() == 0 {
		d.b.WriteString(`<div xmlns="` + xhtmlNS + `">`)
	}
}

func (d *xhtmlDiv) closeTable() {
	if d.table {
		d.b.WriteString("</table>")
		d.table = false
	}
}

// empty reports whether nothing was written.
func (d *xhtmlDiv) empty() bool { return d.b.Len() == 0 }

// narrative is the generated narrative of what was written.
func (d *xhtmlDiv) narrative() jsonNarrative {
	d.start()
	d.closeTable()
	return jsonNarrative{Status: "generated", Div: d.b.String() + "</div>"}
}

// withNarrative sets a resource of the PAS's records' text to the
// narrative generated from it (the text a system sent, kept beside a
// patient's record, is not served). A type without one is left as it is.
func withNarrative(r Resource) {
	write := narratives[r.Type()]
	if write == nil {
		return
	}
	var d xhtmlDiv
	write(&d, r)
	if d.empty() { // txt-2: a narrative says something
		d.para(r.Type(), " ", r.ID())
	}
	n := d.narrative()
	r["text"] = map[string]any{"status": n.Status, "div": n.Div}
}

// narratives write the facts a ward clerk or a clinician looks for in
// each type the API serves from the PAS, in the order they look for
// them.
var narratives = map[string]func(*xhtmlDiv, Resource){
	"Patient":          patientNarrative,
	"Encounter":        encounterNarrative,
	"EpisodeOfCare":    episodeNarrative,
	"ServiceRequest":   referralNarrative,
	"Appointment":      appointmentNarrative,
	"Slot":             slotNarrative,
	"Schedule":         scheduleNarrative,
	"Location":         locationNarrative,
	"Organization":     organizationNarrative,
	"Practitioner":     practitionerNarrative,
	"PractitionerRole": roleNarrative,
	"AuditEvent":       auditNarrative,
}

func patientNarrative(d *xhtmlDiv, r Resource) {
	names := array(r["name"])
	for i, x := range names {
		n, _ := x.(map[string]any)
		// The official name; a record with none (another system's,
		// registered with its name unknown) shows its first.
		if n["use"] != "official" && (i > 0 || len(names) > 1) {
			continue
		}
		name := strings.ToUpper(text(n["family"]))
		if given := strings.Join(strs(n["given"]), " "); given != "" && name != "" {
			name += ", " + given
		} else if given != "" {
			name = given
		} else if name == "" {
			name = text(n["text"])
		}
		if title := strings.Join(strs(n["prefix"]), " "); title != "" {
			name += " (" + title + ")"
		}
		if name != "" {
			d.row("Name", name)
		}
		break
	}
	for _, x := range array(r["identifier"]) {
		id, _ := x.(map[string]any)
		switch id["system"] {
		case SystemNHSNumber:
			v := spacedNHSNumber(text(id["value"]))
			for _, e := range array(id["extension"]) {
				if ext, _ := e.(map[string]any); ext["url"] == extNHSNumberVerification {
					if status := conceptText(ext["valueCodeableConcept"]); status != "" {
						v += " (" + status + ")"
					}
				}
			}
			d.row("NHS number", v)
		case SystemHospitalNumber:
			d.row("Hospital number", text(id["value"]))
		}
	}
	d.row("Date of birth", shownDate(r["birthDate"]))
	d.row("Gender", capitalised(text(r["gender"])))
	if died := shownTime(r["deceasedDateTime"]); died != "" {
		d.row("Died", died)
	} else if r["deceasedBoolean"] == true {
		d.row("Died", "yes")
	}
	for _, x := range array(r["address"]) {
		a, _ := x.(map[string]any)
		d.row("Address", strings.Join(append(strs(a["line"]), text(a["postalCode"])), ", "))
		break
	}
	for _, x := range array(r["generalPractitioner"]) {
		g, _ := x.(map[string]any)
		label := "Registered GP"
		if g["type"] == "Organization" {
			label = "GP practice"
		}
		d.row(label, referenceText(g))
	}
	for _, x := range array(r["link"]) {
		l, _ := x.(map[string]any)
		other, _ := l["other"].(map[string]any)
		switch l["type"] {
		case "replaced-by":
			d.row("Merged into", text(other["reference"]))
		case "replaces":
			d.row("Merged from", text(other["reference"]))
		}
	}
}

func encounterNarrative(d *xhtmlDiv, r Resource) {
	cls, _ := r["class"].(map[string]any)
	d.row("Encounter", capitalised(text(cls["display"])))
	d.row("Status", codeText(r["status"]))
	periodRows(d, r["period"], shownTime)
	d.row("Visit number", identifierValue(r, SystemVisitNumber))
	arrivalRows(d, r)
	for _, x := range array(r["location"]) {
		l, _ := x.(map[string]any)
		if label := placeLabel(l); label != "" {
			d.row(label, referenceText(l["location"]))
		}
	}
	d.row("Ward and bed", strings.Join(lastPlaces(r), ", "))
	for _, x := range array(r["participant"]) {
		p, _ := x.(map[string]any)
		d.row(participantRow(p))
	}
	d.row("Treatment function", conceptText(r["serviceType"]))
	d.row("Reason", conceptsText(r["reasonCode"]))
	departureRows(d, r)
	h, _ := r["hospitalization"].(map[string]any)
	d.row("Admission method", extensionText(h, extAdmissionMethod))
	d.row("Source of admission", conceptText(h["admitSource"]))
	d.row("Discharge method", extensionText(r, extDischargeMethod))
	d.row("Discharge destination", conceptText(h["dischargeDisposition"]))
}

// lastPlaces are the wards and beds of an Encounter the patient is in
// now, or, once they have left them all, the ward and bed they were in
// last; an A&E area or a clinic room has a row of its own (placeLabel).
func lastPlaces(r Resource) []string {
	var now []string
	var ward, bed string
	for _, x := range array(r["location"]) {
		l, _ := x.(map[string]any)
		if placeLabel(l) != "" {
			continue
		}
		name := referenceText(l["location"])
		if l["status"] == "active" {
			now = append(now, name)
		}
		if hasCode(l["physicalType"], csLocationPhysical, "bd") {
			bed = name
		} else {
			ward, bed = name, ""
		}
	}
	if now != nil {
		return now
	}
	return slices.DeleteFunc([]string{ward, bed}, func(s string) bool { return s == "" })
}

// extensionText is what the CodeableConcept of an extension of x says.
func extensionText(x map[string]any, url string) string {
	if v := extensionValue(x, url, "valueCodeableConcept"); v != nil {
		return conceptText(v)
	}
	return ""
}

// extensionValue is the value (of the element named value, valueCoding)
// of x's extension url, nil when x has none.
func extensionValue(x map[string]any, url, value string) any {
	for _, e := range array(x["extension"]) {
		if ext, _ := e.(map[string]any); ext["url"] == url {
			return ext[value]
		}
	}
	return nil
}

func episodeNarrative(d *xhtmlDiv, r Resource) {
	d.row("Episode", conceptsText(r["type"]))
	d.row("Status", codeText(r["status"]))
	d.row("Pathway (PPI)", identifierValue(r, SystemPPI))
	periodRows(d, r["period"], shownDate)
	d.row("Consultant", referenceText(r["careManager"]))
}

func referralNarrative(d *xhtmlDiv, r Resource) {
	d.row("Request", conceptsText(r["category"]))
	d.row("Status", codeText(r["status"]))
	d.row("Priority", codeText(r["priority"]))
	d.row("Received", shownDate(r["authoredOn"]))
	d.row("UBRN", identifierValue(r, SystemUBRN))
	d.row("Referred by", referenceText(r["requester"]))
	for _, x := range array(r["performer"]) {
		d.row("Consultant", referenceText(x))
	}
	d.row("Reason", conceptsText(r["reasonCode"]))
}

func appointmentNarrative(d *xhtmlDiv, r Resource) {
	d.row("Appointment", conceptText(r["appointmentType"]))
	d.row("Status", codeText(r["status"]))
	d.row("Clinic", text(r["description"]))
	d.row("Start", shownTime(r["start"]))
	if r["end"] != r["start"] {
		d.row("End", shownTime(r["end"]))
	}
	for _, x := range array(r["participant"]) {
		p, _ := x.(map[string]any)
		actor, _ := p["actor"].(map[string]any)
		switch ref := text(actor["reference"]); {
		case strings.HasPrefix(ref, "Practitioner/"):
			d.row("Consultant", referenceText(actor))
		case strings.HasPrefix(ref, "Location/"):
			d.row("Where", referenceText(actor))
		}
	}
	d.row("Booked", shownTime(r["created"]))
	d.row("Cancellation", conceptText(r["cancelationReason"]))
}

func slotNarrative(d *xhtmlDiv, r Resource) {
	d.row("Slot", conceptText(r["appointmentType"]))
	d.row("Status", codeText(r["status"]))
	d.row("Start", shownTime(r["start"]))
	d.row("End", shownTime(r["end"]))
	d.row("Clinic", referenceText(r["schedule"]))
}

func scheduleNarrative(d *xhtmlDiv, r Resource) {
	d.row("Clinic", text(r["comment"]))
	d.row("Clinic code", identifierValue(r, SystemClinicCode))
	d.row("Active", yesNo(r["active"]))
	for _, x := range array(r["actor"]) {
		a, _ := x.(map[string]any)
		label := "Held by"
		if strings.HasPrefix(text(a["reference"]), "Location/") {
			label = "Room"
		}
		d.row(label, referenceText(a))
	}
	d.row("Specialty", conceptsText(r["specialty"]))
	d.row("Treatment function", conceptsText(r["serviceType"]))
}

func locationNarrative(d *xhtmlDiv, r Resource) {
	d.row("Location", text(r["name"]))
	d.row("Code", identifierValue(r, SystemLocationCode))
	d.row("Kind", conceptText(r["physicalType"]))
	d.row("Status", codeText(r["status"]))
	if st, _ := r["operationalStatus"].(map[string]any); st != nil {
		d.row("Bed", text(st["display"]))
	}
	d.row("Part of", referenceText(r["partOf"]))
}

func organizationNarrative(d *xhtmlDiv, r Resource) {
	d.row("Organisation", text(r["name"]))
	d.row("ODS code", identifierValue(r, SystemODSCode))
	d.row("Kind", conceptsText(r["type"]))
	for _, x := range array(r["address"]) {
		a, _ := x.(map[string]any)
		d.row("Postcode", text(a["postalCode"]))
	}
}

func practitionerNarrative(d *xhtmlDiv, r Resource) {
	for _, x := range array(r["name"]) {
		n, _ := x.(map[string]any)
		d.row("Name", text(n["text"]))
	}
	d.row("Consultant code", identifierValue(r, SystemConsultantCode))
}

func roleNarrative(d *xhtmlDiv, r Resource) {
	d.row("Role", conceptsText(r["code"]))
	d.row("Consultant code", identifierValue(r, SystemConsultantCode))
	d.row("Specialty", conceptsText(r["specialty"]))
	var rooms []string
	for _, x := range array(r["location"]) {
		rooms = append(rooms, referenceText(x))
	}
	d.row("Rooms", strings.Join(rooms, ", "))
}

func auditNarrative(d *xhtmlDiv, r Resource) {
	var action string
	for _, x := range array(r["subtype"]) {
		c, _ := x.(map[string]any)
		action = firstNonEmpty(text(c["display"]), text(c["code"]))
	}
	d.row("Action", action)
	d.row("Recorded", shownTime(r["recorded"]))
	if r["outcome"] != "0" {
		d.row("Outcome", "refused")
	}
	for _, x := range array(r["agent"]) {
		a, _ := x.(map[string]any)
		d.row("User", referenceText(a["who"]))
		d.row("Role", conceptsText(a["role"]))
	}
	d.row("Purpose", conceptsText(r["purposeOfEvent"]))
	for _, x := range array(r["entity"]) {
		e, _ := x.(map[string]any)
		d.row("Patient", referenceText(e["what"]))
		d.row("What", text(e["description"]))
	}
}

// periodRows writes a period's start and end, each as at writes it.
func periodRows(d *xhtmlDiv, p any, at func(any) string) {
	m, _ := p.(map[string]any)
	d.row("From", at(m["start"]))
	d.row("To", at(m["end"]))
}

func text(v any) string { s, _ := v.(string); return s }

// codeText is a code as words: in-progress as "in progress".
func codeText(v any) string { return strings.ReplaceAll(text(v), "-", " ") }

func capitalised(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return ""
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func yesNo(v any) string {
	switch v {
	case true:
		return "yes"
	case false:
		return "no"
	}
	return ""
}

// spacedNHSNumber writes an NHS number as it is printed and read out,
// 3-3-4 (943 476 5919).
func spacedNHSNumber(n string) string {
	if len(n) != 10 {
		return n
	}
	return n[:3] + " " + n[3:6] + " " + n[6:]
}

// shownDate writes a date as the NHS displays it (03-Feb-1961); a partial
// date as it is.
func shownDate(v any) string {
	s := text(v)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Format("02-Jan-2006")
	}
	return s
}

// shownTime writes a time as the NHS displays it, in UK time
// (03-Feb-2026 14:30).
func shownTime(v any) string {
	s := text(v)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(london).Format("02-Jan-2006 15:04")
	}
	return shownDate(s)
}

// conceptsText is a list of CodeableConcepts in words.
func conceptsText(v any) string {
	var out []string
	for _, x := range array(v) {
		if t := conceptText(x); t != "" {
			out = append(out, t)
		}
	}
	return strings.Join(out, ", ")
}

// referenceText is a Reference in words: its display with the
// identifier it names by, else either, else the resource it refers to.
func referenceText(v any) string {
	r, _ := v.(map[string]any)
	id, _ := r["identifier"].(map[string]any)
	display, value := text(r["display"]), text(id["value"])
	switch {
	case display != "" && value != "":
		return display + " (" + value + ")"
	case display != "" || value != "":
		return display + value
	}
	return text(r["reference"])
}

// identifierValue is the value of a resource's identifier of system.
func identifierValue(r Resource, system string) string {
	for _, x := range array(r["identifier"]) {
		if id, _ := x.(map[string]any); id["system"] == system {
			return text(id["value"])
		}
	}
	return ""
}
