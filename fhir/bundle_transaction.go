package fhir

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// txEntry is one entry of a batch or transaction Bundle, as read.
type txEntry struct {
	index       int
	fullURL     string
	method      string
	typ, id     string
	criteria    string // POST: ifNoneExist
	match       string // a conditional PATCH, PUT or DELETE (Type?query): its query
	patch       *resourcePatch
	ifMatch     int
	resource    Resource
	response    bundleEntry
	outcome     *Outcome
	newID       string
	resolvedRef string // what a reference to fullURL becomes
	pmi         bool   // a Patient of the patient index
	patientsPMI bool   // Patients are those of the patient index (conditional references find them there)
	prepared    *preparedCreate
	held        *heldWrite           // a transaction's create of one of the PAS's records, through its command
	patient     *newPatient          // a Patient of the patient index mapped on the request (prepareCreates), not yet registered
	get         string               // a batch's GET: its url, answered as the API answers it (bundle_get.go)
	op          string               // an operation invoked by POST (Patient/$match): its url, answered as the API answers it; method is then ""
	opBody      []byte               // the operation's Parameters
	opMethod    string               // a batch's write of one of the PAS's records (heldWriteEntry), answered as the API answers it: its method (op and opBody its url and resource)
	opHeader    http.Header          // that write's If-Match
	sameAs      *txEntry             // an earlier conditional create of the transaction with the same type and criteria: this one finds what it creates
	check       func(Resource) error // a PATCH: checks its result as a create's resource is checked (Server.codeCheck)
	matched     string               // a conditional PUT: the id of the resource its query found, "" when it creates one (newID)
	// ifNoneMatch and ifModifiedSince are the entry's conditions (R4's
	// request.ifNoneMatch, request.ifModifiedSince): a GET answers 304
	// when the version read is the one named or not newer; a PUT, PATCH
	// or DELETE is refused (412) when ifNoneMatch names the current
	// version.
	ifNoneMatch     string
	ifModifiedSince time.Time
}

