package fhir

import (
	"strings"

	"github.com/opencrs/crs"
)

// Scope is one SMART system scope: what a system may do to one resource
// type, or to all ("*").
type Scope struct {
	Type  string
	Read  bool   // read, vread, search, history
	Write bool   // create, update, delete
	Perm  string // as a SMART v2 scope names them (c, r, u, d, s, in that order); "" for a v1 scope
}

// Scopes are the SMART scopes a client was registered with, or a token
// was given.
type Scopes []Scope

// ParseScopes reads space-separated SMART scopes, v1
// (system/Patient.read, system/*.write, system/Observation.*) or v2
// (system/Patient.rs, system/*.cruds).
func ParseScopes(s string) (Scopes, error) {
	var out Scopes
	for _, f := range strings.Fields(s) {
		rest, ok := strings.CutPrefix(f, "system/")
		if !ok {
			return nil, crs.Errorf(crs.EINVALID, "scope %q is not a system scope (system/Type.read)", f)
		}
		typ, perm, ok := strings.Cut(rest, ".")
		if !ok || (typ != "*" && !isResource[typ]) {
			return nil, crs.Errorf(crs.EINVALID, "scope %q does not name an R4 resource type or *", f)
		}
		sc := Scope{Type: typ}
		switch perm {
		case "read":
			sc.Read = true
		case "write":
			sc.Write = true
		case "*":
			sc.Read, sc.Write = true, true
		default:
			if perm == "" || strings.Trim(perm, "cruds") != "" {
				return nil, crs.Errorf(crs.EINVALID, "scope %q: %q is not read, write, * or a SMART v2 cruds", f, perm)
			}
			sc.Read = strings.ContainsAny(perm, "rs")
			sc.Write = strings.ContainsAny(perm, "cud")
			sc.Perm = v2Perm(perm, sc.Read, sc.Write)
		}
		out = append(out, sc)
	}
	return out, nil
}

// v2Perm is the SMART v2 permissions of perm (letters of cruds) that
// read and write allow, in cruds order.
func v2Perm(perm string, read, write bool) string {
	var b strings.Builder
	for _, c := range "cruds" {
		if strings.ContainsRune(perm, c) && (read && strings.ContainsRune("rs", c) || write && strings.ContainsRune("cud", c)) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// String writes the scopes in the form they were asked in: a v2 scope
// as v2 (system/Observation.rs), a v1 scope as v1 (system/Patient.read),
// so that a client granted what it asked for sees it granted.
func (s Scopes) String() string {
	var parts []string
	for _, sc := range s {
		switch {
		case sc.Perm != "":
			parts = append(parts, "system/"+sc.Type+"."+sc.Perm)
		case sc.Read && sc.Write:
			parts = append(parts, "system/"+sc.Type+".*")
		case sc.Read:
			parts = append(parts, "system/"+sc.Type+".read")
		case sc.Write:
			parts = append(parts, "system/"+sc.Type+".write")
		}
	}
	return strings.Join(parts, " ")
}

// Within returns the scopes of s also granted by limit: what a token
// asking for s gets from a client registered with limit.
func (s Scopes) Within(limit Scopes) Scopes {
	var out Scopes
	for _, sc := range s {
		var got Scope
		for _, l := range limit {
			if l.Type == "*" || l.Type == sc.Type {
				got.Read = got.Read || (sc.Read && l.Read)
				got.Write = got.Write || (sc.Write && l.Write)
			}
		}
		if !got.Read && !got.Write {
			continue
		}
		got.Type = sc.Type
		if sc.Perm != "" {
			got.Perm = v2Perm(sc.Perm, got.Read, got.Write)
		}
		merged := false
		for i := range out {
			if out[i].Type == got.Type {
				// Both v2: the permissions of either; else written as v1.
				perm := ""
				if out[i].Perm != "" && got.Perm != "" {
					perm = v2Perm(out[i].Perm+got.Perm, true, true)
				}
				out[i].Read, out[i].Write, out[i].Perm = out[i].Read || got.Read, out[i].Write || got.Write, perm
				merged = true
			}
		}
		if !merged {
			out = append(out, got)
		}
	}
	return out
}

// Allows reports whether the scopes allow reading (write false) or
// writing the resource type.
func (s Scopes) Allows(typ string, write bool) bool {
	for _, sc := range s {
		if sc.Type == "*" || sc.Type == typ {
			if write && sc.Write || !write && sc.Read {
				return true
			}
		}
	}
	return false
}

// allow returns EFORBIDDEN unless the principal's scopes allow the
// interaction on the type.
func (p *Principal) allow(typ string, write bool) error {
	if write && typ == "AuditEvent" {
		return auditWriteRefused()
	}
	if p.Scopes.Allows(typ, write) {
		return nil
	}
	what := "read"
	if write {
		what = "write"
	}
	return crs.Errorf(crs.EFORBIDDEN, "the token's scopes do not allow %s of %s (it needs system/%s.%s)", what, typ, typ, what)
}
