package fhir

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// Identifier systems, extensions and profiles of UK Core that the typed
// core is served with.
const (
	SystemNHSNumber   = "https://fhir.nhs.uk/Id/nhs-number"
	SystemODSCode     = "https://fhir.nhs.uk/Id/ods-organization-code"
	SystemODSSiteCode = "https://fhir.nhs.uk/Id/ods-site-code"
	SystemGMPNumber   = "https://fhir.hl7.org.uk/Id/gmp-number"
	// SystemHospitalNumber is the namespace of a trust's hospital numbers
	// (MRN); the assigner says which trust's.
	SystemHospitalNumber = "https://opencrs.org/Id/hospital-number"

	extNHSNumberVerification = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
	csNHSNumberVerification  = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"
	extEthnicCategory        = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
	csEthnicCategory         = "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"
	profileBase              = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"
	// extHeldCopy marks, beside the record, the copy of an element the PMI
	// holds sent with more than the PMI keeps of it (a phone's rank or
	// period, an NHS number's assigner, an address's text): its valueCode
	// names which (heldSlots). It is never served.
	extHeldCopy = "https://opencrs.org/fhir/StructureDefinition/held-copy"
)

// patientElements are the elements of a Patient the PMI holds: on a
// write they are read into the typed record, on a read they are written
// from it. Everything else a system sends is kept beside the record (see
// patientExtras).
var patientElements = map[string]bool{
	"resourceType": true, "id": true, "meta": true, "identifier": true, "active": true, "name": true,
	"telecom": true, "gender": true, "birthDate": true, "deceasedDateTime": true, "deceasedBoolean": true,
	"address": true, "contact": true, "generalPractitioner": true, "extension": true, "link": true,
}

