package fhir

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/opencrs/crs"
)

// handleConceptMapTranslate answers ConceptMap/$translate and
// ConceptMap/[id]/$translate (R4): what a code (system and code, a
// coding, or each coding of a codeableConcept) maps to in the trust's
// ConceptMaps: the one at id, the one named by url (and
// conceptMapVersion), one POSTed as the parameter conceptMap, or else
// every ConceptMap with a group from the code's system. Each mapping is
// a match, with its equivalence, the concept it maps to and the map's
// url; targetsystem keeps the groups to that system, source and target
// the maps between those value sets; reverse maps from a target code
// back to its sources (a wider mapping read back is narrower). A code a
// group does not map takes its unmapped: the code as given (provided),
// the group's code (fixed), or another map's mapping (other-map). result
// is true when some match is not unmatched or disjoint.
func (s *Server) handleConceptMapTranslate(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := p.allow("ConceptMap", false); err != nil {
		return err
	}
	o, err := readOpParams(r, "$translate")
	if err != nil {
		return err
	}
	codings, err := operandCodings(o, "system")
	if err != nil {
		return err
	}
	reverse, err := o.boolean("reverse")
	if err != nil {
		return err
	}
	targetSystem, _ := o.str("targetsystem")
	sourceSet, _ := o.str("source")
	targetSet, _ := o.str("target")
	maps, err := s.operandConceptMaps(r, p, o, codings, reverse)
	if err != nil {
		return err
	}
	t := &translation{s: s, ctx: r.Context(), p: p, reverse: reverse, targetSystem: targetSystem}
	var matches []any
	found := false
	for _, cm := range maps {
		if !mapBetween(cm, sourceSet, targetSet, reverse) {
			continue
		}
		for _, c := range codings {
			for _, m := range t.translate(cm, c, 0) {
				if m.equivalence != "unmatched" && m.equivalence != "disjoint" {
					found = true
				}
				matches = append(matches, m.parameter())
			}
		}
	}
	params := []any{map[string]any{"name": "result", "valueBoolean": found}}
	if !found {
		var asked []string
		for _, c := range codings {
			asked = append(asked, c.system+"|"+c.code)
		}
		to := ""
		if targetSystem != "" {
			to = " to " + targetSystem
		}
		params = append(params, map[string]any{"name": "message", "valueString": fmt.Sprintf("no mapping of %s%s in %d ConceptMap(s) of the trust", strings.Join(asked, ", "), to, len(maps))})
	}
	return writeParameters(w, append(params, matches...))
}

// operandConceptMaps returns the ConceptMaps $translate reads: the one at
// the path's id, one POSTed as the parameter conceptMap, the one at url
// (404 when the trust holds none), or every one with a group from the
// codes' systems (to them, when reverse).
func (s *Server) operandConceptMaps(r *http.Request, p *Principal, o *opParams, codings []codingParam, reverse bool) ([]Resource, error) {
	if id := r.PathValue("id"); id != "" {
		res, err := s.readAny(r.Context(), p, "ConceptMap", id, 0)
		if err != nil {
			return nil, err
		}
		if res.Deleted {
			return nil, outcomeOf(http.StatusGone, "deleted", "ConceptMap/%s was deleted (version %d)", id, res.Version)
		}
		cm, err := Decode(res.Body)
		return []Resource{cm}, err
	}
	if cm, where := o.complex("conceptMap", "resource"); where != "" {
		if cm == nil || Resource(cm).Type() != "ConceptMap" {
			return nil, invalid("invalid", where, "$translate: the parameter conceptMap is a ConceptMap (resource)")
		}
		return []Resource{cm}, nil
	}
	if canonical, where := o.str("url"); canonical != "" {
		version, _ := o.str("conceptMapVersion")
		if u, v, ok := strings.Cut(canonical, "|"); ok {
			canonical, version = u, v
		}
		cm, err := s.storedByURL(r.Context(), p, "ConceptMap", canonical, version)
		if err != nil {
			return nil, err
		}
		if cm == nil {
			return nil, &Outcome{Status: http.StatusNotFound, Issues: []Issue{{Severity: "error", Code: "not-found", Expression: where,
				Diagnostics: fmt.Sprintf("$translate: the trust holds no ConceptMap %s (POST it as a ConceptMap)", canonical)}}}
		}
		return []Resource{cm}, nil
	}
	if s.Resources == nil || !p.Actor.Can(crs.ActViewClinical) {
		return nil, nil
	}
	param := "source-system"
	if reverse {
		param = "target-system"
	}
	var group []crs.ResourceCondition
	for _, c := range codings {
		group = append(group, crs.ResourceCondition{Param: param, Kind: "uri", Op: crs.MatchEq, Code: c.system})
	}
	found, _, err := s.Resources.SearchResources(r.Context(), p.Actor, crs.ResourceQuery{Type: "ConceptMap", Count: maxConceptMaps + 1, All: [][]crs.ResourceCondition{group}})
	if err != nil {
		return nil, err
	}
	if len(found) > maxConceptMaps {
		return nil, invalid("too-costly", "system", "$translate: more than %d ConceptMaps map from the code's system: name the one to use (url, or ConceptMap/[id]/$translate)", maxConceptMaps)
	}
	var out []Resource
	for _, f := range found {
		cm, err := Decode(f.Body)
		if err != nil {
			return nil, err
		}
		out = append(out, cm)
	}
	return out, nil
}

