package fhir

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
)

// SoftwareVersion is the version the CapabilityStatement names.
var SoftwareVersion = "dev"

// handleMetadata answers the CapabilityStatement: what this server
// implements, and only that; cut, as a read is, to its summary
// (_summary) or to the elements asked for (_elements).
func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("mode") == "terminology" {
		s.terminologyCapabilities(w, r)
		return
	}
	base := baseURL(r)
	type param struct {
		Name          string `json:"name"`
		Definition    string `json:"definition,omitempty"`
		Type          string `json:"type"`
		Documentation string `json:"documentation,omitempty"`
	}
	type interaction struct {
		Code string `json:"code"`
	}
	type operation struct {
		Name          string `json:"name"`
		Definition    string `json:"definition"`
		Documentation string `json:"documentation,omitempty"`
	}
	export := operation{"export", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export", exportDoc}
	type resource struct {
		Type              string        `json:"type"`
		Interaction       []interaction `json:"interaction"`
		Versioning        string        `json:"versioning"`
		ReadHistory       bool          `json:"readHistory"`
		ConditionalRead   string        `json:"conditionalRead"`
		UpdateCreate      bool          `json:"updateCreate"`
		ConditionalCreate bool          `json:"conditionalCreate"`
		ConditionalUpdate bool          `json:"conditionalUpdate"`
		ConditionalDelete string        `json:"conditionalDelete"`
		SearchInclude     []string      `json:"searchInclude,omitempty"`
		SearchRevInclude  []string      `json:"searchRevInclude,omitempty"`
		SearchParam       []param       `json:"searchParam"`
		Profile           string        `json:"profile,omitempty"`
		Documentation     string        `json:"documentation,omitempty"`
		Operation         []operation   `json:"operation,omitempty"`
	}
	var resources []resource
	for _, t := range resourceTypes {
		res := resource{Type: t, Versioning: "versioned-update", ReadHistory: true, ConditionalRead: "full-support", UpdateCreate: true, ConditionalCreate: true, ConditionalUpdate: true, ConditionalDelete: "single"}
		codes := []string{"read", "vread", "update", "patch", "delete", "history-instance", "history-type", "create", "search-type"}
		switch t {
		case "AuditEvent": // the audit trail: read only
			codes = []string{"read", "search-type"}
			res = resource{Type: t, Versioning: "no-version", ConditionalRead: "not-supported", ConditionalDelete: "not-supported"}
		case "Patient":
			res.Operation = []operation{{Name: "everything", Definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
				{"export", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export", exportDoc}}
			if s.pmi(t) {
				res.Operation = append(res.Operation, operation{Name: "match", Definition: "http://hl7.org/fhir/OperationDefinition/Patient-match"})
			}
		case "Group":
			res.Operation = []operation{{"export", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export", exportDoc}}
		case "Observation":
			res.Operation = []operation{{Name: "lastn", Definition: lastNCanonical}}
		case "Encounter":
			res.Operation = []operation{{Name: "everything", Definition: "http://hl7.org/fhir/OperationDefinition/Encounter-everything"}}
		case "Composition":
			res.Operation = []operation{{"document", documentCanonical, "The Composition as an R4 document (a Bundle of type document) with every resource it refers to, and those refer to, each read with its access check and audit; refused, naming the reference, where one is not held here, was deleted or may not be read (a document is whole or not made). persist=true (POST) stores it as a Bundle."}}
		case "ValueSet":
			res.Operation = []operation{{Name: "expand", Definition: "http://hl7.org/fhir/OperationDefinition/ValueSet-expand"},
				{Name: "validate-code", Definition: "http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code"}}
		case "EpisodeOfCare":
			if s.coreType(t) != nil && s.Core.Referrals != nil {
				res.Operation = []operation{{"rtt-decision", rttDecisionOperation, "A decision on the RTT pathway outside an appointment or admission, recorded through the PAS's command as the pathway page records it (its event and clock): decision, a code of " + rttDecisionSystem + " (" + decisionCodesText() + "); date (valueDate, today when not given); note; dnaDate, with discharged alone, the later appointment missed (rule 5f). Answers the EpisodeOfCare as its clock then stands; a decision the pathway's events refuse is 422 naming the parameter."}}
			}
		case "ConceptMap":
			res.Operation = []operation{{Name: "translate", Definition: "http://hl7.org/fhir/OperationDefinition/ConceptMap-translate"}}
		case "CodeSystem":
			res.Operation = []operation{{Name: "lookup", Definition: "http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup"},
				{Name: "validate-code", Definition: "http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code"},
				{Name: "subsumes", Definition: "http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes"}}
		}
		for _, c := range codes {
			res.Interaction = append(res.Interaction, interaction{c})
		}
		if t != "AuditEvent" {
			res.Operation = append(res.Operation, operation{Name: "validate", Definition: "http://hl7.org/fhir/OperationDefinition/Resource-validate"},
				operation{Name: "meta", Definition: "http://hl7.org/fhir/OperationDefinition/Resource-meta"})
		}
		names := make([]string, 0, len(searchParams[t]))
		for n, p := range searchParams[t] {
			if p.Type == "composite" {
				if s.typedCapability(t) != nil || !searchableComposite(t, p) {
					continue
				}
			} else if n == "_content" || n == "_text" {
				// Words in the resource or its narrative (search_text.go),
				// of the resource store's and the PAS's alike.
			} else if p.Type == "special" || len(p.Paths) == 0 && n != "_id" && n != "_lastUpdated" {
				continue
			}
			names = append(names, n)
		}
		sort.Strings(names)
		res.SearchRevInclude = revIncludes()[t]
		for _, n := range names {
			p := searchParams[t][n]
			res.SearchParam = append(res.SearchParam, param{n, p.URL, p.Type, searchParamDoc(t, n, p)})
			if p.Type == "reference" {
				res.SearchInclude = append(res.SearchInclude, t+":"+n)
			}
		}
		if t == "AuditEvent" {
			// The audit trail is searched by the keys it is kept by.
			res.SearchParam = slices.DeleteFunc(res.SearchParam, func(p param) bool { return !auditParams[p.Name] })
			res.SearchInclude, res.SearchRevInclude = nil, nil
			res.Documentation = "The audit trail, written only by the accesses it records: read, and searched by patient, entity (a Patient), agent and date (eq, ge, gt, le, lt), newest first."
		}
		if doc, ok := ownDefinitionsDoc[t]; ok {
			res.Documentation = doc
		}
		if t == "Binary" {
			res.Documentation = binaryDoc
		}
		if t == "Subscription" {
			res.Documentation = subscriptionDoc
		}
		if typed := s.typedCapability(t); typed != nil {
			res.Profile, res.Documentation = profileBase+t, typed.doc
			if typed.codes != nil {
				res.Interaction = nil
				for _, c := range typed.codes {
					res.Interaction = append(res.Interaction, interaction{c})
				}
				res.UpdateCreate, res.ConditionalCreate, res.ReadHistory = typed.updateCreate, typed.conditionalCreate, typed.readHistory
				res.ConditionalUpdate, res.ConditionalDelete = typed.conditionalUpdate, cmp.Or(typed.conditionalDelete, "not-supported")
				if !typed.allParams {
					res.SearchInclude = nil
					res.SearchParam = nil
				}
				for _, n := range typed.params {
					if p, ok := searchParams[t][n]; ok {
						res.SearchParam = append(res.SearchParam, param{n, p.URL, p.Type, searchParamDoc(t, n, p)})
						if p.Type == "reference" {
							res.SearchInclude = append(res.SearchInclude, t+":"+n)
						}
					} else if n == "_id" {
						res.SearchParam = append(res.SearchParam, param{n, "http://hl7.org/fhir/SearchParameter/Resource-id", "token", ""})
					}
				}
				for _, n := range []string{"_content", "_text"} {
					if p, ok := searchParams[t][n]; ok && !typed.allParams {
						res.SearchParam = append(res.SearchParam, param{n, p.URL, p.Type, searchParamDoc(t, n, p)})
					}
				}
				slices.SortFunc(res.SearchParam, func(a, b param) int { return strings.Compare(a.Name, b.Name) })
				if !typed.readHistory {
					res.Versioning = "no-version"
				}
			}
			if !s.pmi(t) {
				// The PAS's records keep no versions: a type's history
				// is refused; an instance's is the resource store's, of
				// those other systems sent (the codes say whether it
				// keeps any).
				res.Interaction = slices.DeleteFunc(res.Interaction, func(i interaction) bool { return i.Code == "history-type" })
			}
		}
		if typed := s.typedCapability(t); t != "AuditEvent" && !s.pmi(t) && (typed == nil || typed.codes == nil || slices.Contains(typed.codes, "update")) {
			// The meta of what the resource store keeps changes in place
			// (meta_change.go); the PMI's and the PAS's records' is made
			// from the record.
			res.Operation = append(res.Operation, operation{Name: "meta-add", Definition: "http://hl7.org/fhir/OperationDefinition/Resource-meta-add"},
				operation{Name: "meta-delete", Definition: "http://hl7.org/fhir/OperationDefinition/Resource-meta-delete"})
		}
		if t != "AuditEvent" && (s.typedCapability(t) == nil || s.pmi(t)) {
			// The resources a List refers to, or a functional list
			// ($current-problems) of a patient (search_list.go).
			at, _ := slices.BinarySearchFunc(res.SearchParam, "_list", func(p param, name string) int { return strings.Compare(p.Name, name) })
			res.SearchParam = slices.Insert(res.SearchParam, at, param{Name: "_list", Type: "special", Documentation: listDoc(t)})
		}
		resources = append(resources, res)
	}
	cs := statement("CapabilityStatement", "OpenCRS FHIR R4 API", base)
	maps.Copy(cs, map[string]any{
		"fhirVersion": "4.0.1",
		"format":      []string{"application/fhir+json", "json", "application/fhir+xml", "xml"},
		"patchFormat": []string{PatchContentType, ContentType, XMLContentType},
		"rest": []any{map[string]any{
			"mode":          "server",
			"documentation": restDoc,
			"security": map[string]any{
				"service": []any{map[string]any{"coding": []any{map[string]any{
					"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}}}},
				"extension": []any{map[string]any{
					"url":       "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
					"extension": []any{map[string]any{"url": "token", "valueUri": base + "/token"}},
				}},
			},
			"resource":    resources,
			"interaction": []any{map[string]any{"code": "history-system"}, map[string]any{"code": "transaction", "documentation": transactionDoc}, map[string]any{"code": "batch", "documentation": batchDoc}, map[string]any{"code": "search-system", "documentation": systemSearchDoc}},
			"operation":   []operation{export, {Name: "meta", Definition: "http://hl7.org/fhir/OperationDefinition/Resource-meta"}},
			"searchParam": systemSearchParams(),
			// A search within each of R4's compartments: compartment.go.
			"compartment": []string{"http://hl7.org/fhir/CompartmentDefinition/patient",
				"http://hl7.org/fhir/CompartmentDefinition/encounter",
				"http://hl7.org/fhir/CompartmentDefinition/relatedPerson",
				"http://hl7.org/fhir/CompartmentDefinition/practitioner",
				"http://hl7.org/fhir/CompartmentDefinition/device"},
		}},
	})
	b, _ := json.Marshal(cs)
	if r.URL.RawQuery != "" {
		// _summary=true (the elements R4 marks as its summary: the
		// server, its software and formats, not every resource's
		// interactions and parameters) or _elements, as a read's.
		if q := r.URL.Query(); q.Has("_summary") || q.Has("_elements") {
			var err error
			if b, err = cutAsAsked("CapabilityStatement", q, b); err != nil {
				writeOutcome(w, asOutcome(err))
				return
			}
		}
	}
	// The statement changes only with the server (its version, its
	// base): its ETag is its digest, and a client holding it is told so.
	sum := sha256.Sum256(b)
	etag := `W/"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// statement is what a CapabilityStatement and a TerminologyCapabilities
// of this server both begin with: the server (this instance at base) and
// its software.
func statement(resourceType, description, base string) map[string]any {
	return map[string]any{
		"resourceType":   resourceType,
		"status":         "active",
		"date":           "2026-01-01",
		"kind":           "instance",
		"software":       map[string]any{"name": "OpenCRS", "version": SoftwareVersion},
		"implementation": map[string]any{"description": description, "url": base},
	}
}

// typedCapability says how a type served from the typed core differs
// from the resource store's: its interactions and search parameters
// when they are all it has (codes nil when the resource store still
// serves other systems' resources of the type), and what the
// CapabilityStatement's documentation says.
type typedCapability struct {
	codes             []string
	params            []string
	conditionalCreate bool
	conditionalUpdate bool
	readHistory       bool
	updateCreate      bool
	conditionalDelete string // "" for not-supported
	allParams         bool   // searched by every parameter listed for the type
	doc               string
}

func (s *Server) typedCapability(t string) *typedCapability {
	if s.pmi(t) {
		return &typedCapability{codes: []string{"read", "vread", "update", "patch", "delete", "history-instance", "history-type", "create", "search-type"},
			params: servedParams("Patient"), conditionalCreate: true, conditionalUpdate: true, readHistory: true, updateCreate: true, conditionalDelete: "single",
			doc: "The patient master index. Create registers a patient (conditional on If-None-Exist identifier=" + SystemNHSNumber + "|N), update and PATCH (JSON Patch or FHIRPath Patch, conditional by one identifier too) change demographics (If-Match on the record's version), active false marks the record not in active use, conditional update finds the patient by one identifier (none registers one), and an update of an id the index does not hold registers the patient with that id (not an id another record holds or held: 409). Delete (by id or one identifier) removes a registration made in error: a record with activity (a referral, appointment, spell, attendance, result or document, a resource of the clinical record) or in a merge is refused (409, naming it; merge duplicates instead); a deleted record's history stays, the deletion its last version (read 410). A registration or change over the API may lack a name or a date of birth (the data quality report lists such records); a partial date of birth is refused (422, naming the element), and an NHS number given must pass its check digit and belong to no other live patient (409). History of a patient, of every patient (Patient/_history) and the trust's (_history) lists the versions the record's events carry, newest first, with _since and _count; a patient a load of the patient index registered, unchanged since, is listed as registered at the load. Search by identifier, family, given, name (any part of a name, the last part of a family name of several too: starts with, :exact, :contains), phonetic (names that sound alike), a birthdate of one day, _id or _has (a reverse chain from the resource store) is led by the index, which answers every patient it finds (one it finds more than 10,000 for, by each name given, is refused as too costly: narrow it); by any other parameter listed, or none, the trust's patients are read in id order a page at a time (_cursor), each matched as the resource store matches. Chained parameters of other types into Patient (subject:Patient.identifier=...) are found through this search. _sort orders a search the index leads by _id, _lastUpdated, family, given, name, birthdate, gender, address-postalcode or identifier, sorted by the index (a search by name, given or phonetic: its matches sorted as found). What the index does not hold is kept beside the record and served with it."}
	}
	m := s.coreType(t)
	if m == nil {
		return nil
	}
	doc := "Served read only from the PAS's records; writes naming them are refused (405); _sort orders by _id, _lastUpdated or any search parameter of the type. Search by " + strings.Join(m.params, ", ")
	if m.created {
		return &typedCapability{codes: []string{"read", "vread", "update", "patch", "delete", "history-instance", "create", "search-type"}, conditionalCreate: true, allParams: true,
			doc: doc + " (the PAS's records); resources of this type other systems send are created (If-None-Exist too) in the resource store, read and searched beside them by every search parameter listed, and updated (If-Match), patched and deleted there; the PAS's own stay read only (405)."}
	}
	if m.external {
		scan := ""
		if coreTables[t] != nil || t == "Slot" {
			scan = ", the trust's read a page at a time (_cursor)"
		}
		held := "Served read only from the PAS's records (ids " + strings.Join(m.prefixes, "*, ") + "*; writes naming them are refused, 405)"
		if t == "ServiceRequest" && s.referralsWritable() {
			held = referralDoc
		}
		if t == "Encounter" && s.spellsWritable() {
			held = spellDoc
		}
		return &typedCapability{doc: held + ", searched by every parameter listed" + scan + "; a chain (location.identifier=...) or a reverse chain (_has:Observation:encounter:code=...) is searched first, up to 1,000 resources it finds; resources of this type other systems send are kept in the resource store with every interaction and search parameter listed, and follow the PAS's in a search."}
	}
	if t == "Appointment" {
		return &typedCapability{codes: []string{"read", "vread", "update", "patch", "history-instance", "create", "search-type"}, params: servedParams(t),
			doc: "The PAS's outpatient appointments, written through its own commands as the clinic screens write them (each with its event, HL7 message and RTT step): a create books a referral (basedOn ServiceRequest/ref-...) into a free slot (slot Slot/slot-...), status booked; an update or patch changes the status alone: cancelled (with cancelationReason: pat... codes for the patient, others for the hospital, and why), arrived (checked in), fulfilled (seen) or noshow (did not attend); any other change is refused (422, naming the element; an appointment moves by cancelling it and booking the new slot). Searched by every parameter listed, a patient's (patient=) or, without one, the trust's, read from the PAS's tables a batch at a time and served a page at a time (_cursor). A record's history is the record as it stands, its one version."}
	}
	if coreTables[t] != nil {
		return &typedCapability{codes: []string{"read", "vread", "history-instance", "search-type"}, params: servedParams(t),
			doc: "Served read only from the PAS's records; writes naming them are refused (405). Searched by every parameter listed, a patient's (patient=) or, without one, the trust's, read from the PAS's tables a batch at a time and served a page at a time (_cursor). A record's history is the record as it stands, its one version."}
	}
	return &typedCapability{codes: []string{"read", "vread", "history-instance", "search-type"}, params: m.params, doc: doc + " A record's history is the record as it stands, its one version."}
}

// handleSMARTConfiguration answers .well-known/smart-configuration: how
// a system gets a token (SMART Backend Services).
func (s *Server) handleSMARTConfiguration(w http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	b, _ := json.Marshal(map[string]any{
		"token_endpoint":                                   base + "/token",
		"grant_types_supported":                            []string{"client_credentials"},
		"token_endpoint_auth_methods_supported":            []string{"private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": []string{"RS384", "ES384"},
		"scopes_supported":                                 []string{"system/*.read", "system/*.write", "system/*.*", "system/*.cruds"},
		"capabilities":                                     []string{"client-confidential-asymmetric"},
	})
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// revIncludes lists, by resource type, the _revinclude values a search
// of it takes: Type:param for every reference parameter that can point
// at it (Provenance:target, Observation:subject ...).
var revIncludes = sync.OnceValue(func() map[string][]string {
	out := map[string][]string{}
	for _, base := range resourceTypes {
		if base == "AuditEvent" { // the audit trail, not searched with others
			continue
		}
		for name, p := range searchParams[base] {
			if p.Type != "reference" || len(p.Paths) == 0 {
				continue
			}
			for _, t := range p.Targets {
				out[t] = append(out[t], base+":"+name)
			}
		}
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
})

// systemSearchDoc says how a search of the whole system answers.
const systemSearchDoc = "GET [base]?params or POST [base]/_search. _type names the types searched, in the order their matches are paged; without it every type the token may read is searched but AuditEvent, by the parameters of every resource only; a parameter of some of the types searched but not of all is refused (400). Each type is searched as its own search is, with _include, _revinclude, _elements and _summary; _summary=count counts every type's matches; _sort by _id or _lastUpdated sorts the types' matches together."

// transactionDoc says what the base takes besides a transaction Bundle.
const transactionDoc = "POST [base] with a Bundle of type transaction, or of type history (another server's _history, newest first), to copy its records here: each entry's version is written, all or nothing, in the order the versions were made (a created or updated resource as an update of its id, so it keeps that id; a deleted one deleted), the newest current and the others kept in its history. It is answered as a transaction is (transaction-response), an entry for each entry in the Bundle's order. A transaction's creates of the PAS's records (a referral, an inpatient admission, an Appointment booked) are made by the PAS's commands inside its one command, after its other creates (its referrals before its bookings), so that a Patient, its referral and its first appointment, or its admission and the Observations about it, go as one Bundle, all or nothing; a PUT or PATCH of one of them (a referral closed, a patient moved or discharged, an appointment cancelled or attended) is decided against the record as it stands before the transaction (request.ifMatch checked) and made by the PAS's commands among the transaction's updates, in the Bundle's order (an appointment cancelled, then its referral closed)."

// batchDoc is what the CapabilityStatement says of a batch.
const batchDoc = "POST [base] with a Bundle of type batch: each entry is answered by itself, in the Bundle's order, one failing leaving the others; a write of the PAS's records (a referral or inpatient admission created, an Appointment booked, one of them updated by PUT or PATCH) is made through the PAS's command as the same request by itself is, a GET or an operation answered as by itself."

// restDoc is what the CapabilityStatement says of searches beyond each
// parameter's own documentation.
const restDoc = "A token parameter's :in and :not-in name a value set by its canonical url (the trust's, POSTed as a ValueSet, or one of R4's or UK Core's that lists its codes) or by a relative reference to the trust's (ValueSet/id), or several separated by commas: :in matches a code in any of them, :not-in leaves out a code in any of them. A chained parameter (medication.ingredient-code=...) is evaluated inside the resources a resource contains too, through a reference to one of them (#id). The canonical url of a definition (url of StructureDefinition, ValueSet, CodeSystem, ...) takes a version after it: url=U|1.1.0 finds that version, url:below=U|1 versions 1 and 1.x. A reference to a Location takes :below (the location and every location part of it: a site's wards, bays and beds, by Location.partOf) and :above (the location and those it is part of): Procedure?location:below=Location/[site], Location?partof:below=Location/[ward]. _filter (R4's optional filter expression) is not supported: search by the parameters listed for each type. A parameter with no value (family=) is ignored. A parameter not listed for the type (or a _sort key it cannot be sorted by) is left out, as R4 asks: the self link shows the search done, and an entry of the searchset (search mode outcome) names what was left out with a warning; with Prefer: handling=strict it is refused (400, naming it). A listed parameter's bad value or modifier is refused either way."

// searchParamDoc is the documentation of a search parameter of type t
// that takes more than R4 says of it ("" for the others): the words of
// _content and _text, and an identifier's :of-type.
func searchParamDoc(t, name string, p *SearchParam) string {
	const words = " Each word is found as a part of a value, case ignored; a phrase in double quotes (\"chest pain\") has its words together, in their order, in one value. Words side by side or with AND between are all asked for, OR asks for either, NOT (in capitals) leaves out what holds the word or group after it, and parentheses group: (bone OR liver) AND metastases. Takes no modifier."
	switch {
	case name == "_content":
		return "Words in any value of the resource." + words
	case name == "_text":
		return "Words in the resource's narrative (text.div, its markup left out)." + words
	case p.Type == "token" && identifierParam(p):
		return "An identifier: [system]|[value], or [value] of any system; :of-type=[type system]|[type code]|[value], all three given, finds the identifier whose type has that coding (http://terminology.hl7.org/CodeSystem/v2-0203|MR|123), many separated by commas."
	}
	return ""
}

// listDoc is the documentation of _list on type t: the Lists of the
// trust, and the functional lists of its type.
func listDoc(t string) string {
	var names []string
	for n, l := range functionalLists {
		if l.typ == t {
			names = append(names, n)
		}
	}
	doc := "The resources a List of the trust holds (_list=[List id]), any of several separated by commas; a List the trust does not hold lists nothing."
	if len(names) > 0 {
		sort.Strings(names)
		doc += " A patient's functional list by its name, with patient= or subject=: " + strings.Join(names, ", ") + "."
	}
	return doc
}

// systemSearchParams lists the parameters a search of the whole system
// takes without _type.
func systemSearchParams() []any {
	out := []any{map[string]any{"name": "_type", "type": "special", "documentation": "the resource types to search, comma-separated"}}
	for _, n := range systemParams {
		if p, ok := SearchParamOf("Observation", n); ok {
			out = append(out, map[string]any{"name": n, "definition": p.URL, "type": p.Type})
		}
	}
	return append(out, map[string]any{"name": "_has", "type": "special", "documentation": "_has:Type:param:param2=value, resources that a resource of Type refers to by param"})
}

// exportDoc is the documentation of $export at the base, Patient and
// Group: the parameters it takes, by GET or by POST of a Parameters,
// and what it refuses.
const exportDoc = "Bulk Data export (Bulk Data Access IG v2.0.0), by GET with the parameters in the URL or by POST of a Parameters resource; " +
	"asynchronous (Prefer: respond-async and an Accept header naming application/fhir+json, or */*, required). Parameters: _outputFormat (application/fhir+ndjson, application/ndjson, ndjson), " +
	"_type (repeatable, comma-separated), _since (an instant not in the future), _elements (element or Type.element; resources are tagged SUBSETTED), " +
	"patient (Patient and Group levels: a reference, repeatable), includeAssociatedData (LatestProvenanceResources, RelevantProvenanceResources: the Provenance of the records exported). " +
	"_typeFilter (Type?query, repeatable: a type's resources are exported when one of its searches matches, the types the PAS serves among them). " +
	"A parameter, value or filter not supported is refused, or with Prefer: handling=lenient left out and named in the manifest's error file."

// ownDefinitionsDoc says, for the types OpenCRS's own definitions are
// served as, how they are found beside the trust's.
var ownDefinitionsDoc = map[string]string{
	"StructureDefinition": "OpenCRS's own extensions (https://opencrs.org/fhir/StructureDefinition/...), the same for every trust and read only: read by id (opencrs-ward-code) and found by any search parameter (type, name, base, derivation, ext-context, ...) before the trust's own, paged with them. Each carries a snapshot and a differential. A url under https://opencrs.org/ is not written (422). crs fhir package writes them all as a FHIR package.",
	"CodeSystem":          "OpenCRS's own code systems (https://opencrs.org/fhir/CodeSystem/... and a few more under https://opencrs.org/), the same for every trust and read only: read by id (opencrs-audit-action) and found by any search parameter (url, system, name, code, content-mode, ...) before the trust's own, paged with them; their codes known to $lookup, $validate-code and :in. A url under https://opencrs.org/ is not written (422).",
	"NamingSystem":        "OpenCRS's own identifier systems (https://opencrs.org/Id/...), the same for every trust and read only: read by id (opencrs-hospital-number) and found by any search parameter (value, kind, id-type, name, ...) before the trust's own, paged with them. A uniqueId under https://opencrs.org/ is not written (422).",
}