// patientResource writes a patient of the PMI as a UK Core Patient. kept
// is what a system sent that the PMI does not hold (nil for none): its
// elements are served after the PMI's own.
func patientResource(p *crs.Patient, kept Resource) Resource {
	r := Resource{"resourceType": "Patient", "id": p.ID}
	meta := map[string]any{"versionId": strconv.Itoa(p.Version), "lastUpdated": p.UpdatedAt.UTC().Format(instant),
		"profile": []any{profileBase + "Patient"}}
	r["meta"] = meta
	var ids []any
	if p.NHSNumber != "" {
		id := map[string]any{"system": SystemNHSNumber, "value": p.NHSNumber}
		if p.NHSNumberStatus != "" {
			id["extension"] = []any{map[string]any{"url": extNHSNumberVerification, "valueCodeableConcept": codeable(csNHSNumberVerification, string(p.NHSNumberStatus), p.NHSNumberStatus.Description())}}
		}
		ids = append(ids, id)
	}
	if p.MRN != "" {
		ids = append(ids, map[string]any{"system": SystemHospitalNumber, "value": p.MRN,
			"type": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR", "display": "Medical record number"}}}})
	}
	r["identifier"] = ids
	r["active"] = p.Active()
	name := map[string]any{"use": "official"}
	if p.FamilyName != "" {
		name["family"] = p.FamilyName
	}
	given := []any{}
	if p.GivenName != "" {
		given = append(given, p.GivenName)
	}
	for _, n := range strings.Fields(p.OtherNames) {
		given = append(given, n)
	}
	if len(given) > 0 {
		name["given"] = given
	}
	if p.Title != "" {
		name["prefix"] = []any{p.Title}
	}
	if len(name) > 1 {
		r["name"] = []any{name}
	}
	var telecom []any
	for _, t := range [][3]string{{"phone", "home", p.Phone}, {"phone", "mobile", p.Mobile}, {"email", "home", p.Email}} {
		if t[2] != "" {
			telecom = append(telecom, map[string]any{"system": t[0], "use": t[1], "value": t[2]})
		}
	}
	if telecom != nil {
		r["telecom"] = telecom
	}
	r["gender"] = fhirGender[p.Gender]
	if !p.BirthDate.IsZero() {
		r["birthDate"] = p.BirthDate.String()
	}
	if p.DeathTime != nil {
		r["deceasedDateTime"] = p.DeathTime.UTC().Format(time.RFC3339)
	}
	if len(p.Address.Lines) > 0 || p.Address.Postcode != "" {
		a := map[string]any{"use": "home"}
		if len(p.Address.Lines) > 0 {
			lines := make([]any, len(p.Address.Lines))
			for i, l := range p.Address.Lines {
				lines[i] = l
			}
			a["line"] = lines
		}
		if p.Address.Postcode != "" {
			a["postalCode"] = p.Address.Postcode
		}
		r["address"] = []any{a}
	}
	// A contact kept as sent (with what the PMI does not hold of it) is
	// served in place of the PMI's while the PMI's contact agrees with it.
	copies := array(kept["contact"])
	var contacts []any
	for i, c := range p.Contacts {
		ct := contactResource(i, c)
		for j, x := range copies {
			if sent, _ := x.(map[string]any); sent != nil && contactOf(sent) == c {
				ct = sent
				copies = slices.Delete(slices.Clone(copies), j, j+1)
				break
			}
		}
		if len(ct) > 0 {
			contacts = append(contacts, ct)
		}
	}
	if contacts != nil {
		r["contact"] = contacts
	}
	var gp []any
	if p.GPPracticeCode != "" {
		ref := map[string]any{"type": "Organization", "reference": "Organization/" + gpOrganizationID(p.GPPracticeCode),
			"identifier": map[string]any{"system": SystemODSCode, "value": p.GPPracticeCode}}
		if p.GPPracticeName != "" {
			ref["display"] = p.GPPracticeName
		}
		gp = append(gp, ref)
	}
	if p.GPCode != "" {
		ref := map[string]any{"type": "Practitioner", "identifier": map[string]any{"system": SystemGMPNumber, "value": p.GPCode}}
		if p.GPName != "" {
			ref["display"] = p.GPName
		}
		gp = append(gp, ref)
	}
	if gp != nil {
		r["generalPractitioner"] = gp
	}
	if p.EthnicCategory != "" {
		desc, _ := nhs.Lookup(nhs.EthnicCategories, p.EthnicCategory)
		r["extension"] = []any{map[string]any{"url": extEthnicCategory, "valueCodeableConcept": codeable(csEthnicCategory, p.EthnicCategory, desc)}}
	}
	if p.MergedInto != "" {
		r["link"] = []any{map[string]any{"other": map[string]any{"reference": "Patient/" + p.MergedInto}, "type": "replaced-by"}}
	}
	for k, v := range kept {
		switch k {
		case "resourceType", "id":
		case "meta":
			km, _ := v.(map[string]any)
			for mk, mv := range km {
				switch mk {
				case "versionId", "lastUpdated":
				case "profile":
					meta["profile"] = appendNew(meta["profile"].([]any), mv)
				default:
					meta[mk] = mv
				}
			}
		case "name":
			r[k] = withKeptNames(array(r[k]), array(v))
		case "contact": // above
		case "deceasedBoolean":
			if p.DeathTime == nil {
				r[k] = v
			}
		default:
			if arr, ok := v.([]any); ok {
				have, _ := r[k].([]any)
				have, arr = withHeldCopies(p, have, arr)
				r[k] = append(have, arr...)
			} else if _, held := r[k]; !held {
				r[k] = v
			}
		}
	}
	return r
}

// contactResource writes a contact of the PMI as a Patient.contact, the
// first as the next of kin.
func contactResource(i int, c crs.Contact) map[string]any {
	rel := map[string]any{}
	if i == 0 {
		rel["coding"] = []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "N", "display": "Next-of-Kin"}}
	}
	if c.Relationship != "" {
		rel["text"] = c.Relationship
	}
	ct := map[string]any{}
	if len(rel) > 0 {
		ct["relationship"] = []any{rel}
	}
	if c.Name != "" {
		ct["name"] = map[string]any{"text": c.Name}
	}
	if c.Phone != "" {
		ct["telecom"] = []any{map[string]any{"system": "phone", "value": c.Phone}}
	}
	return ct
}

// contactOf reads what the PMI holds of a Patient.contact: its name,
// relationship and first phone.
func contactOf(c map[string]any) crs.Contact {
	var ct crs.Contact
	if n, ok := c["name"].(map[string]any); ok {
		ct.Name, _ = n["text"].(string)
		if ct.Name == "" {
			ct.Name = strings.TrimSpace(strings.Join(append(strs(n["given"]), fmt.Sprint(orEmpty(n["family"]))), " "))
		}
	}
	for _, rel := range array(c["relationship"]) {
		rm, _ := rel.(map[string]any)
		if t, ok := rm["text"].(string); ok && ct.Relationship == "" {
			ct.Relationship = t
		}
		for _, cd := range array(rm["coding"]) {
			cm, _ := cd.(map[string]any)
			if d, ok := cm["display"].(string); ok && ct.Relationship == "" && cm["code"] != "N" {
				ct.Relationship = d
			}
		}
	}
	for _, t := range array(c["telecom"]) {
		tm, _ := t.(map[string]any)
		if v, ok := tm["value"].(string); ok && tm["system"] == "phone" && ct.Phone == "" {
			ct.Phone = v
		}
	}
	return ct
}