// handleBundle answers a batch, transaction or history Bundle posted to
// the base. A transaction is one command, all or nothing: urn:uuid
// references between its entries and conditional references
// (Patient?identifier=) are resolved, in its resources and in its
// patches' values, conditional creates (ifNoneExist) answered by what
// matches, conditional updates (Type?query) applied to the one match or
// creating, found before the entries apply so that references to their
// fullUrls resolve to it, a Patient of the patient index found by one
// identifier. A PATCH entry carries a Binary holding a JSON Patch or a
// Parameters holding a FHIRPath Patch. A batch applies each entry
// alone. A history Bundle is applied as a transaction is, its versions
// in the order they were made (applyHistory), and answered as a
// transaction is.
func (s *Server) handleBundle(w http.ResponseWriter, r *http.Request, p *Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	res, err := decodeSent(body)
	var broken map[int]*Outcome
	if err != nil {
		if res, broken = batchApart(body, err); res == nil {
			return err
		}
	}
	if res.Type() != "Bundle" {
		return invalid("invalid", "resourceType", "post a Bundle of type batch, transaction or history to the base, not a %s", res.Type())
	}
	kind, _ := res["type"].(string)
	if kind != "transaction" && kind != "batch" && kind != "history" {
		return invalid("invalid", "Bundle.type", "the Bundle's type is %q; the base takes batch, transaction or history", kind)
	}
	raw, _ := res["entry"].([]any)
	entries := make([]*txEntry, len(raw))
	for i, e := range raw {
		if o := broken[i]; o != nil {
			entries[i] = &txEntry{index: i, outcome: o}
			continue
		}
		if kind == "history" {
			v, err := versionEntry(i, e.(map[string]any))
			if err != nil {
				return err
			}
			e = v
		} else if u, ok := batchGET(e.(map[string]any)); ok && (kind == "batch" || !isRead(u)) {
			te := &txEntry{index: i, get: u}
			if kind == "batch" {
				te.method = "GET" // a transaction's is answered after its writes, not among them
			}
			err := te.readConditions(e.(map[string]any))
			if err == nil && kind == "transaction" {
				// A transaction's search (or history, or $everything)
				// is answered once its writes are done, as its GETs
				// come last; one the API would refuse fails the
				// transaction before.
				err = s.checkLateGET(p, i, u)
			}
			switch {
			case err != nil && kind == "transaction":
				return err
			case err != nil:
				te.outcome = asOutcome(err)
			}
			entries[i] = te
			continue
		} else if u, body, ok := entryOperation(e.(map[string]any)); ok {
			te := &txEntry{index: i, op: u, opBody: body}
			if op := operationName(u); kind == "transaction" && !readOnlyOperations[op] {
				return invalid("not-supported", fmt.Sprintf("Bundle.entry[%d].request.url", i), "%s changes records or is not known; a transaction may invoke only operations that change nothing (%s)",
					op, strings.Join(slices.Sorted(maps.Keys(readOnlyOperations)), ", "))
			}
			entries[i] = te
			continue
		}
		if kind == "batch" {
			if te, ok := s.heldWriteEntry(i, e.(map[string]any)); ok {
				entries[i] = te
				continue
			}
		}
		te, err := readEntry(i, e.(map[string]any))
		if err == nil && kind == "transaction" {
			te.held, err = s.heldCreateOf(r, p, te)
			if err == nil && te.held == nil {
				te.held, err = s.heldUpdateOf(r, p, te)
			}
			if err != nil {
				err = inEntry(te, err)
			}
		}
		if err != nil {
			if kind != "batch" {
				return err
			}
			te = &txEntry{index: i, outcome: asOutcome(err)}
		} else if err := s.allowEntry(r.Context(), p, te); err != nil {
			if kind != "batch" {
				return err
			}
			te.outcome = asOutcome(err)
		} else if err := s.checkSentUnlessHeld(r.Context(), p.Actor, te); err != nil {
			if kind != "batch" {
				return err
			}
			te.outcome = asOutcome(err)
		} else if te.method == "PATCH" {
			te.check = s.codeCheck(r.Context(), p.Actor)
		}
		entries[i] = te
	}
	base := baseURL(r)
	switch kind {
	case "history":
		if err := s.applyHistory(r.Context(), p, entries, base); err != nil {
			return err
		}
		kind = "transaction" // R4 names no history-response
	case "transaction":
		// An operation changes nothing: it is answered from the records
		// as they are before the transaction, and one that fails fails
		// the transaction.
		for _, e := range entries {
			if e.op == "" {
				continue
			}
			e.response = s.answerRequest(r, http.MethodPost, e.op, e.opBody)
			if st, _ := strconv.Atoi(e.response.Response.Status); st >= 300 {
				return inEntry(e, failedEntry(e.response))
			}
		}
		localiseReferences(entries, base)
		prepareCreates(entries)
		err := s.Store.Write(r.Context(), p.Actor, crs.ActRecordClinical, func(tx crs.Tx) error {
			bt := &bulkTx{Tx: tx}
			if err := applyTransaction(bt, entries, base); err != nil {
				return err
			}
			if err := scoreTransaction(bt, entries); err != nil {
				return err // a complete set of vital signs is scored by NEWS2 in the same command
			}
			if err := bt.flush(); err != nil {
				return err
			}
			if tx.LastEventID() == "" {
				return errUnchanged // conditional creates that all matched: nothing to write
			}
			return nil
		})
		if err != nil && !errors.Is(err, errUnchanged) {
			return err
		}
		if err := answerHeld(r.Context(), entries, base); err != nil {
			return err
		}
		for _, e := range entries {
			if e.get != "" {
				e.response = s.answerGET(r, e)
			}
		}
	default:
		for _, e := range entries {
			if e.get != "" && e.outcome == nil {
				e.response = s.answerGET(r, e)
				continue
			}
			if e.op != "" {
				e.response = s.answerRequestWith(r, cmp.Or(e.opMethod, http.MethodPost), e.op, e.opBody, e.opHeader)
				continue
			}
			if e.outcome != nil {
				continue
			}
			err := s.Store.Write(r.Context(), p.Actor, crs.ActRecordClinical, func(tx crs.Tx) error {
				if err := applyEntry(tx, e, base, nil); err != nil {
					return err
				}
				if tx.LastEventID() == "" {
					return errUnchanged
				}
				return nil
			})
			if err != nil && !errors.Is(err, errUnchanged) {
				e.outcome = asOutcome(err)
			}
		}
	}
	out := &bundle{ResourceType: "Bundle", Type: kind + "-response"}
	prefer := prefer(r, "return")
	applied(w, r)
	for _, e := range entries {
		if e.outcome != nil {
			out.Entry = append(out.Entry, bundleEntry{Response: &entryResponse{Status: strconv.Itoa(e.outcome.Status), Outcome: e.outcome.JSON()}})
			continue
		}
		out.Entry = append(out.Entry, preferredEntry(e.response, e.method, prefer))
	}
	writeBundle(w, out)
	return nil
}

