package fhir

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/opencrs/crs"
)

// versionEntry is an entry of a history Bundle (the version of a
// resource another server holds, and the request that made it) as the
// write that makes the same version here: a version made by a create,
// an update or a patch carries the resource whole, and is written as an
// update of the resource it names (a create whose resource has no id
// creates one); a delete deletes. The request's conditions (ifMatch and
// the like) are of the other server's versions, not of this one's.
func versionEntry(i int, e map[string]any) (map[string]any, error) {
	at := fmt.Sprintf("Bundle.entry[%d]", i)
	req, _ := e["request"].(map[string]any)
	if req == nil {
		return nil, invalid("required", at+".request", "entry %d has no request", i)
	}
	method, _ := req["method"].(string)
	u, _ := req["url"].(string)
	res, _ := e["resource"].(map[string]any)
	switch method {
	case "DELETE":
	case "POST", "PUT", "PATCH":
		if res == nil {
			return nil, invalid("required", at+".resource", "entry %d is a version a %s made, and needs the resource as it was then", i, method)
		}
		path, _, _ := strings.Cut(strings.TrimPrefix(u, "/"), "?")
		typ, id, _ := strings.Cut(path, "/")
		if id == "" {
			id = Resource(res).ID() // a create's, or a conditional update's
		}
		switch {
		case id != "":
			method, u = "PUT", typ+"/"+id
		case method == "POST":
			u = typ
		default:
			return nil, invalid("required", at+".resource.id", "entry %d is a version a %s made of %q, and names no resource", i, method, u)
		}
	default:
		return nil, invalid("invalid", at+".request.method", "entry %d: a history Bundle holds the versions that a POST, PUT, PATCH or DELETE made, not %q", i, method)
	}
	e = maps.Clone(e)
	e["request"] = map[string]any{"method": method, "url": u}
	return e, nil
}

// applyHistory applies the versions of a history Bundle in one command,
// all or nothing, as a transaction is applied: this is how the records
// of another server are copied onto this one. The Bundle lists them
// newest first; they are written in the order they were made (the
// Bundle's reverse), each as its resource's next version, so that the
// newest is the one current and the others are kept in its history.
// A transaction may not name a resource twice and applies its deletes
// first; a history names a resource once for each of its versions,
// whose order is their meaning (a deletion after the writes it ends),
// and keeping only the newest would lose the others. Vital signs are
// not scored by NEWS2, as a transaction's are: a score the other server
// made is among its versions.
func (s *Server) applyHistory(ctx context.Context, p *Principal, entries []*txEntry, base string) error {
	localiseReferences(entries, base)
	err := s.Store.Write(ctx, p.Actor, crs.ActRecordClinical, func(tx crs.Tx) error {
		bt := &bulkTx{Tx: tx}
		refs := map[string]string{}
		for _, e := range slices.Backward(entries) {
			if err := applyEntry(bt, e, base, refs); err != nil {
				return inEntry(e, err)
			}
		}
		if err := bt.flush(); err != nil {
			return err
		}
		if tx.LastEventID() == "" {
			return errUnchanged // deletes of what is not here: nothing to write
		}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}