// withKeptNames adds the names kept beside a record to the PMI's name:
// a kept copy of the PMI's name (with a suffix or period the PMI does
// not hold) takes its place while it agrees with it, and is left out
// once the name was changed in the PAS; other names follow.
func withKeptNames(names []any, kept []any) []any {
	if len(names) == 0 {
		// The PMI holds no name (a record another system registered
		// without one): what was kept is all there is.
		return kept
	}
	held, _ := names[0].(map[string]any)
	key := func(n map[string]any) string {
		return fmt.Sprint(n["family"], "|", strings.Join(strings.Fields(strings.Join(strs(n["given"]), " ")), " "), "|", strings.Join(strs(n["prefix"]), " "))
	}
	for _, x := range kept {
		n, _ := x.(map[string]any)
		switch {
		case key(n) == key(held):
			names[0] = n
		case n["use"] == held["use"] || n["use"] == nil:
		default:
			names = append(names, x)
		}
	}
	return names
}

// appendNew appends the values of v (an array) not in have.
func appendNew(have []any, v any) []any {
	arr, _ := v.([]any)
	for _, x := range arr {
		dup := false
		for _, h := range have {
			dup = dup || h == x
		}
		if !dup {
			have = append(have, x)
		}
	}
	return have
}

func codeable(system, code, display string) map[string]any {
	c := map[string]any{"system": system, "code": code}
	if display != "" {
		c["display"] = display
	}
	return map[string]any{"coding": []any{c}}
}

// gpOrganizationID is the id a GP practice is served with as an
// Organization: its ODS code.
func gpOrganizationID(code string) string { return "gp-" + code }

var fhirGender = map[string]string{"1": "male", "2": "female", "9": "other", "X": "unknown", "": "unknown"}
var pmiGender = map[string]string{"male": "1", "female": "2", "other": "9", "unknown": "X"}