// batchApart reads a batch Bundle that failed R4's checks (err) only in
// some of its entries: a batch applies each entry alone, so an entry
// that is not valid R4 (an unknown element, a date that is not one) is
// answered in its place in the batch-response with what is wrong with
// it, and the others are applied. It returns the Bundle and the
// outcome of each entry that failed, by index; nil when the body is not
// a batch, or fails outside its entries, and err is the answer.
func batchApart(body []byte, err error) (Resource, map[int]*Outcome) {
	var o *Outcome
	if !errors.As(err, &o) || o.Status != http.StatusBadRequest || len(o.Issues) == 0 {
		return nil, nil
	}
	v, ok := decodeJSON(body)
	obj, _ := v.(map[string]any)
	if !ok || obj["resourceType"] != "Bundle" || obj["type"] != "batch" {
		return nil, nil
	}
	broken := map[int]*Outcome{}
	for _, is := range o.Issues {
		rest, ok := strings.CutPrefix(is.Expression, "Bundle.entry[")
		n, after, found := strings.Cut(rest, "]")
		i, err := strconv.Atoi(n)
		if !ok || !found || err != nil || after != "" && !strings.HasPrefix(after, ".") {
			return nil, nil // an issue of the Bundle itself
		}
		if broken[i] == nil {
			broken[i] = &Outcome{Status: http.StatusBadRequest}
		}
		broken[i].Issues = append(broken[i].Issues, is)
	}
	return Resource(obj), broken
}

// allowEntry checks the token may make the entry's request and that it
// does not write a record of the typed core, and marks a Patient of the
// patient index.
func (s *Server) allowEntry(ctx context.Context, p *Principal, te *txEntry) error {
	if err := p.allow(te.typ, te.method != "GET"); err != nil {
		return err
	}
	te.pmi, te.patientsPMI = s.pmi(te.typ), s.pmi("Patient")
	if te.held != nil {
		return p.Actor.Authorize(crs.ActManagePathways) // as the PAS's command of it by itself
	}
	switch {
	case te.method == "GET":
	case te.pmi && te.method == "DELETE":
		// A delete of a patient of the PMI is of a registration made in
		// error, as DELETE Patient/[id] is.
		return p.Actor.Authorize(crs.ActMergePatients)
	case te.pmi && te.method == "PATCH":
		// A patch of a patient of the PMI is a demographics change, as
		// PATCH Patient/[id] is.
		if err := p.Actor.Authorize(crs.ActAmendDemographics); err != nil {
			return err
		}
		return s.refuseCoreWrite(ctx, p, te.typ, te.id)
	default:
		if err := s.refuseCoreWrite(ctx, p, te.typ, te.id); err != nil {
			return err
		}
	}
	return nil
}

// readConditions reads an entry's request.ifNoneMatch and
// request.ifModifiedSince.
func (te *txEntry) readConditions(e map[string]any) error {
	req, _ := e["request"].(map[string]any)
	te.ifNoneMatch, _ = req["ifNoneMatch"].(string)
	if ims, _ := req["ifModifiedSince"].(string); ims != "" {
		t, err := time.Parse(time.RFC3339Nano, ims)
		if err != nil {
			return invalid("invalid", fmt.Sprintf("Bundle.entry[%d].request.ifModifiedSince", te.index), "%q is not an instant (2024-03-01T10:00:00Z)", ims)
		}
		te.ifModifiedSince = t
	}
	return nil
}

// unchanged reports whether a GET entry's conditions find the version
// read the one the client holds (304): ifNoneMatch names it, or, without
// ifNoneMatch, it was last updated no later than ifModifiedSince.
func (te *txEntry) unchanged(res *crs.Resource) bool {
	if te.ifNoneMatch != "" {
		return noneMatchNames(te.ifNoneMatch, res.Version)
	}
	return !te.ifModifiedSince.IsZero() && unmodifiedSince(res, te.ifModifiedSince)
}