// maxConceptMaps bounds the ConceptMaps a $translate naming none reads.
const maxConceptMaps = 100

// mapBetween reports whether a ConceptMap maps from the value set source
// to target, either not asked for (each side the other way round, when
// reverse).
func mapBetween(cm Resource, source, target string, reverse bool) bool {
	from, to := mapScope(cm, "source"), mapScope(cm, "target")
	if reverse {
		from, to = to, from
	}
	return (source == "" || source == from) && (target == "" || target == to)
}

// mapScope is a ConceptMap's source[x] or target[x]: a value set's uri or
// canonical.
func mapScope(cm Resource, side string) string {
	for _, k := range []string{side + "Uri", side + "Canonical"} {
		if v, _ := cm[k].(string); v != "" {
			return v
		}
	}
	return ""
}

// translation reads the mappings of codes in ConceptMaps.
type translation struct {
	s            *Server
	ctx          context.Context
	p            *Principal
	reverse      bool
	targetSystem string
}

// mapping is one match of $translate.
type mapping struct {
	equivalence, system, code, display, source string
}

// parameter is the match as R4's out parameter.
func (m mapping) parameter() map[string]any {
	concept := map[string]any{"code": m.code}
	if m.system != "" {
		concept["system"] = m.system
	}
	if m.display != "" {
		concept["display"] = m.display
	}
	parts := []any{
		map[string]any{"name": "equivalence", "valueCode": m.equivalence},
		map[string]any{"name": "concept", "valueCoding": concept},
	}
	if m.source != "" {
		parts = append(parts, map[string]any{"name": "source", "valueUri": m.source})
	}
	return map[string]any{"name": "match", "part": parts}
}

// reversedEquivalence is an equivalence read from the target back to the
// source.
var reversedEquivalence = map[string]string{"wider": "narrower", "narrower": "wider", "subsumes": "specializes", "specializes": "subsumes"}

// maxOtherMaps bounds how many other maps an unmapped code is followed
// through.
const maxOtherMaps = 3

// translate lists what the coding maps to in the ConceptMap cm; depth
// counts the other maps followed to get there.
func (t *translation) translate(cm Resource, c codingParam, depth int) []mapping {
	url, _ := cm["url"].(string)
	var out []mapping
	for _, g := range array(cm["group"]) {
		group, _ := g.(map[string]any)
		from, _ := group["source"].(string)
		to, _ := group["target"].(string)
		if t.reverse {
			from, to = to, from
		}
		if from != c.system || t.targetSystem != "" && to != t.targetSystem {
			continue
		}
		mapped := false
		for _, e := range array(group["element"]) {
			element, _ := e.(map[string]any)
			code, _ := element["code"].(string)
			display, _ := element["display"].(string)
			for _, x := range array(element["target"]) {
				target, _ := x.(map[string]any)
				tcode, _ := target["code"].(string)
				tdisplay, _ := target["display"].(string)
				equivalence, _ := target["equivalence"].(string)
				if t.reverse {
					if tcode != c.code {
						continue
					}
					if r, ok := reversedEquivalence[equivalence]; ok {
						equivalence = r
					}
					tcode, tdisplay = code, display
				} else if code != c.code {
					continue
				}
				mapped = true
				if tcode == "" {
					// A target of no code: the concept maps to nothing
					// (unmatched), which is said as it stands.
					out = append(out, mapping{equivalence: cmp.Or(equivalence, "unmatched"), system: to, source: url})
					continue
				}
				out = append(out, mapping{equivalence: cmp.Or(equivalence, "equivalent"), system: to, code: tcode, display: tdisplay, source: url})
			}
		}
		if mapped || t.reverse {
			continue
		}
		unmapped, _ := group["unmapped"].(map[string]any)
		switch mode, _ := unmapped["mode"].(string); mode {
		case "provided":
			out = append(out, mapping{equivalence: "equal", system: to, code: c.code, source: url})
		case "fixed":
			code, _ := unmapped["code"].(string)
			display, _ := unmapped["display"].(string)
			out = append(out, mapping{equivalence: "inexact", system: to, code: code, display: display, source: url})
		case "other-map":
			other, _ := unmapped["url"].(string)
			if depth >= maxOtherMaps || other == "" {
				continue
			}
			canonical, version, _ := strings.Cut(other, "|")
			next, err := t.s.storedByURL(t.ctx, t.p, "ConceptMap", canonical, version)
			if err != nil || next == nil {
				continue
			}
			out = append(out, t.translate(next, c, depth+1)...)
		}
	}
	return slices.Clip(out)
}
