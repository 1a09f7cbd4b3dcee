package fhir

import (
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/opencrs/crs"
)

// The read cache keeps the served representation of the current version
// of the records read most, so that a read of one is its access check, a
// map lookup and its audit record, without a query or an encoding.
//
// What it keeps is never stale: every change to a record is an event,
// and the write path tells the cache of each event after it commits
// (crs.Store.OnCommit); the cache then forgets the patient's and the
// resource's entries. A representation read while a change was
// committing is not kept (see readCache.put), so one read before the
// change cannot outlive it.
//
// Only reads whose access check needs no query are served from it: a
// role that needs a legitimate relationship with the patient (or a seal
// to be open) reads through the store every time, as before.

// readCacheBytes bounds the bodies the cache keeps.
const readCacheBytes = 64 << 20

// readCache is the served representations of current versions, by
// trust and record.
type readCache struct {
	mu sync.Mutex
	// gen counts the forgettings: an answer read while one happened is
	// not kept.
	gen   uint64
	bytes int
	m     map[readKey]*servedEntry
	// byPatient lists the keys of a patient's entries, so an event about
	// the patient forgets them all.
	byPatient map[string]map[readKey]bool
	// off says nothing is to be kept: changes may be made unheard
	// (crs.EventCachesStale).
	off bool
}

// readKey names one cached representation: a PMI Patient (Type
// "Patient" and PMI true), or a resource of the resource store.
// Clinical says whether it was read by an actor who sees the clinical
// record (a PMI Patient then carries the identifiers and extensions kept
// beside the record).
type readKey struct {
	OrgID, Type, ID string
	PMI, Clinical   bool
}

// servedEntry is a representation and what its read audits.
type servedEntry struct {
	res *crs.Resource
	// what is what the read's one audit record says was read.
	what string
	// etag, modified and length are the answer's ETag, Last-Modified
	// (nil when the version has no time) and Content-Length, made once
	// for every read the entry answers. They are set as header values as
	// they are: no one may change them.
	etag, modified, length []string
}

// newServedEntry returns the entry of a representation and what its read
// audits, with its answer's headers made.
func newServedEntry(res *crs.Resource, what string) *servedEntry {
	e := &servedEntry{res: res, what: what, etag: []string{etag(res.Version)}, length: []string{strconv.Itoa(len(res.Body))}}
	if !res.LastUpdated.IsZero() {
		e.modified = []string{res.LastUpdated.UTC().Format(http.TimeFormat)}
	}
	return e
}

// cache returns the server's read cache, told of every commit from its
// first use.
func (s *Server) cache() *readCache {
	s.cacheOnce.Do(func() {
		if s.Store == nil {
			return
		}
		c := &readCache{m: map[readKey]*servedEntry{}, byPatient: map[string]map[readKey]bool{}}
		s.Store.OnCommit(c.committed)
		s.readCache = c
	})
	return s.readCache
}

// begin returns the generation to give put for an answer about to be
// read.
func (c *readCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// get returns the entry kept for k.
func (c *readCache) get(k readKey) (*servedEntry, bool) {
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	return e, ok
}

// put keeps e for k unless something was forgotten since gen.
func (c *readCache) put(gen uint64, k readKey, e *servedEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.off {
		return
	}
	if old, ok := c.m[k]; ok {
		c.bytes -= len(old.res.Body)
	}
	for c.bytes+len(e.res.Body) > readCacheBytes && len(c.m) > 0 {
		for victim := range c.m { // any entry: the map's order is random
			c.drop(victim)
			break
		}
	}
	c.m[k] = e
	c.bytes += len(e.res.Body)
	if pid := e.res.PatientID; pid != "" {
		if c.byPatient[pid] == nil {
			c.byPatient[pid] = map[readKey]bool{}
		}
		c.byPatient[pid][k] = true
	}
}

// drop forgets one entry; c.mu is held.
func (c *readCache) drop(k readKey) {
	e, ok := c.m[k]
	if !ok {
		return
	}
	c.bytes -= len(e.res.Body)
	delete(c.m, k)
	if pid := e.res.PatientID; pid != "" {
		delete(c.byPatient[pid], k)
		if len(c.byPatient[pid]) == 0 {
			delete(c.byPatient, pid)
		}
	}
}

// committed forgets what a committed change makes stale: every entry of
// the patient it is about and the resource it wrote.
func (c *readCache) committed(ev *crs.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if ev.Type == crs.EventCachesStale || ev.Type == crs.EventCachesHeard {
		c.m, c.byPatient, c.bytes = map[readKey]*servedEntry{}, map[string]map[readKey]bool{}, 0
		c.off = ev.Type == crs.EventCachesStale
		return
	}
	if ev.PatientID != "" {
		for k := range c.byPatient[ev.PatientID] {
			c.drop(k)
		}
	}
	if typ, id, ok := strings.Cut(ev.SubjectID, "/"); ok {
		for _, pmi := range []bool{false, true} {
			for _, clinical := range []bool{false, true} {
				c.drop(readKey{OrgID: ev.OrgID, Type: typ, ID: id, PMI: pmi, Clinical: clinical})
			}
		}
		if typ == "Patient" {
			for k := range c.byPatient[id] {
				c.drop(k)
			}
		}
	}
}

// cacheable says whether the actor's reads may be served from the cache:
// whether its access check is the role's activities alone.
func cacheable(a crs.Actor) bool {
	return a.OrgID != "" && !a.Role.NeedsRelationship()
}