// readEntry reads an entry's request and resource.
func readEntry(i int, e map[string]any) (*txEntry, error) {
	at := fmt.Sprintf("Bundle.entry[%d]", i)
	req, _ := e["request"].(map[string]any)
	if req == nil {
		return nil, invalid("required", at+".request", "entry %d has no request", i)
	}
	te := &txEntry{index: i}
	te.fullURL, _ = e["fullUrl"].(string)
	te.method, _ = req["method"].(string)
	u, _ := req["url"].(string)
	te.criteria, _ = req["ifNoneExist"].(string)
	if err := te.readConditions(e); err != nil {
		return nil, err
	}
	if m, _ := req["ifMatch"].(string); m != "" {
		v, ok := matchVersion(m)
		if !ok {
			return nil, invalid("invalid", at+".request.ifMatch", "%q is not an ETag", m)
		}
		te.ifMatch = v
	}
	path, query, _ := strings.Cut(strings.TrimPrefix(u, "/"), "?")
	parts := strings.Split(path, "/")
	te.typ = parts[0]
	if !isResource[te.typ] {
		return nil, invalid("invalid", at+".request.url", "%q does not name an R4 resource type", u)
	}
	if len(parts) > 1 {
		te.id = parts[1]
	}
	switch te.method {
	case "POST":
		if len(parts) != 1 {
			return nil, invalid("invalid", at+".request.url", "POST %q: a create names the type only", u)
		}
	case "PATCH":
		if !(len(parts) == 2 && query == "" || len(parts) == 1 && query != "") {
			return nil, invalid("invalid", at+".request.url", "PATCH %q: name the resource as Type/id, or Type?query for a conditional patch", u)
		}
		te.match = query
		obj, _ := e["resource"].(map[string]any)
		if obj == nil {
			return nil, invalid("required", at+".resource", "a PATCH needs its patch as the resource: a Parameters (FHIRPath Patch) or a Binary holding a JSON Patch")
		}
		pt, err := patchOf(Resource(obj), at+".resource.")
		if err != nil {
			return nil, err
		}
		te.patch = pt
	case "PUT", "DELETE":
		if !(len(parts) == 2 && query == "" || len(parts) == 1 && query != "") {
			return nil, invalid("invalid", at+".request.url", "%s %q: name the resource as Type/id, or Type?query for a conditional %s", te.method, u, strings.ToLower(te.method))
		}
		te.match = query
	case "GET":
		if len(parts) != 2 {
			return nil, invalid("not-supported", at+".request.url", "GET %q: only reads (Type/id) are supported in a Bundle", u)
		}
	default:
		return nil, invalid("not-supported", at+".request.method", "method %q is not supported in a Bundle", te.method)
	}
	if te.method == "POST" || te.method == "PUT" {
		obj, _ := e["resource"].(map[string]any)
		if obj == nil {
			return nil, invalid("required", at+".resource", "a %s needs a resource", te.method)
		}
		te.resource = Resource(obj)
		if te.resource.Type() != te.typ {
			return nil, invalid("invalid", at+".resource.resourceType", "the resource is a %s but the request names %s", te.resource.Type(), te.typ)
		}
		if te.method == "PUT" && te.match == "" && te.resource.ID() != te.id {
			return nil, invalid("invalid", at+".resource.id", "the resource's id %q is not %q of the request", te.resource.ID(), te.id)
		}
	}
	return te, nil
}

// isRead reports whether a Bundle entry's GET url is a read (Type/id),
// which a transaction answers inside its command.
func isRead(u string) bool {
	path, query, _ := strings.Cut(strings.TrimPrefix(u, "/"), "?")
	return query == "" && strings.Count(path, "/") == 1 && !strings.Contains(path, "$")
}

// checkLateGET checks a transaction's GET that is not a read before the
// transaction is applied: its type, the actor's access to it and, for a
// search, its parameters, so that the GET answered after the writes
// fails only where the API would fail it then.
func (s *Server) checkLateGET(p *Principal, i int, u string) error {
	at := fmt.Sprintf("Bundle.entry[%d].request.url", i)
	path, query, _ := strings.Cut(strings.TrimPrefix(u, "/"), "?")
	typ, _, _ := strings.Cut(path, "/")
	if strings.Contains(u, "://") || !isResource[typ] {
		return invalid("not-supported", at, "GET %q: name a resource type's search, history or operation relative to the base (Type?params)", u)
	}
	if err := p.allow(typ, false); err != nil {
		return err
	}
	if path == typ {
		if _, err := parseSearch(typ, query, s.Store.Now()); err != nil {
			return inEntry(&txEntry{index: i}, err)
		}
	}
	return nil
}

