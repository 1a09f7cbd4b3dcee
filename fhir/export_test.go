package fhir

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// DecodeJSON is decodeJSON, for the tests of package fhir_test.
var DecodeJSON = decodeJSON

// UnstampedTime is the placeholder a prepared create's meta.lastUpdated
// holds until its command stamps it.
const UnstampedTime = unstamped

// MinimalResource is a resource of the type holding only what R4
// requires of it (each element of at least one occurrence, and each
// of those elements' own required parts), with values of each element's
// type: what a client testing every type creates first.
func MinimalResource(typ string) map[string]any {
	m := minimalOf(typ, typ, 0)
	m["resourceType"] = typ
	return m
}

// minimalOf fills the required children of the element at path, whose
// definitions are under def (a data type's own name for a data type).
func minimalOf(path, def string, depth int) map[string]any {
	out := map[string]any{}
	chosen := map[string]bool{}
	for i := range elementTable {
		el := &elementTable[i]
		rest, ok := strings.CutPrefix(el.Path, def+".")
		if !ok || strings.Contains(rest, ".") || el.Min == 0 || len(el.Types) == 0 {
			continue
		}
		name := rest
		if el.Choice {
			t := el.Types[0]
			base := strings.TrimSuffix(rest, strings.ToUpper(t[:1])+t[1:])
			if chosen[base] {
				continue
			}
			chosen[base] = true
		}
		v := minimalValue(el, depth)
		if v == nil {
			continue
		}
		if el.Max != 1 {
			v = []any{v}
		}
		out[name] = v
	}
	if len(out) == 0 && depth < 6 {
		// An element must hold something: its first simple part.
		for i := range elementTable {
			el := &elementTable[i]
			rest, ok := strings.CutPrefix(el.Path, def+".")
			if !ok || strings.Contains(rest, ".") || rest == "id" || rest == "extension" || rest == "modifierExtension" || len(el.Types) != 1 {
				continue
			}
			if v := primitiveValue(el.Path, el.Types[0]); v != nil {
				if el.Max != 1 {
					v = []any{v}
				}
				out[rest] = v
				break
			}
		}
	}
	return out
}

func minimalValue(el *Element, depth int) any {
	t := el.Types[0]
	if v := primitiveValue(el.Path, t); v != nil {
		return v
	}
	if depth > 6 {
		return nil
	}
	switch t {
	case "Resource":
		return nil
	case "BackboneElement", "Element":
		def := el.Path
		if el.ContentRef != "" {
			def = el.ContentRef
		}
		return minimalOf(el.Path, def, depth+1)
	case "Reference":
		return map[string]any{"display": "a reference"}
	case "Narrative":
		return map[string]any{"status": "generated", "div": `<div xmlns="http://www.w3.org/1999/xhtml">text</div>`}
	}
	return minimalOf(t, t, depth+1)
}

func primitiveValue(path, t string) any {
	switch t {
	case "code":
		if codes := requiredCodes[path]; len(codes) > 0 {
			return codes[0]
		}
		return "a-code"
	case "string", "markdown":
		return "text"
	case "id":
		return "an-id"
	case "uri", "url", "canonical":
		return "http://example.org/fhir/x"
	case "oid":
		return "urn:oid:1.2.3"
	case "uuid":
		return "urn:uuid:2f3a8e2c-0c4b-4d9e-9a57-6f1d1e0b8a11"
	case "boolean":
		return true
	case "integer", "unsignedInt", "positiveInt":
		return 1
	case "decimal":
		return 1.5
	case "date":
		return "2026-01-01"
	case "dateTime", "instant":
		return "2026-01-01T10:00:00Z"
	case "time":
		return "10:00:00"
	case "base64Binary":
		return "dGV4dA=="
	}
	return nil
}

// XMLToJSON and JSONToXML are the FHIR XML reader and writer, for the
// tests of package fhir_test.
var (
	XMLToJSON = xmlToJSON
	JSONToXML = jsonToXML
)

// AppendJSON is appendJSON, for the tests of package fhir_test.
var AppendJSON = appendJSON

// ReadEveryMatch makes a sorted search of the typed core and the PMI
// read every match and keep those up to its page's end, as a sort no
// column orders does, until the function it returns is called.
func ReadEveryMatch() (restore func()) {
	readEveryMatch = true
	return func() { readEveryMatch = false }
}

// SetMaxChainMatches bounds how many resources a chain's search may find
// at n, until the function it returns is called.
func SetMaxChainMatches(n int) (restore func()) {
	was := maxChainMatches
	maxChainMatches = n
	return func() { maxChainMatches = was }
}

// SetHasPage makes a reverse chain on Patient read page resources at a
// time and refuse one finding more than most, until the function it
// returns is called.
func SetHasPage(page, most int) (restore func()) {
	wasPage, wasMost := hasPage, maxHasMatches
	hasPage, maxHasMatches = page, most
	return func() { hasPage, maxHasMatches = wasPage, wasMost }
}

// SetPMICandidates makes a Patient search read at most n patients from
// one search of the PMI, until the function it returns is called.
func SetPMICandidates(n int) (restore func()) {
	was := pmiCandidates
	pmiCandidates = n
	return func() { pmiCandidates = was }
}

// CountRead adds to n the records each read of typ's tables returns,
// until the function it returns is called.
func CountRead(typ string, n *int) (restore func()) {
	saved := coreTables[typ]
	counted := slices.Clone(saved)
	for i := range counted {
		list := counted[i].list
		counted[i].list = func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) ([]*crs.Resource, string, error) {
			rs, next, err := list(s, ctx, a, q)
			*n += len(rs)
			return rs, next, err
		}
	}
	coreTables[typ] = counted
	return func() { coreTables[typ] = saved }
}

// AuditEventOf is auditEvent, for the tests of package fhir_test.
var AuditEventOf = auditEvent

// ExtensionSnapshotJSON is R4's snapshot of Extension, as generated.
const ExtensionSnapshotJSON = extensionSnapshotJSON

// SetNotificationAttempts makes a Subscription notification get n tries,
// the first retry after wait, until the function it returns is called.
func SetNotificationAttempts(n int, wait time.Duration) (restore func()) {
	wasN, wasWait := maxNotificationAttempts, notificationRetry
	maxNotificationAttempts, notificationRetry = n, wait
	return func() { maxNotificationAttempts, notificationRetry = wasN, wasWait }
}
