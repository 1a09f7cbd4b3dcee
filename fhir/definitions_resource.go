package fhir

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
)

// definitionsDate is when OpenCRS's definitions were last changed in
// meaning, the date each of them carries and when the API says they were
// last updated: it moves on whenever they change, so that a client's
// cached copy is read again.
const definitionsDate = "2026-12-08"

// definitionID is the id of OpenCRS's definition of a url: opencrs- and
// the url's last segment (opencrs-ward-code).
func definitionID(url string) string {
	return "opencrs-" + url[strings.LastIndex(url, "/")+1:]
}

// definitionName is a definition's name for a computer, from the url's
// last segment: WardCode for ward-code.
func definitionName(url string) string {
	var b strings.Builder
	for _, w := range strings.Split(url[strings.LastIndex(url, "/")+1:], "-") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// structureDefinition is an extension's definition, as an R4
// StructureDefinition constraining Extension.
func (e extensionDef) structureDefinition() Resource {
	context := make([]any, len(e.Context))
	for i, c := range e.Context {
		context[i] = map[string]any{"type": "element", "expression": c}
	}
	types := make([]any, len(e.Types))
	for i, t := range e.Types {
		types[i] = map[string]any{"code": t}
	}
	differential := []any{
		map[string]any{"id": "Extension", "path": "Extension", "short": e.Title, "definition": e.Description},
		map[string]any{"id": "Extension.extension", "path": "Extension.extension", "max": "0"},
		map[string]any{"id": "Extension.url", "path": "Extension.url", "fixedUri": e.URL},
		map[string]any{"id": "Extension.value[x]", "path": "Extension.value[x]", "min": 1, "type": types},
	}
	return Resource{
		"resourceType": "StructureDefinition", "id": definitionID(e.URL), "url": e.URL,
		"name": definitionName(e.URL), "title": e.Title, "status": "active", "date": definitionsDate,
		"publisher": "OpenCRS", "description": e.Description, "fhirVersion": "4.0.1",
		"kind": "complex-type", "abstract": false, "context": context, "type": "Extension",
		"baseDefinition": extensionBase, "derivation": "constraint",
		"snapshot":     map[string]any{"element": snapshotOf(differential)},
		"differential": map[string]any{"element": differential},
	}
}

// extensionBase is the url of R4's Extension, the definition every
// extension constrains.
const extensionBase = "http://hl7.org/fhir/StructureDefinition/Extension"

// snapshotOf is an extension's snapshot: every element of R4's Extension
// as R4 defines it (its base, cardinality, types, constraints and
// texts), each constrained as the differential's element of the same id
// says, as HL7's snapshot generator writes it. HL7's validator and HAPI
// make a snapshot themselves; many tools do not (a validator's profile
// cache, a mapping engine) and load a definition only with one.
func snapshotOf(differential []any) []any {
	d := json.NewDecoder(strings.NewReader(extensionSnapshotJSON))
	d.UseNumber()
	var elements []any
	if err := d.Decode(&elements); err != nil {
		panic(err) // written by the generator from R4's definitions
	}
	for _, el := range elements {
		el := el.(map[string]any)
		// A constraint of Extension's own names it as its source, as
		// the constraints it inherits from Element name Element.
		for _, c := range array(el["constraint"]) {
			if c := c.(map[string]any); c["source"] == nil {
				c["source"] = extensionBase
			}
		}
		for _, diff := range differential {
			if diff := diff.(map[string]any); diff["id"] == el["id"] {
				maps.Copy(el, diff)
			}
		}
	}
	return elements
}

// codeSystem is a code system's definition as an R4 CodeSystem: its
// codes whole, or none (content not-present) when they are the trust's
// or another system's.
func (c codeSystemDef) codeSystem() Resource {
	r := Resource{
		"resourceType": "CodeSystem", "id": definitionID(c.URL), "url": c.URL,
		"name": definitionName(c.URL), "title": c.Title, "status": "active", "date": definitionsDate,
		"publisher": "OpenCRS", "description": c.Description, "caseSensitive": true, "content": "not-present",
	}
	if len(c.Concepts) > 0 {
		concepts := make([]any, len(c.Concepts))
		for i, k := range c.Concepts {
			concepts[i] = map[string]any{"code": k.Code, "display": k.Display, "definition": k.Definition}
		}
		r["content"], r["count"], r["concept"] = "complete", len(concepts), concepts
	}
	return r
}

// operationDefinition is an operation's definition as an R4
// OperationDefinition, invoked on an instance of its type.
func (o operationDef) operationDefinition() Resource {
	params := make([]any, len(o.Parameters))
	for i, p := range o.Parameters {
		params[i] = map[string]any{"name": p.Name, "use": p.Use, "min": p.Min, "max": p.Max, "type": p.Type, "documentation": p.Doc}
	}
	return Resource{
		"resourceType": "OperationDefinition", "id": definitionID(o.URL), "url": o.URL,
		"name": definitionName(o.URL), "title": o.Title, "status": "active", "kind": "operation", "date": definitionsDate,
		"publisher": "OpenCRS", "description": o.Description, "code": o.Code, "resource": []any{o.Resource},
		"system": false, "type": false, "instance": true, "affectsState": true, "parameter": params,
	}
}

// namingSystem is an identifier system's definition as an R4
// NamingSystem: its url is the identifiers' system.
func (n identifierSystemDef) namingSystem() Resource {
	return Resource{
		"resourceType": "NamingSystem", "id": definitionID(n.URL), "name": definitionName(n.URL),
		"status": "active", "kind": "identifier", "date": definitionsDate, "publisher": "OpenCRS",
		"description": n.Title + ": " + n.Description,
		"uniqueId":    []any{map[string]any{"type": "uri", "value": n.URL, "preferred": true}},
	}
}

// ownDefinitions holds OpenCRS's definitions as served: in the order
// of the tables and by type and id.
type ownDefinitions struct {
	all  []*crs.Resource
	byID map[string]*crs.Resource // "StructureDefinition/opencrs-ward-code"
	// indexed holds each definition as served with the index rows the
	// resource store would keep of it, in the order of all: what a
	// search of its type is matched on.
	indexed []indexedDefinition
}

// indexedDefinition is one of OpenCRS's definitions with its index rows.
type indexedDefinition struct {
	stored *crs.Resource
	served Resource
	rows   []crs.ResourceIndexRow
}

// definitions are OpenCRS's definitions, made once from the tables.
var definitions = sync.OnceValue(func() *ownDefinitions {
	d := &ownDefinitions{byID: map[string]*crs.Resource{}}
	changed, _ := time.Parse(time.DateOnly, definitionsDate)
	add := func(r Resource) {
		r["meta"] = map[string]any{"versionId": "1", "lastUpdated": changed.Format(time.RFC3339)}
		body, err := json.Marshal(r)
		if err != nil {
			panic(err) // maps of strings, numbers and booleans always marshal
		}
		res := &crs.Resource{Type: r.Type(), ID: r.ID(), Version: 1, LastUpdated: changed, Body: body}
		served, err := Decode(body)
		if err != nil {
			panic(err) // made by json.Marshal above
		}
		d.all = append(d.all, res)
		d.indexed = append(d.indexed, indexedDefinition{stored: res, served: served, rows: servedRows(served, nil)})
		d.byID[res.Type+"/"+res.ID] = res
	}
	for _, e := range extensionDefs {
		add(e.structureDefinition())
	}
	for _, c := range codeSystemDefs {
		add(c.codeSystem())
	}
	for _, n := range identifierSystemDefs {
		add(n.namingSystem())
	}
	for _, o := range operationDefs {
		add(o.operationDefinition())
	}
	return d
})

// Definitions are OpenCRS's own conformance resources: a
// StructureDefinition of each extension it writes, a CodeSystem of each
// code system and a NamingSystem of each identifier system of its own.
func Definitions() []Resource {
	var out []Resource
	for _, r := range definitions().all {
		res, err := Decode(r.Body)
		if err != nil {
			panic(err) // made by json.Marshal above
		}
		out = append(out, res)
	}
	return out
}

// ownDefinition is OpenCRS's definition typ/id, nil when it has none.
func ownDefinition(typ, id string) *crs.Resource { return definitions().byID[typ+"/"+id] }

// definitionTypes are the types of conformance resource whose urls
// under OpenCRS's namespace only OpenCRS defines. A trust's test
// catalogue (ActivityDefinition) and note templates (Questionnaire) carry
// OpenCRS's urls by design: they are the trust's, found by them.
var definitionTypes = []string{"StructureDefinition", "CodeSystem", "ValueSet", "ConceptMap", "NamingSystem", "SearchParameter", "OperationDefinition", "CapabilityStatement", "ImplementationGuide", "CompartmentDefinition", "StructureMap"}

// refuseOwnDefinition refuses a trust's write of a conformance resource
// whose url (or, for a NamingSystem, identifier system) is under
// OpenCRS's namespace, or whose id is one OpenCRS's definitions take
// (refuseOwnID):
// those are OpenCRS's, the same for every trust, and a receiving system
// relies on what they say. at names the resource in a Bundle ("" for
// its type).
func refuseOwnDefinition(res Resource, at string) error {
	typ := res.Type()
	if !slices.Contains(definitionTypes, typ) {
		return nil
	}
	if at == "" {
		at = typ
	}
	refuse := func(where, format string, args ...any) error {
		return &Outcome{Status: http.StatusUnprocessableEntity, Issues: []Issue{{Severity: "error", Code: "business-rule",
			Expression: at + where, Diagnostics: fmt.Sprintf(format, args...)}}}
	}
	if url, _ := res["url"].(string); ownURL(url) {
		return refuse(".url", "%s is OpenCRS's own url: OpenCRS defines what is under https://opencrs.org/ (GET %s?url=%s), and a trust cannot write a %s of it; give the trust's own definitions a url of the trust's", url, typ, url, typ)
	}
	for _, u := range array(res["uniqueId"]) {
		if m, _ := u.(map[string]any); m != nil {
			if v, _ := m["value"].(string); ownURL(v) {
				return refuse(".uniqueId", "%s is OpenCRS's own identifier system: OpenCRS defines it (NamingSystem/%s), and a trust cannot write a NamingSystem of it", v, definitionID(v))
			}
		}
	}
	return refuseOwnID(typ, res.ID(), at)
}

// refuseOwnID refuses a write or delete of a conformance resource whose
// id begins opencrs-: those ids are OpenCRS's own definitions', now or
// in a later release, the same for every trust. at names the resource.
func refuseOwnID(typ, id, at string) error {
	if !slices.Contains(definitionTypes, typ) || !strings.HasPrefix(id, "opencrs-") {
		return nil
	}
	if at == "" {
		at = typ
	}
	return &Outcome{Status: http.StatusUnprocessableEntity, Issues: []Issue{{Severity: "error", Code: "business-rule", Expression: at + ".id",
		Diagnostics: fmt.Sprintf("%s/%s: the ids opencrs-... are OpenCRS's own definitions', the same for every trust; a trust's %s takes another id", typ, id, typ)}}}
}

// onlyOwnDefinitions reports whether a search can find none of the
// trust's own definitions, only OpenCRS's: it asks for urls (a
// NamingSystem's values, exactly) under OpenCRS's namespace, which no
// trust writes (refuseOwnDefinition). A validator looks definitions up
// so, and the store is then not searched.
func onlyOwnDefinitions(q *crs.ResourceQuery) bool {
	for _, group := range q.All {
		own := len(group) > 0
		for _, c := range group {
			byURL := c.Param == "url" && c.Kind == "uri" && c.Op == crs.MatchEq
			byValue := q.Type == "NamingSystem" && c.Param == "value" && c.Op == crs.MatchExact
			own = own && (byURL || byValue) && ownURL(c.Code)
		}
		if own {
			return true
		}
	}
	return false
}

// ownDefinitionTypes are the types of OpenCRS's own definitions.
var ownDefinitionTypes = []string{"StructureDefinition", "CodeSystem", "NamingSystem", "OperationDefinition"}

// ownDefinitionsFound are OpenCRS's definitions a search of
// StructureDefinition, CodeSystem or NamingSystem finds, by any of its
// parameters, as the resource store would find them were they stored
// (matched on the index rows it would keep of them), in id order; none
// for a search of another type, in a compartment, or continuing the
// store's matches from a _cursor. They are the same for every trust and
// come before the trust's own (handleSearch, writeTypedFound), so that a
// page boundary between the two stays where it is while the trust adds
// its own.
func ownDefinitionsFound(q *search) []*crs.Resource {
	if q.in != "" || q.query.After != "" || q.query.Before != "" || len(q.query.RefersTo) > 0 || q.query.LastN != nil {
		return nil
	}
	var found []*crs.Resource
	for _, d := range definitions().indexed {
		if d.stored.Type == q.query.Type && rowsMatchQuery(d.served, d.rows, &q.query, nil) && q.keepServed(d.served) {
			found = append(found, d.stored)
		}
	}
	slices.SortFunc(found, func(a, b *crs.Resource) int { return strings.Compare(a.ID, b.ID) })
	return found
}