// applyTransaction applies every entry in one command, in the order the
// specification gives: DELETE, then POST, then PUT and PATCH, then GET.
// A conditional delete finds what there was before the transaction; a
// conditional create, update or patch finds what there is after its
// deletes, and a conditional update of a type the transaction creates
// after its creates too. A created resource is given its id before it
// is written, and a conditional update is matched before an entry that
// refers to its fullUrl is written, so references to both resolve.
func applyTransaction(tx crs.Tx, entries []*txEntry, base string) error {
	refs := map[string]string{}
	if err := applyMethods(tx, entries, base, refs, "DELETE"); err != nil {
		return err
	}
	created := map[string]bool{} // the types the transaction creates
	for _, e := range entries {
		if e.method == "POST" {
			created[e.typ] = true
		}
	}
	var late []*txEntry               // the conditional updates matched after the creates
	creating := map[string]*txEntry{} // the conditional creates that create, by type and criteria
	for _, e := range entries {
		if e.method == "PUT" && e.match != "" {
			if created[e.typ] {
				late = append(late, e)
				continue
			}
			// A conditional update of a type the transaction does not
			// create finds the same now as after the creates.
			if err := e.findTarget(tx, refs); err != nil {
				return inEntry(e, err)
			}
			continue
		}
		if e.method != "POST" {
			continue
		}
		if e.held != nil && e.held.find != nil {
			if err := e.findHeld(tx, refs); err != nil {
				return inEntry(e, err)
			}
			continue
		}
		if e.criteria != "" {
			// The same conditional create again finds what the first
			// creates, as it would in a transaction of its own after it.
			key := e.typ + "?" + e.criteria
			e.sameAs, e.resolvedRef = nil, ""
			if first := creating[key]; first != nil {
				e.sameAs, e.resolvedRef = first, first.typ+"/"+first.newID
				if e.fullURL != "" {
					refs[e.fullURL] = e.resolvedRef
				}
				continue
			}
			q, err := parseSearch(e.typ, e.criteria, tx.Now())
			if err != nil {
				return inEntry(e, err)
			}
			q.query.Count = 2
			found, err := tx.SearchResources(q.query)
			if e.pmi {
				if err := tx.LockResourceKey("create Patient " + e.criteria); err != nil {
					return err
				}
				found, err = foundPatients(tx, e.criteria)
			}
			if err != nil {
				return inEntry(e, err)
			}
			if len(found) > 1 {
				return inEntry(e, outcomeOf(http.StatusPreconditionFailed, "duplicate", "more than one %s matches %s", e.typ, e.criteria))
			}
			if len(found) == 1 {
				e.resolvedRef = e.typ + "/" + found[0].ID
				e.response = createResponse(base, nil, found[0])
				if e.fullURL != "" {
					refs[e.fullURL] = e.resolvedRef
				}
				continue
			}
		}
		// An unconditional create's id is minted before the command, and
		// a command run again keeps the ids its earlier run gave: the
		// references to the entries were rewritten to them in place.
		if e.newID == "" {
			e.newID = crs.NewID()
		}
		if e.fullURL != "" {
			refs[e.fullURL] = e.typ + "/" + e.newID
		}
		if e.criteria != "" {
			creating[e.typ+"?"+e.criteria] = e
		}
	}
	if err := applyCreates(tx, entries, late, base, refs); err != nil {
		return err
	}
	if err := applyMethods(tx, entries, base, refs, "PUT", "PATCH"); err != nil {
		return err
	}
	if err := applyMethods(tx, entries, base, refs, "GET"); err != nil {
		return err
	}
	for _, e := range entries {
		if e.sameAs != nil && e.sameAs.response.Response != nil {
			found := *e.sameAs.response.Response
			found.Status = "200"
			e.response = bundleEntry{FullURL: e.sameAs.response.FullURL, Response: &found}
		}
	}
	return nil
}

// applyMethods applies, in the Bundle's order, the entries of a
// transaction whose method is one of methods and that still have
// something to do.
func applyMethods(tx crs.Tx, entries []*txEntry, base string, refs map[string]string, methods ...string) error {
	for _, e := range entries {
		if !slices.Contains(methods, e.method) || e.resolvedRef != "" {
			continue
		}
		if err := applyEntry(tx, e, base, refs); err != nil {
			return inEntry(e, err)
		}
	}
	return nil
}

// applyCreates writes the transaction's creates and matches its late
// conditional updates (those of a type it creates), so that each update
// finds the creates of its type and each create names the resource of
// an update it refers to. A create that refers to an update not yet
// matched waits for it, and an update waits while a create of its type
// waits. When every create left waits for an update that waits for one
// of them, the updates are matched with what is written, the creates
// written after, and each update matched again: one that would now
// match a create written after it cannot be ordered and is refused.
func applyCreates(tx crs.Tx, entries, late []*txEntry, base string, refs map[string]string) error {
	var creates, held []*txEntry
	for _, e := range entries {
		switch {
		case e.method != "POST" || e.resolvedRef != "":
		case e.held != nil:
			held = append(held, e) // after the patients they name
		default:
			creates = append(creates, e)
		}
	}
	slices.SortStableFunc(held, func(a, b *txEntry) int { return a.held.rank - b.held.rank })
	creates = append(creates, held...)
	pending := map[string]*txEntry{} // the fullUrls of the updates not yet matched
	for _, u := range late {
		if u.fullURL != "" {
			pending[u.fullURL] = u
		}
	}
	waiting := map[*txEntry]*txEntry{} // a create that waited: the update it waited for
	var early []*txEntry               // the updates matched before every create of their type was written
	for len(creates) > 0 || len(late) > 0 {
		moved := false
		kept := creates[:0]
		for _, e := range creates {
			if u := referredTo(map[string]any(e.resource), pending); u != nil {
				waiting[e] = u
				kept = append(kept, e)
				continue
			}
			if err := applyEntry(tx, e, base, refs); err != nil {
				return inEntry(e, err)
			}
			moved = true
		}
		creates = kept
		left := late[:0]
		for _, u := range late {
			if slices.ContainsFunc(creates, func(e *txEntry) bool { return e.typ == u.typ }) {
				left = append(left, u)
				continue
			}
			if err := u.findTarget(tx, refs); err != nil {
				return inEntry(u, err)
			}
			delete(pending, u.fullURL)
			moved = true
		}
		late = left
		if !moved {
			for _, u := range late {
				if err := u.findTarget(tx, refs); err != nil {
					return inEntry(u, err)
				}
				delete(pending, u.fullURL)
			}
			early, late = append(early, late...), nil
		}
	}
	for _, u := range early {
		ids, err := u.targets(tx)
		if err != nil {
			return inEntry(u, err)
		}
		for _, id := range ids {
			if id == u.matched {
				continue
			}
			for e, waited := range waiting {
				if e.typ == u.typ && e.newID == id {
					return inEntry(u, outcomeOf(http.StatusBadRequest, "processing", "the conditional update %s?%s would match the %s entry %d creates, which refers to the fullUrl of entry %d, a conditional update: neither can be found before the other is written",
						u.typ, u.match, e.typ, e.index, waited.index))
				}
			}
		}
	}
	return nil
}