// patientFromResource reads a Patient into the PMI's record p (a new one,
// or a copy of the record being updated) and returns what the PMI does
// not hold, to be kept beside the record (nil when nothing is). What it
// cannot take is refused with an *Outcome naming each element.
func patientFromResource(r Resource, p *crs.Patient) (Resource, error) {
	// Another system may know less of a patient than a clerk must enter:
	// the names and the date of birth are not required (UK Core's
	// Patient needs neither).
	p.PartsUnknown = true
	var issues []Issue
	refuse := func(code, at, format string, args ...any) {
		issues = append(issues, Issue{Severity: "error", Code: code, Diagnostics: fmt.Sprintf(format, args...), Expression: at})
	}
	// bad is what the PMI does not hold or take so (a second NHS number,
	// a partial date of birth, a link); wrong a value that is no value of
	// its kind (an NHS number failing its check digit, a date that is
	// none); notCode a code its code system does not have.
	bad := func(at, format string, args ...any) { refuse("not-supported", at, format, args...) }
	wrong := func(at, format string, args ...any) { refuse("value", at, format, args...) }
	notCode := func(at, format string, args ...any) { refuse("code-invalid", at, format, args...) }
	kept := Resource{}
	keep := func(k string, v any) {
		if arr, ok := v.([]any); ok {
			have, _ := kept[k].([]any)
			kept[k] = append(have, arr...)
			return
		}
		kept[k] = v
	}
	for k, v := range r {
		// The narrative is generated from the record on every read: the
		// one a system sends back with a change is that, or its own
		// words for the record, and is neither refused nor kept.
		if !patientElements[k] && k != "text" {
			keep(k, v)
		}
	}
	if m, ok := r["meta"].(map[string]any); ok {
		km := map[string]any{}
		for k, v := range m {
			if k != "versionId" && k != "lastUpdated" {
				km[k] = v
			}
		}
		if prof, ok := km["profile"].([]any); ok {
			var others []any
			for _, x := range prof {
				if x != profileBase+"Patient" {
					others = append(others, x)
				}
			}
			if others == nil {
				delete(km, "profile")
			} else {
				km["profile"] = others
			}
		}
		if len(km) > 0 {
			kept["meta"] = km
		}
	}

	// Identifiers: the NHS number with its verification status and the
	// hospital number are held; others are kept.
	p.NHSNumber, p.NHSNumberStatus = "", ""
	nhsSeen := false
	for i, x := range array(r["identifier"]) {
		id, _ := x.(map[string]any)
		at := fmt.Sprintf("Patient.identifier[%d]", i)
		system, _ := id["system"].(string)
		value, _ := id["value"].(string)
		switch system {
		case SystemNHSNumber:
			if nhsSeen {
				bad(at, "a patient has one NHS number; this is a second")
				continue
			}
			nhsSeen = true
			n, err := nhs.ParseNumber(value)
			if err != nil {
				wrong(at+".value", "NHS number %q %v", value, err)
				continue
			}
			p.NHSNumber = n
			for j, e := range array(id["extension"]) {
				ext, _ := e.(map[string]any)
				if ext["url"] != extNHSNumberVerification {
					bad(fmt.Sprintf("%s.extension[%d]", at, j), "the PMI holds only the NHS number verification status on an NHS number")
					continue
				}
				code := codingCode(ext["valueCodeableConcept"], csNHSNumberVerification)
				if !nhs.NumberStatus(code).Valid() {
					notCode(fmt.Sprintf("%s.extension[%d].valueCodeableConcept", at, j), "NHS number verification status %q is not a code of %s (01 to 08)", code, csNHSNumberVerification)
					continue
				}
				p.NHSNumberStatus = nhs.NumberStatus(code)
			}
			keepHeldCopy(keep, "identifier", "nhs", id, "system", "value", "extension")
		case SystemHospitalNumber:
			if p.MRN != "" && !strings.EqualFold(p.MRN, value) {
				bad(at+".value", "the hospital number is %s; a hospital number is never changed", p.MRN)
				continue
			}
			p.MRN = strings.ToUpper(value)
		default:
			keep("identifier", []any{x})
		}
	}

	// Names: the official name (else the first usual one) is held; other
	// names are kept.
	names := array(r["name"])
	held := -1
	for i, x := range names {
		n, _ := x.(map[string]any)
		use, _ := n["use"].(string)
		if use == "official" {
			held = i
			break
		}
		if held < 0 && use != "old" && use != "maiden" && use != "nickname" && use != "anonymous" {
			held = i
		}
	}
	p.Title, p.GivenName, p.OtherNames, p.FamilyName = "", "", "", ""
	keptName := false
	for i, x := range names {
		if i != held {
			keep("name", []any{x})
			continue
		}
		n, _ := x.(map[string]any)
		p.FamilyName, _ = n["family"].(string)
		given := strings.Fields(strings.Join(strs(n["given"]), " "))
		if len(given) > 0 {
			p.GivenName, p.OtherNames = given[0], strings.Join(given[1:], " ")
		}
		if pre := strs(n["prefix"]); len(pre) > 0 {
			p.Title = strings.Join(pre, " ")
		}
		// What else the name carries (a suffix, a period, extensions) is
		// kept with a copy of the name, served in its place while the
		// PMI's name agrees.
		for k := range n {
			switch k {
			case "use", "family", "given", "prefix":
			case "text":
				// A name written only as text (an unidentified
				// patient's, say) is kept as sent.
				if p.FamilyName != "" || p.GivenName != "" {
					continue
				}
				fallthrough
			default:
				if !keptName {
					keep("name", []any{x})
					keptName = true
				}
			}
		}
	}

	// Telecom: the home phone, the mobile and the email are held.
	p.Phone, p.Mobile, p.Email = "", "", ""
	for _, x := range array(r["telecom"]) {
		t, _ := x.(map[string]any)
		system, _ := t["system"].(string)
		use, _ := t["use"].(string)
		value, _ := t["value"].(string)
		switch {
		case system == "phone" && use == "mobile" && p.Mobile == "":
			p.Mobile = value
			keepHeldCopy(keep, "telecom", "mobile", t, "system", "use", "value")
		case system == "phone" && use != "mobile" && use != "work" && use != "old" && p.Phone == "":
			p.Phone = value
			keepHeldCopy(keep, "telecom", "phone", t, "system", "use", "value")
		case system == "email" && use != "work" && use != "old" && p.Email == "":
			p.Email = value
			keepHeldCopy(keep, "telecom", "email", t, "system", "use", "value")
		default:
			keep("telecom", []any{x})
		}
	}

	if g, ok := r["gender"].(string); ok {
		code, known := pmiGender[g]
		if !known {
			notCode("Patient.gender", "%q is not an administrative gender (male, female, other, unknown)", g)
		}
		p.Gender = code
	} else {
		p.Gender = "X"
	}
	p.BirthDate = crs.Date{}
	if b, ok := r["birthDate"].(string); ok {
		d, err := time.Parse("2006-01-02", b)
		if err != nil {
			bad("Patient.birthDate", "the PMI holds a whole date of birth (YYYY-MM-DD), not %q", b)
		} else {
			p.BirthDate = crs.DateOf(d)
		}
	}
	if v, ok := r["deceasedBoolean"].(bool); ok && !v {
		// Said to be alive: kept, and served while the PAS records no
		// death.
		keep("deceasedBoolean", false)
	}
	if v, ok := r["deceasedBoolean"].(bool); ok && v && p.DeathTime == nil {
		bad("Patient.deceasedBoolean", "the PMI records when a patient died: send deceasedDateTime")
	}
	if s, ok := r["deceasedDateTime"].(string); ok {
		lo, _, ok := ParseDateRange(s)
		if !ok {
			wrong("Patient.deceasedDateTime", "%q is not a date and time", s)
		} else {
			lo = lo.UTC()
			p.DeathTime = &lo
		}
	}

	// Address: the home address is held as lines and a UK postcode; the
	// town, county and an address outside the UK (with its own postal
	// code and country) become lines.
	addrs := array(r["address"])
	heldAddr := -1
	for i, x := range addrs {
		a, _ := x.(map[string]any)
		use, _ := a["use"].(string)
		if use != "old" && use != "work" && use != "billing" && a["period"] == nil {
			heldAddr = i
			break
		}
	}
	p.Address = crs.Address{}
	for i, x := range addrs {
		if i != heldAddr {
			keep("address", []any{x})
			continue
		}
		a, _ := x.(map[string]any)
		at := fmt.Sprintf("Patient.address[%d]", i)
		var lines []string
		lines, p.Address.Postcode = heldAddress(a)
		keepHeldCopy(keep, "address", "address", a, "use", "line", "postalCode")
		if len(lines) > 5 {
			bad(at, "the PMI holds an address of at most 5 lines (with town, county, and a postal code and country outside the UK); this makes %d", len(lines))
		}
		p.Address.Lines = lines
		for k := range a {
			switch k {
			case "use", "type", "line", "city", "district", "state", "postalCode", "country", "text", "extension":
			default:
				bad(at+"."+k, "the PMI does not hold an address's %s", k)
			}
		}
	}

	// Contacts: name, relationship and phone are held; a contact with
	// more than the PMI writes back of it (an address, a period, codings,
	// a name in parts) is kept as sent too.
	p.Contacts = nil
	for _, x := range array(r["contact"]) {
		c, _ := x.(map[string]any)
		ct := contactOf(c)
		if !sameJSON(contactResource(len(p.Contacts), ct), c) {
			keep("contact", []any{x})
		}
		p.Contacts = append(p.Contacts, ct)
	}

	// The registered GP practice and GP, by their national codes.
	p.GPPracticeCode, p.GPPracticeName, p.GPCode, p.GPName = "", "", "", ""
	for _, x := range array(r["generalPractitioner"]) {
		ref, _ := x.(map[string]any)
		id, _ := ref["identifier"].(map[string]any)
		system, _ := id["system"].(string)
		value, _ := id["value"].(string)
		display, _ := ref["display"].(string)
		reference, _ := ref["reference"].(string)
		switch {
		case system == SystemODSCode && p.GPPracticeCode == "":
			p.GPPracticeCode, p.GPPracticeName = value, display
		case system == SystemGMPNumber && p.GPCode == "":
			p.GPCode, p.GPName = value, display
		case strings.HasPrefix(reference, "Organization/gp-") && p.GPPracticeCode == "":
			p.GPPracticeCode, p.GPPracticeName = strings.TrimPrefix(reference, "Organization/gp-"), display
		default:
			// Another reference (a Practitioner, an Organization of the
			// sender's) is kept as sent.
			keep("generalPractitioner", []any{x})
		}
	}

	// Extensions: the ethnic category is held, others kept.
	p.EthnicCategory = ""
	for i, x := range array(r["extension"]) {
		e, _ := x.(map[string]any)
		if e["url"] != extEthnicCategory {
			keep("extension", []any{x})
			continue
		}
		code := codingCode(e["valueCodeableConcept"], csEthnicCategory)
		if _, ok := nhs.Lookup(nhs.EthnicCategories, code); !ok {
			notCode(fmt.Sprintf("Patient.extension[%d].valueCodeableConcept", i), "ethnic category %q is not an ETHNIC CATEGORY code of %s", code, csEthnicCategory)
			continue
		}
		p.EthnicCategory = code
	}
	// A record not in active use is marked so (its activity stays);
	// one that leaves active out is in use, as an update replaces the
	// resource. A merged record stays inactive.
	if !p.Merged() {
		a, ok := r["active"].(bool)
		p.Inactive = ok && !a
	}
	// Links follow merges in the PAS: the replaces links a record is
	// served with are taken as read, a new link is refused.
	for i, x := range array(r["link"]) {
		l, _ := x.(map[string]any)
		other, _ := l["other"].(map[string]any)
		switch {
		case l["type"] == "replaces":
		case l["type"] == "replaced-by" && p.Merged() && other["reference"] == "Patient/"+p.MergedInto:
		case l["type"] == "seealso" || l["type"] == "refer":
			// Another record of the same person elsewhere: kept as sent.
			keep("link", []any{x})
		default:
			bad(fmt.Sprintf("Patient.link[%d]", i), "a record replaces another, or is replaced by it, by merging the two in the PAS, not by a link")
		}
	}
	if len(issues) > 0 {
		sort.Slice(issues, func(i, j int) bool { return issues[i].Expression < issues[j].Expression })
		return nil, &Outcome{Status: http.StatusUnprocessableEntity, Issues: issues}
	}
	if len(kept) == 0 {
		return nil, nil
	}
	return kept, nil
}

