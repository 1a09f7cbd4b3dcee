package fhir

import "strings"

// localiseReferences makes a transaction's relative references to its
// own new resources the fullUrls they stand for, so that they are
// rewritten with the rest. R4 resolves a relative reference (Type/id)
// inside a Bundle against the base of the fullUrl of the entry that
// holds it (the server's base when that fullUrl is not a RESTful URL):
// Condition/c1 in an entry of http://example.org/fhir/Observation/o1
// is http://example.org/fhir/Condition/c1, and when an entry of that
// fullUrl is created (or matched by a conditional update) the reference
// must name the resource the server gives it. Only the fullUrls of
// entries whose id the server decides are met: a plain update keeps the
// id of its URL, which the relative reference already names.
func localiseReferences(entries []*txEntry, base string) {
	decided := map[string]bool{}
	for _, e := range entries {
		restful := strings.HasPrefix(e.fullURL, "http://") || strings.HasPrefix(e.fullURL, "https://")
		if restful && (e.method == "POST" || e.method == "PUT" && e.match != "") {
			decided[e.fullURL] = true
		}
	}
	if len(decided) == 0 {
		return // a urn:uuid is named whole: no relative reference stands for it
	}
	for _, e := range entries {
		from := fullURLBase(e.fullURL, base)
		localise := func(x map[string]any, ref string) bool {
			typ, _, ok := strings.Cut(ref, "/")
			if ok && isResource[typ] && !strings.ContainsAny(ref, "?#") {
				if abs := from + "/" + ref; decided[abs] {
					x["reference"] = abs
				}
			}
			return true
		}
		if e.resource != nil {
			eachReference(map[string]any(e.resource), localise)
		}
		if e.patch != nil {
			for _, v := range e.patch.values() {
				eachReference(v, localise)
			}
		}
	}
}

// fullURLBase is the base a relative reference in an entry resolves
// against: its fullUrl less the trailing Type/id when the fullUrl is a
// RESTful URL, else the server's base.
func fullURLBase(fullURL, base string) string {
	if !strings.HasPrefix(fullURL, "http://") && !strings.HasPrefix(fullURL, "https://") {
		return base
	}
	typ, id, ok := splitReference(fullURL)
	if !ok {
		return base
	}
	return fullURL[:strings.LastIndex(fullURL, "/"+typ+"/"+id)]
}