// referredTo is the entry of pending whose fullUrl a reference in v names,
// or nil.
func referredTo(v any, pending map[string]*txEntry) *txEntry {
	var found *txEntry
	if len(pending) > 0 {
		eachReference(v, func(_ map[string]any, ref string) bool {
			found = pending[ref]
			return found == nil
		})
	}
	return found
}

// eachReference calls fn with each reference in v (the value of a key
// "reference", and the object holding it), at any depth, until fn
// returns false; it says whether fn never did.
func eachReference(v any, fn func(holder map[string]any, ref string) bool) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "reference" {
				if !fn(x, s) {
					return false
				}
				continue
			}
			if !eachReference(val, fn) {
				return false
			}
		}
	case []any:
		for _, item := range x {
			if !eachReference(item, fn) {
				return false
			}
		}
	}
	return true
}

// findTarget finds, inside the command, the one resource a conditional
// PUT's query matches: a patient of the PMI by its identifier, else a
// resource of the store. When none matches the entry creates one with
// newID (the id the resource carries, else one minted once: a command
// run again keeps it, for the references to the entry were rewritten to
// it in place); more than one is 412. refs, in a transaction, is given
// what a reference to the entry's fullUrl becomes.
func (e *txEntry) findTarget(tx crs.Tx, refs map[string]string) error {
	e.matched = ""
	if e.pmi {
		if err := tx.LockResourceKey("create Patient " + e.match); err != nil {
			return err
		}
	}
	found, err := e.targets(tx)
	if err != nil {
		return err
	}
	id := e.resource.ID()
	switch {
	case len(found) > 1:
		return outcomeOf(http.StatusPreconditionFailed, "multiple-matches", "more than one %s matches %s", e.typ, e.match)
	case len(found) == 1 && !e.pmi && id != "" && id != found[0]:
		return invalid("invalid", e.typ+".id", "the resource's id %q is not the id %q of the resource the query matches", id, found[0])
	case len(found) == 1:
		e.matched = found[0]
	case e.pmi:
		e.newID = cmp.Or(e.newID, crs.NewID())
	case id != "" && !validID(id):
		return invalid("invalid", e.typ+".id", "%q is not a FHIR id (1 to 64 letters, digits, - and .)", id)
	case e.newID == "":
		e.newID = cmp.Or(id, crs.NewID())
	}
	if refs != nil && e.fullURL != "" {
		refs[e.fullURL] = e.typ + "/" + cmp.Or(e.matched, e.newID)
	}
	return nil
}

// targets are the ids of the resources a conditional PUT's query
// matches now: patients of the PMI, else resources of the store.
func (e *txEntry) targets(tx crs.Tx) ([]string, error) {
	if e.pmi {
		return patientIDsMatching(tx, e.match)
	}
	found, err := conditionalMatches(tx, e.typ, e.method, e.match)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(found))
	for i, r := range found {
		ids[i] = r.ID
	}
	return ids, nil
}

// inEntry says which entry an error of a transaction is about.
func inEntry(e *txEntry, err error) error {
	o := asOutcome(err)
	issues := make([]Issue, len(o.Issues))
	for i, is := range o.Issues {
		is.Diagnostics = fmt.Sprintf("entry %d: %s", e.index, is.Diagnostics)
		if is.Expression == "" {
			is.Expression = fmt.Sprintf("Bundle.entry[%d]", e.index)
		}
		issues[i] = is
	}
	return &Outcome{Status: o.Status, Issues: issues, cause: err}
}

