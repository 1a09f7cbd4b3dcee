package fhir

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/opencrs/crs"
)

// handleMetaAdd answers [type]/[id]/$meta-add and
// [type]/[id]/_history/[vid]/$meta-add: the profiles, tags and security
// labels of the Meta sent are added to the meta of the current version,
// or of the version named, with no new version written.
func (s *Server) handleMetaAdd(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return s.changeMeta(w, r, p, "$meta-add")
}

// handleMetaDelete answers [type]/[id]/$meta-delete and
// [type]/[id]/_history/[vid]/$meta-delete: the profiles, tags and
// security labels of the Meta sent are taken out of the meta of the
// current version, or of the version named, with no new version
// written.
func (s *Server) handleMetaDelete(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return s.changeMeta(w, r, p, "$meta-delete")
}

// changeMeta changes the meta of a resource of the resource store by op
// ($meta-add or $meta-delete) through the write path: the body of the
// version named (_history/N/$meta-add), or of the current version, is
// rewritten in place, its versionId and lastUpdated as they were, with
// an event and an audit record naming the version whose meta changed;
// of the current version, its search index rows of _profile, _tag and
// _security are rewritten too (an earlier version is in no search). R4
// keeps meta out of versioning: the content of every version stays as
// it was written. It answers a Parameters holding the version's meta as
// it now stands. A version that deleted the resource has no meta to
// change.
func (s *Server) changeMeta(w http.ResponseWriter, r *http.Request, p *Principal, op string) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
	if typ == "AuditEvent" {
		return outcomeOf(http.StatusMethodNotAllowed, "not-supported", "%s is not answered for the audit trail, which is written only by the accesses it records", op)
	}
	if err := p.allow(typ, true); err != nil {
		return err
	}
	if s.pmi(typ) {
		return outcomeOf(http.StatusMethodNotAllowed, "not-supported",
			"Patient/%s is the PMI's record, whose meta (the UK Core profile, its version and time) is made from the record as it stands and keeps no tags or security labels: %s is not answered for it", id, op)
	}
	if err := s.refuseCoreWrite(r.Context(), p, typ, id); err != nil {
		return err
	}
	version := 0
	if v := r.PathValue("vid"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return invalid("invalid", "", "%q is not a version of %s/%s", v, typ, id)
		}
		version = n
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	sent, err := metaSent(body, op)
	if err != nil {
		return err
	}
	var meta map[string]any
	err = s.Store.Write(r.Context(), p.Actor, crs.ActRecordClinical, func(tx crs.Tx) error {
		cur, err := tx.GetResource(typ, id)
		if err != nil {
			return err
		}
		current := cur.Version
		if version != 0 && version != current {
			if cur, err = tx.GetResourceVersion(typ, id, version); err != nil {
				return err
			}
		}
		if cur.Deleted {
			return outcomeOf(http.StatusGone, "deleted", "%s/%s was deleted (version %d): a deletion has no meta to change", typ, id, cur.Version)
		}
		if err := refuseNoteWrite(typ, id, cur, nil); err != nil {
			return err
		}
		res, err := Decode(cur.Body)
		if err != nil {
			return err
		}
		meta, _ = res["meta"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
		}
		if !applyMeta(meta, sent, op == "$meta-add") {
			return errUnchanged
		}
		res["meta"] = meta
		b, err := encodeResource(res)
		if err != nil {
			return err
		}
		var index []crs.ResourceIndexRow
		if cur.Version == current {
			index = IndexRows(res)
		}
		return tx.PutResourceMeta(&crs.Resource{Type: typ, ID: id, Version: cur.Version, Body: b}, index)
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return err
	}
	return writeMetaParameters(w, meta)
}

// metaSent reads the Parameters of $meta-add or $meta-delete: its one
// parameter, meta, a Meta whose profiles, tags and security labels are
// checked (a profile a canonical, a tag or label a Coding with a code).
// Its versionId and lastUpdated are ignored, as R4 says.
func metaSent(body []byte, op string) (map[string]any, error) {
	params, err := Decode(body)
	if err != nil {
		return nil, err
	}
	if params.Type() != "Parameters" {
		return nil, invalid("invalid", "resourceType", "%s takes a Parameters, not a %s", op, params.Type())
	}
	var meta map[string]any
	for i, pm := range array(params["parameter"]) {
		m, _ := pm.(map[string]any)
		where := fmt.Sprintf("Parameters.parameter[%d]", i)
		if m["name"] != "meta" {
			return nil, invalid("not-supported", where+".name", "%s takes one parameter, meta, not %v", op, m["name"])
		}
		if meta != nil {
			return nil, invalid("invalid", where, "%s takes one parameter meta; this is a second", op)
		}
		if meta, _ = m["valueMeta"].(map[string]any); meta == nil {
			return nil, invalid("invalid", where+".valueMeta", "the parameter meta of %s is a Meta (valueMeta)", op)
		}
		for k, v := range meta {
			at := where + ".valueMeta." + k
			switch k {
			case "versionId", "lastUpdated":
			case "profile":
				for j, x := range array(v) {
					if s, _ := x.(string); s == "" {
						return nil, invalid("invalid", fmt.Sprintf("%s[%d]", at, j), "a profile is a canonical URL, not %v", x)
					}
				}
			case "tag", "security":
				for j, x := range array(v) {
					c, _ := x.(map[string]any)
					if code, _ := c["code"].(string); code == "" {
						return nil, invalid("invalid", fmt.Sprintf("%s[%d]", at, j), "a %s is a Coding with a code (and its system)", k)
					}
				}
			default:
				return nil, invalid("not-supported", at, "%s changes a resource's profiles, tags and security labels, not its %s", op, k)
			}
		}
	}
	if meta == nil {
		return nil, invalid("required", "Parameters.parameter", "%s takes the parameter meta, a Meta holding the profiles, tags and security labels to %s", op, map[string]string{"$meta-add": "add", "$meta-delete": "take out"}[op])
	}
	return meta, nil
}

// applyMeta adds to meta (add) or takes out of it the profiles, tags and
// security labels of sent: a profile is matched by its canonical, a tag
// or label by its system and code. It reports whether meta changed.
func applyMeta(meta, sent map[string]any, add bool) bool {
	changed := false
	for _, k := range []string{"profile", "tag", "security"} {
		have := array(meta[k])
		for _, x := range array(sent[k]) {
			i := slices.IndexFunc(have, func(h any) bool { return sameMeta(h, x) })
			switch {
			case add && i < 0:
				have = append(have, x)
			case !add && i >= 0:
				have = slices.DeleteFunc(have, func(h any) bool { return sameMeta(h, x) })
			default:
				continue
			}
			changed = true
		}
		if len(have) == 0 {
			delete(meta, k)
		} else {
			meta[k] = have
		}
	}
	return changed
}

// sameMeta reports whether two entries of a meta list are the same: two
// profiles by their canonical, two Codings by system and code.
func sameMeta(a, b any) bool {
	if s, ok := a.(string); ok {
		return s == b
	}
	ca, _ := a.(map[string]any)
	cb, _ := b.(map[string]any)
	return ca != nil && cb != nil && ca["system"] == cb["system"] && ca["code"] == cb["code"]
}