func array(v any) []any { a, _ := v.([]any); return a }

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

func strs(v any) []string {
	var out []string
	for _, x := range array(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// codingCode is the code of the coding of system in a CodeableConcept,
// else of its first coding.
func codingCode(v any, system string) string {
	cc, _ := v.(map[string]any)
	first := ""
	for i, c := range array(cc["coding"]) {
		m, _ := c.(map[string]any)
		code, _ := m["code"].(string)
		if m["system"] == system {
			return code
		}
		if i == 0 {
			first = code
		}
	}
	return first
}

// patientFieldPaths names the element of a Patient each field of a PMI
// validation error is about.
var patientFieldPaths = map[string]string{
	"family_name": "Patient.name[0].family", "given_name": "Patient.name[0].given", "birth_date": "Patient.birthDate",
	"gender": "Patient.gender", "nhs_number": "Patient.identifier", "nhs_number_status": "Patient.identifier.extension",
	"postcode": "Patient.address[0].postalCode", "address": "Patient.address[0].line", "ethnic_category": "Patient.extension",
	"death_time": "Patient.deceasedDateTime", "mrn": "Patient.identifier",
}

// pmiOutcome answers a refusal of the PMI as an OperationOutcome naming
// the Patient's elements: a record that breaks the PMI's rules is 422.
func pmiOutcome(err error) error { return fieldOutcome(err, "Patient", patientFieldPaths) }

// fieldOutcome answers a refusal of one of the PAS's commands as an
// OperationOutcome naming the elements of typ its fields are read from
// (paths, by field; typ itself for a field not listed): a record that
// breaks the PAS's rules is 422. Other errors are as they are.
func fieldOutcome(err error, typ string, paths map[string]string) error {
	var ce *crs.Error
	if !errors.As(err, &ce) || ce.Code != crs.EINVALID {
		return err
	}
	o := &Outcome{Status: http.StatusUnprocessableEntity}
	fields := crs.FieldErrors(err)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		at := paths[k]
		if at == "" && k != "" {
			at = typ
		}
		o.Issues = append(o.Issues, Issue{Severity: "error", Code: "business-rule", Diagnostics: fields[k], Expression: at})
	}
	if len(o.Issues) == 0 {
		o.Issues = []Issue{{Severity: "error", Code: "business-rule", Diagnostics: ce.Error()}}
	}
	return o
}

// heldAddress is what the PMI holds of an address: its lines, with the
// town, district and state after them, and a UK postcode; an address
// outside the UK (or a postcode that is not one) ends with its postal
// code and country as a line.
func heldAddress(a map[string]any) (lines []string, postcode string) {
	lines = strs(a["line"])
	for _, k := range []string{"city", "district", "state"} {
		if s, ok := a[k].(string); ok && s != "" {
			lines = append(lines, s)
		}
	}
	pc, _ := a["postalCode"].(string)
	country, _ := a["country"].(string)
	uk := country == "" || strings.EqualFold(country, "GB") || strings.EqualFold(country, "GBR") || strings.EqualFold(country, "United Kingdom") || strings.EqualFold(country, "UK")
	if pc != "" && uk && crs.ValidPostcode(pc) {
		return lines, pc
	}
	if last := strings.TrimSpace(pc + " " + country); last != "" {
		lines = append(lines, last)
	}
	return lines, ""
}

// keepHeldCopy keeps beside the record a copy of an element the PMI
// holds (slot names which: nhs, phone, mobile, email, address) when it
// was sent with more than the PMI keeps of it (more than the keys
// named), marked extHeldCopy: withHeldCopies serves it in place of the
// PMI's while the PMI's agrees with it, so that nothing a system sent is
// lost without a word, and a copy the PAS has since changed is not
// served.
func keepHeldCopy(keep func(string, any), k, slot string, sent map[string]any, held ...string) {
	more := false
	for key := range sent {
		more = more || !slices.Contains(held, key)
	}
	if !more {
		return
	}
	c := maps.Clone(sent)
	c["extension"] = append(slices.Clone(array(sent["extension"])), map[string]any{"url": extHeldCopy, "valueCode": slot})
	keep(k, []any{c})
}

// heldSlot is the slot a copy kept by keepHeldCopy names, and the copy
// without its mark; "" for an element kept whole.
func heldSlot(x any) (string, map[string]any) {
	c, _ := x.(map[string]any)
	exts := array(c["extension"])
	for i, e := range exts {
		if m, _ := e.(map[string]any); m != nil && m["url"] == extHeldCopy {
			slot, _ := m["valueCode"].(string)
			c = maps.Clone(c)
			if rest := slices.Delete(slices.Clone(exts), i, i+1); len(rest) > 0 {
				c["extension"] = rest
			} else {
				delete(c, "extension")
			}
			return slot, c
		}
	}
	return "", c
}

// withHeldCopies serves the copies keepHeldCopy kept in place of the
// PMI's elements (have) that still agree with them, drops those that no
// longer do, and returns the rest of kept to follow the PMI's.
func withHeldCopies(p *crs.Patient, have, kept []any) ([]any, []any) {
	var rest []any
	for _, x := range kept {
		slot, c := heldSlot(x)
		if slot == "" {
			rest = append(rest, x)
			continue
		}
		value, _ := c["value"].(string)
		agrees, at := false, -1
		for i, h := range have {
			m, _ := h.(map[string]any)
			switch slot {
			case "phone", "mobile", "email":
				use := map[string]string{"phone": "home", "mobile": "mobile", "email": "home"}[slot]
				system := map[string]string{"phone": "phone", "mobile": "phone", "email": "email"}[slot]
				if m["system"] == system && m["use"] == use {
					at = i
					agrees = value == map[string]string{"phone": p.Phone, "mobile": p.Mobile, "email": p.Email}[slot]
				}
			case "nhs":
				if m["system"] == SystemNHSNumber {
					at = i
					n, err := nhs.ParseNumber(value)
					agrees = err == nil && n == p.NHSNumber
					// The verification status is the PMI's as it stands.
					c["value"] = p.NHSNumber
					if ext, ok := m["extension"]; ok {
						c["extension"] = ext
					} else {
						delete(c, "extension")
					}
				}
			case "address":
				if i == 0 {
					at = i
					lines, pc := heldAddress(c)
					agrees = slices.Equal(lines, p.Address.Lines) && pc == p.Address.Postcode
				}
			}
		}
		if at >= 0 && agrees {
			have[at] = c
		}
	}
	return have, rest
}