// applyEntry applies one entry inside the command; refs maps the
// fullUrls of the transaction's new resources to their references.
func applyEntry(tx crs.Tx, e *txEntry, base string, refs map[string]string) error {
	if e.prepared != nil {
		stored, err := e.prepared.put(tx, e)
		if err != nil {
			return err
		}
		e.response = createResponse(base, stored, nil)
		return nil
	}
	if e.resource != nil {
		if err := resolveReferences(tx, map[string]any(e.resource), refs, e.patientsPMI); err != nil {
			return err
		}
		resolveLinks(map[string]any(e.resource), refs)
	}
	if e.held != nil {
		return e.held.apply(tx, e)
	}
	if e.method == "PATCH" {
		for _, v := range e.patch.values() {
			if err := resolveReferences(tx, v, refs, e.patientsPMI); err != nil {
				return err
			}
		}
		id := e.id
		if e.match != "" {
			var err error
			if id, err = conditionalTarget(tx, e.typ, e.match, e.pmi); err != nil {
				return err
			}
		}
		if err := noneMatchRefuses(tx, e.ifNoneMatch, e.typ, id, e.pmi); err != nil {
			return err
		}
		stored, err := patchIn(tx, e.patch, e.typ, id, e.ifMatch, e.pmi, e.check)
		if err != nil {
			return err
		}
		e.response = created(base, stored, "200")
		return nil
	}
	if e.pmi {
		if e.match != "" && e.method == "PUT" {
			// A conditional update (a conditional delete is applied
			// by applyPatientEntry); a batch's entry finds its patient in its
			// own command, a transaction's before its entries apply.
			if refs == nil {
				if err := e.findTarget(tx, nil); err != nil {
					return err
				}
			}
			if e.matched != "" {
				if err := noneMatchRefuses(tx, e.ifNoneMatch, e.typ, e.matched, true); err != nil {
					return err
				}
			}
			stored, made, err := putPatientIn(tx, e.resource, e.matched, e.newID, e.match, e.ifMatch)
			if err != nil {
				return err
			}
			if made != nil {
				e.response = created(base, made.resource(), "201")
				e.response.serve = made.served
			} else {
				e.response = created(base, stored, "200")
			}
			return nil
		}
		return applyPatientEntry(tx, e, base)
	}
	if e.match != "" && e.method == "PUT" {
		// A conditional update: the one resource the query matches,
		// created when none does; a batch's entry finds it in its own
		// command, a transaction's before its entries apply.
		if refs == nil {
			if err := e.findTarget(tx, nil); err != nil {
				return err
			}
		}
		e.id = cmp.Or(e.matched, e.newID)
	}
	if e.match != "" && e.method == "DELETE" {
		// A conditional delete: the one resource the query matches; of
		// none it deletes nothing, more than one answers 412.
		found, err := conditionalMatches(tx, e.typ, e.method, e.match)
		if err != nil {
			return err
		}
		switch {
		case len(found) > 1:
			return outcomeOf(http.StatusPreconditionFailed, "multiple-matches", "more than one %s matches %s", e.typ, e.match)
		case len(found) == 1:
			e.id = found[0].ID
		default:
			e.response = bundleEntry{Response: &entryResponse{Status: "204"}}
			return nil
		}
	}
	if e.method == "PUT" || e.method == "DELETE" {
		if err := noneMatchRefuses(tx, e.ifNoneMatch, e.typ, e.id, false); err != nil {
			return err
		}
	}
	switch e.method {
	case "POST":
		var stored, existing *crs.Resource
		var err error
		if e.newID != "" {
			stored, err = putVersion(tx, e.resource, e.typ, e.newID, 1)
		} else {
			var cond *crs.ResourceQuery
			if e.criteria != "" {
				q, err := parseSearch(e.typ, e.criteria, tx.Now())
				if err != nil {
					return err
				}
				q.query.Count = 2
				cond = &q.query
			}
			stored, existing, err = createIn(tx, e.resource, e.typ, cond, e.criteria)
		}
		if err != nil {
			return err
		}
		e.response = createResponse(base, stored, existing)
	case "PUT":
		stored, err := updateIn(tx, e.resource, e.typ, e.id, e.ifMatch)
		if err != nil {
			return err
		}
		status := "200"
		if stored.Version == 1 {
			status = "201"
		}
		e.response = created(base, stored, status)
	case "DELETE":
		err := deleteIn(tx, e.typ, e.id)
		if err != nil && !errors.Is(err, errUnchanged) && crs.ErrorCode(err) != crs.ENOTFOUND {
			return err
		}
		e.response = bundleEntry{Response: &entryResponse{Status: "204"}}
	case "GET":
		cur, err := tx.GetResource(e.typ, e.id)
		if err != nil {
			return err
		}
		if cur.Deleted {
			return outcomeOf(http.StatusGone, "deleted", "%s/%s was deleted", e.typ, e.id)
		}
		if e.unchanged(cur) {
			e.response = bundleEntry{Response: &entryResponse{Status: "304", Etag: etag(cur.Version)}}
			return nil
		}
		e.response = readResponse(base, cur)
	}
	return nil
}

