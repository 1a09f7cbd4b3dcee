package fhir

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"github.com/opencrs/crs"
)

// handleMeta answers [type]/[id]/$meta: the resource's meta (its
// version, time, profiles, tags and security labels) as a Parameters
// with one parameter, return. It is a read of the resource, checked and
// audited as one.
func (s *Server) handleMeta(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
	if typ == "AuditEvent" {
		return outcomeOf(http.StatusMethodNotAllowed, "not-supported", "$meta is not answered for the audit trail; search AuditEvent")
	}
	if err := p.allow(typ, false); err != nil {
		return err
	}
	res, err := s.readAny(r.Context(), p, typ, id, 0)
	if err != nil {
		return err
	}
	if res.Deleted {
		return outcomeOf(http.StatusGone, "deleted", "%s/%s was deleted (version %d)", typ, id, res.Version)
	}
	body, err := Decode(res.Body)
	if err != nil {
		return err
	}
	meta, _ := body["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	return writeMetaParameters(w, meta)
}

// handleMetaInUse answers [type]/$meta and $meta at the base: the
// profiles, tags and security labels in use on the current resources of
// the type, or of every type the client may read, as a Parameters with
// one parameter, return, a Meta. The resource store answers from its
// search index, a tag or security label with the display one of the
// resources carrying it gives; a type the PAS or the PMI serves adds
// the UK Core profile its records carry.
func (s *Server) handleMetaInUse(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ := r.PathValue("type")
	if typ == "AuditEvent" {
		return outcomeOf(http.StatusMethodNotAllowed, "not-supported", "$meta is not answered for the audit trail; search AuditEvent")
	}
	if typ != "" {
		if err := p.allow(typ, false); err != nil {
			return err
		}
	}
	byType, err := s.Resources.MetaInUse(r.Context(), p.Actor, typ)
	if err != nil {
		return err
	}
	for t := range coreMappings {
		if s.coreType(t) != nil && (typ == "" || typ == t) {
			byType[t] = append(byType[t], crs.MetaCode{Param: "_profile", Code: profileBase + t})
		}
	}
	if s.pmi("Patient") && (typ == "" || typ == "Patient") {
		byType["Patient"] = append(byType["Patient"], crs.MetaCode{Param: "_profile", Code: profileBase + "Patient"})
	}
	// A code in use on several types is listed once, with the first
	// display any of them gives.
	seen := map[[3]string]int{}
	var profiles []string
	var tags, security []crs.MetaCode
	for t, codes := range byType {
		if t == "AuditEvent" || !p.Scopes.Allows(t, false) {
			continue
		}
		for _, x := range codes {
			x.Display = metaDisplay(x)
			key := [3]string{x.Param, x.System, x.Code}
			if i, ok := seen[key]; ok {
				list := tags
				if x.Param == "_security" {
					list = security
				}
				if x.Param != "_profile" && list[i].Display == "" {
					list[i].Display = x.Display
				}
				continue
			}
			switch x.Param {
			case "_profile":
				seen[key] = len(profiles)
				profiles = append(profiles, x.Code)
			case "_tag":
				seen[key] = len(tags)
				tags = append(tags, x)
			case "_security":
				seen[key] = len(security)
				security = append(security, x)
			}
		}
	}
	meta := map[string]any{}
	if len(profiles) > 0 {
		slices.Sort(profiles)
		meta["profile"] = profiles
	}
	for name, codes := range map[string][]crs.MetaCode{"tag": tags, "security": security} {
		if len(codes) == 0 {
			continue
		}
		slices.SortFunc(codes, func(a, b crs.MetaCode) int {
			return cmp.Or(strings.Compare(a.System, b.System), strings.Compare(a.Code, b.Code))
		})
		out := make([]any, len(codes))
		for i, c := range codes {
			coding := map[string]any{"code": c.Code}
			if c.System != "" {
				coding["system"] = c.System
			}
			if c.Display != "" {
				coding["display"] = c.Display
			}
			out[i] = coding
		}
		meta[name] = out
	}
	return writeMetaParameters(w, meta)
}

// metaDisplay is the display the first of the resources carrying a tag
// or security label that gives one gives it, "" when none does.
func metaDisplay(c crs.MetaCode) string {
	name := "tag"
	if c.Param == "_security" {
		name = "security"
	}
	for _, body := range c.Carriers {
		meta, _ := decodeStored(&crs.Resource{Body: body})["meta"].(map[string]any)
		for _, x := range array(meta[name]) {
			coding, _ := x.(map[string]any)
			system, _ := coding["system"].(string)
			code, _ := coding["code"].(string)
			if d, _ := coding["display"].(string); d != "" && system == c.System && code == c.Code {
				return d
			}
		}
	}
	return ""
}

// writeMetaParameters answers a Meta as the Parameters of the meta
// operations: one parameter, return.
func writeMetaParameters(w http.ResponseWriter, meta map[string]any) error {
	return writeParameters(w, []any{map[string]any{"name": "return", "valueMeta": meta}})
}
