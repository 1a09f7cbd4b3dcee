package fhir

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/opencrs/crs"
)

// handleValueSetValidateCode answers ValueSet/$validate-code and
// ValueSet/[id]/$validate-code: whether a code (system and code, a
// coding, or any coding of a codeableConcept) is in the value set, and
// what it is called. A code of a system the value set takes whole is in
// it when the system holds it (the trust's SNOMED CT release, a stored
// CodeSystem, R4's and UK Core's codes). A display that is none of the
// code's names is a warning, as R4 has it: the answer is true, with a
// message saying the display is not the code's.
func (s *Server) handleValueSetValidateCode(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := p.allow("ValueSet", false); err != nil {
		return err
	}
	o, err := readOpParams(r, "$validate-code")
	if err != nil {
		return err
	}
	vs, where, err := s.operandValueSet(r, p, o)
	if err != nil {
		return err
	}
	codings, err := operandCodings(o, "system")
	if err != nil {
		return err
	}
	incs, err := s.composed(r.Context(), p, vs, 0)
	if err != nil {
		return unprocessable("not-supported", where, "the value set %v", err)
	}
	name, _ := vs["url"].(string)
	var v validation
	for _, c := range codings {
		ok, display, msg, err := s.codeInValueSet(r.Context(), p, incs, c, name)
		if crs.ErrorCode(err) == crs.EINVALID {
			// A reference set the trust's release lacks.
			return unprocessable("not-supported", where, "%s", crs.ErrorMessage(err))
		} else if err != nil {
			return err
		}
		if v.add(ok, display, msg) {
			break
		}
	}
	return v.write(w)
}

// validation gathers what $validate-code found of each coding it was
// asked about: the first valid one answers, one whose display is right
// before one with a warning; none valid answers false with every reason.
type validation struct {
	found         bool
	display, warn string
	reasons       []string
}

// add notes a coding's answer: valid or not, its display, and why not
// (or, valid, the warning); true when no later coding can do better.
func (v *validation) add(ok bool, display, msg string) bool {
	switch {
	case ok && msg == "":
		v.found, v.display, v.warn = true, display, ""
		return true
	case ok && !v.found:
		v.found, v.display, v.warn = true, display, msg
	case !ok:
		v.reasons = append(v.reasons, msg)
	}
	return false
}

// write answers $validate-code with what was found.
func (v *validation) write(w http.ResponseWriter) error {
	if v.found {
		return writeValidated(w, true, v.warn, v.display)
	}
	return writeValidated(w, false, strings.Join(v.reasons, "; "), "")
}

// codeInValueSet says whether a code is in what a value set includes,
// with what the code is called, or why not; a code in it with a display
// that is not its own is in it, with a message saying so.
func (s *Server) codeInValueSet(ctx context.Context, p *Principal, incs []ValueSetInclude, c codingParam, name string) (bool, string, string, error) {
	for _, in := range incs {
		if in.System != c.system {
			continue
		}
		var known *codeEntry
		if in.byRelease() || len(in.Minus) > 0 {
			if err := s.snomedReady(ctx, p); err != nil {
				return false, "", fmt.Sprintf("%s includes %s, and %s", name, in.what(), crs.ErrorMessage(err)), nil
			}
			if err := s.includeReady(ctx, p, in); err != nil {
				return false, "", "", crs.Errorf(crs.EINVALID, "the value set %s includes %s, and %s", name, in.what(), crs.ErrorMessage(err))
			}
			held, err := s.snomedHolds(ctx, p, in, c.code)
			if err != nil {
				return false, "", "", err
			}
			if !held {
				continue
			}
		}
		if in.byRelease() {
			found, err := s.findCode(ctx, p, c.system, c.code)
			if err != nil {
				if crs.ErrorCode(err) == crs.ENOTFOUND {
					continue
				}
				return false, "", "", err
			}
			return true, found.Display, displayMismatch(found, c), nil
		}
		if in.Codes != nil {
			if !slices.Contains(in.Codes, c.code) {
				continue
			}
			known = &codeEntry{System: in.System, Code: c.code, Display: in.Display[c.code]}
			if known.Display == "" {
				if found, err := s.findCode(ctx, p, c.system, c.code); err == nil {
					known = found
				} else if code := crs.ErrorCode(err); code != crs.ENOTFOUND && code != crs.EINVALID {
					return false, "", "", err
				}
			}
		} else {
			found, err := s.findCode(ctx, p, c.system, c.code)
			switch crs.ErrorCode(err) {
			case "":
				known = found
			case crs.ENOTFOUND:
				continue
			case crs.EINVALID:
				return false, "", fmt.Sprintf("%s takes %s whole, and %s", name, c.system, crs.ErrorMessage(err)), nil
			default:
				return false, "", "", err
			}
		}
		return true, known.Display, displayMismatch(known, c), nil
	}
	return false, "", fmt.Sprintf("the code %s|%s is not in the value set %s", c.system, c.code, name), nil
}

// displayMismatch says why a display sent is none of a code's names
// (its display and designations, in any case); "" when it is one of
// them, or when none was sent or none is known.
func displayMismatch(known *codeEntry, c codingParam) string {
	if c.display == "" || known.Display == "" {
		return ""
	}
	for _, n := range append([]string{known.Display}, known.Designations...) {
		if strings.EqualFold(n, c.display) {
			return ""
		}
	}
	return fmt.Sprintf("the display %q is not a name of %s|%s, which is %q", c.display, c.system, c.code, known.Display)
}

// handleCodeSystemValidateCode answers CodeSystem/$validate-code:
// whether a code (url and code, a coding, or any coding of a
// codeableConcept) is in the code system, from the trust's SNOMED CT
// release, a stored CodeSystem, or R4's and UK Core's codes; a display
// that is not the code's is a warning, with the answer true. A system
// the server does not know is 400.
func (s *Server) handleCodeSystemValidateCode(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := p.allow("CodeSystem", false); err != nil {
		return err
	}
	o, err := readOpParams(r, "$validate-code")
	if err != nil {
		return err
	}
	codings, err := operandCodings(o, "url")
	if err != nil {
		return err
	}
	var v validation
	for _, c := range codings {
		system := c.system
		if ver, _ := o.str("version"); ver != "" {
			system += "|" + ver
		}
		found, err := s.findCode(r.Context(), p, system, c.code)
		switch crs.ErrorCode(err) {
		case "":
			if v.add(true, found.Display, displayMismatch(found, c)) {
				return v.write(w)
			}
		case crs.ENOTFOUND:
			v.add(false, "", crs.ErrorMessage(err))
		case crs.EINVALID:
			where := "url"
			if c.where != "code" {
				where = c.where + ".system"
			}
			return invalid("not-supported", where, "$validate-code: %s", crs.ErrorMessage(err))
		default:
			return err
		}
	}
	return v.write(w)
}

// writeValidated answers $validate-code: result, and the message saying
// why not or the display of the code.
func writeValidated(w http.ResponseWriter, result bool, message, display string) error {
	params := []any{map[string]any{"name": "result", "valueBoolean": result}}
	if message != "" {
		params = append(params, map[string]any{"name": "message", "valueString": message})
	}
	if display != "" {
		params = append(params, map[string]any{"name": "display", "valueString": display})
	}
	return writeParameters(w, params)
}