// preferredEntry is the response entry of a create, update or patch as
// the request's Prefer: return= asks for it: with the resource written
// (representation), with an OperationOutcome saying what was done
// (OperationOutcome), or, by default and for minimal, the response
// alone.
func preferredEntry(e bundleEntry, method, prefer string) bundleEntry {
	w := e.written
	if w == nil || e.Response == nil || e.Resource != nil {
		return e
	}
	switch prefer {
	case "representation":
		e.Resource = w.Body
		if len(w.Body) == 0 && e.serve != nil {
			if served, err := e.serve(); err == nil {
				e.Resource = served.Body
			}
		}
	case "OperationOutcome":
		resp := *e.Response
		resp.Outcome = writtenOutcome(w, resp.Status == "201", method).JSON()
		e.Response = &resp
	}
	return e
}

// readResponse is the response of a read entry.
func readResponse(base string, cur *crs.Resource) bundleEntry {
	return bundleEntry{FullURL: base + "/" + cur.Type + "/" + cur.ID, Resource: cur.Body,
		Response: &entryResponse{Status: "200", Etag: etag(cur.Version), LastModified: cur.LastUpdated.UTC().Format(instant)}}
}

// createResponse is the response of a create entry: the new resource
// (201 Created), or the existing one a conditional create found (200
// OK), each with its location, version and time as a create's answer
// gives them.
func createResponse(base string, stored, existing *crs.Resource) bundleEntry {
	if existing != nil {
		return created(base, existing, "200")
	}
	return created(base, stored, "201")
}

func created(base string, r *crs.Resource, status string) bundleEntry {
	return bundleEntry{FullURL: base + "/" + r.Type + "/" + r.ID, Response: &entryResponse{Status: status,
		Location: r.Type + "/" + r.ID + "/_history/" + strconv.Itoa(r.Version), Etag: etag(r.Version), LastModified: r.LastUpdated.UTC().Format(instant)}, written: r}
}

// resolveLinks rewrites what else of a resource names an entry of the
// transaction by its fullUrl (refs), as R4 asks of a transaction: a url
// element (an attachment's: the Binary posted with a document) and the
// links and images of its narrative (<a href>, <img src>). The
// references are resolveReferences'.
func resolveLinks(v any, refs map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			s, ok := c.(string)
			switch {
			case !ok:
				resolveLinks(c, refs)
			case k == "url" && strings.HasPrefix(s, "urn:"):
				if to, ok := refs[s]; ok {
					x[k] = to
				}
			case k == "div" && strings.Contains(s, "urn:"):
				x[k] = narrativeLinks(s, refs)
			}
		}
	case []any:
		for _, c := range x {
			resolveLinks(c, refs)
		}
	}
}

// narrativeLinks rewrites the attribute values of a narrative that are
// fullUrls of the transaction's entries.
func narrativeLinks(div string, refs map[string]string) string {
	var b strings.Builder
	rest := div
	for {
		i := strings.Index(rest, "urn:")
		if i < 0 {
			break
		}
		j := strings.IndexAny(rest[i:], `"'`)
		if j < 0 {
			break
		}
		if to, ok := refs[rest[i:i+j]]; ok && i > 0 && rest[i-1] == rest[i+j] {
			b.WriteString(rest[:i])
			b.WriteString(to)
		} else {
			b.WriteString(rest[:i+j])
		}
		rest = rest[i+j:]
	}
	b.WriteString(rest)
	return b.String()
}

// resolveReferences rewrites the references of a resource: a urn:uuid
// (or other fullUrl) of an entry of the transaction to the entry's
// resource, a conditional reference (Type?params) to the one resource
// that matches it.
func resolveReferences(tx crs.Tx, v any, refs map[string]string, pmi bool) error {
	var err error
	eachReference(v, func(x map[string]any, s string) bool {
		if to, ok := refs[s]; ok {
			x["reference"] = to
			return true
		}
		if strings.HasPrefix(s, "urn:uuid:") && refs != nil {
			err = invalid("invalid", "reference", "reference %s names no entry of the transaction", s)
			return false
		}
		typ, query, ok := strings.Cut(s, "?")
		if !ok || !isResource[typ] {
			return true
		}
		q, perr := parseSearch(typ, query, tx.Now())
		if perr != nil {
			err = perr
			return false
		}
		q.query.Count = 2
		found, serr := tx.SearchResources(q.query)
		if typ == "Patient" && pmi {
			found, serr = foundPatients(tx, query)
		}
		switch {
		case serr != nil:
			err = serr
		case len(found) != 1:
			err = outcomeOf(http.StatusPreconditionFailed, "not-found", "conditional reference %s matches %d resources, not one", s, len(found))
		default:
			x["reference"] = typ + "/" + found[0].ID
			return true
		}
		return false
	})
	return err
}
