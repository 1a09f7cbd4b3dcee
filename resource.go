package crs

import (
	"context"
	"time"
)

// EventResourceWritten is the event of a change to the resource store:
// a FHIR resource created, updated or deleted by a system or a user.
const EventResourceWritten = "resource.written"

// EventResourceMetaChanged is the event of a change to the meta of a
// resource's current version (its profiles, tags and security labels,
// by $meta-add or $meta-delete), which writes no new version.
const EventResourceMetaChanged = "resource.meta-changed"

// EventResourcesReindexed is the event of the search index rows of
// current versions written again from their bodies (crs fhir reindex),
// after an upgrade changed what the index keeps: no resource changes.
const EventResourcesReindexed = "resource.reindexed"

// Resource is one version of a FHIR resource in the resource store: the
// clinical content (conditions, observations, documents, ...) a trust's
// systems write through the FHIR API. Every version is kept; a delete is
// a version of its own with Deleted set.
type Resource struct {
	Type        string    // the FHIR resource type, e.g. "Observation"
	ID          string    // its logical id
	Version     int       // its version id, from 1
	LastUpdated time.Time // when this version was written
	Deleted     bool      // this version deletes the resource
	PatientID   string    // the resource id of the Patient it is about, if any, for the audit trail
	Body        []byte    // the resource's JSON, with its id and meta
	Seq         string    // the version's time-ordered key: history pages by it
	// Method is the interaction that wrote this version when it is not
	// the one its place says: "PUT" for a version 1 an update created,
	// "PATCH" for a version a patch wrote; "" for a create's version 1,
	// an update's later version and a delete. Read by a history only.
	Method string
	// Place is where the resource stands in the answer of a search with
	// LastN ($lastn), from which the page after it resumes; nil otherwise.
	Place *ResourceLastNPlace
	// SortPlace is where the resource stands in the answer of a sorted
	// search (SortBy), from which the page after it (or before it)
	// resumes; nil otherwise.
	SortPlace *ResourceSortPlace
}

// Period is a span of time from Start up to End, End excluded; a zero
// Start is open (from the first record) and a zero End is open (until
// now and after).
type Period struct {
	Start, End time.Time
}

// ResourceIndexRow is one value a search parameter takes in a resource:
// what a search of the resource store matches. Kind says which fields
// hold it.
type ResourceIndexRow struct {
	Param  string    // the search parameter's name, e.g. "code"
	System string    // token: the code system or identifier namespace; reference: the target type; quantity: the unit system
	Code   string    // token, uri, reference (Type/id) and quantity code; string: the value as sent
	Text   string    // string: the value folded for matching; reference: the target id
	Lo, Hi time.Time // date: the time range the value covers, Hi exclusive
	Num    *float64  // number and quantity
}

// Search condition kinds and operators of a ResourceCondition.
const (
	MatchEq       = "eq"
	MatchNe       = "ne"
	MatchGt       = "gt"
	MatchLt       = "lt"
	MatchGe       = "ge"
	MatchLe       = "le"
	MatchSa       = "sa"
	MatchEb       = "eb"
	MatchAp       = "ap"       // date: overlaps the range, widened by the query
	MatchStarts   = "starts"   // string: starts with, ignoring case and accents
	MatchExact    = "exact"    // string: equal as sent
	MatchContains = "contains" // string: contains, ignoring case
	MatchBelow    = "below"    // uri: the value, or a uri below it by path (the value and "/"); of a canonical's version (url|1), the value or a version it starts (url|1.1)
)

// ResourceCondition is one value of a search parameter in a query:
// identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018 is the token
// condition on "identifier" with that system and code.
type ResourceCondition struct {
	Param  string // the search parameter; "_lastUpdated" is the version's time
	Kind   string // token, string, date, reference, number, quantity, uri; "exists": any value (of System's type, for a reference)
	Op     string // one of the Match constants
	System *string
	Code   string
	Text   string    // string: the value folded (for :exact too); a token's :text: the text folded
	Lo, Hi time.Time // date: the range the query value covers; number: Num ± the precision in NumLo, NumHi
	NumLo  float64
	NumHi  float64
	// Target, on a reference condition, matches references to the
	// resources of Target.Type that Target matches: a chained search
	// (subject:Patient.identifier=...).
	Target *ResourceQuery
	// Has, on a condition of kind "has", matches resources that a
	// resource Has matches refers to through its parameter Param: a
	// reverse chain (_has:Observation:patient:code=...).
	Has *ResourceQuery
	// Concepts, on a token condition, matches the codes of System that
	// the trust's SNOMED CT release puts in the set (Code is ""): a
	// search of the codes below a concept (:below) or in a value set of
	// its hierarchy or reference sets (:in), however many they are.
	Concepts *ConceptSet
}

// ResourceQuery is a search of one type of the resource store: every
// group must match, each by any one of its conditions.
type ResourceQuery struct {
	Type    string                // "" for every type, ordered by type then id
	IDs     []string              // _id: any of these
	All     [][]ResourceCondition // AND of ORs
	Not     [][]ResourceCondition // each group excludes what any of its conditions match (:not, ne)
	Missing map[string]bool       // param: true for no value, false for some value
	// Words keeps only resources whose stored JSON holds each of these
	// (lower case; ASCII case ignored): what _content and _text narrow
	// to before their words are looked for in the resource's values.
	Words  []string
	SortBy []ResourceSort
	After  string // keyset: only those after the resource of this id, in the default order (a type's: the order created; every type's: type and id)
	// Before, of a search of one type in its default order, keeps only
	// those before the resource of this id: the page before it (Count,
	// those nearest), answered in the default order all the same.
	Before string
	Offset int // with SortBy, how many to skip
	// SortAfter, of a sorted search (SortBy), keeps only those after
	// this place in its order (keyset: a page resumes where the one
	// before ended, so a resource written or changed between the two
	// repeats or skips none of those left); with SortAfter.Before, those
	// before it, the nearest Count, answered in the search's order.
	SortAfter *ResourceSortPlace
	Count     int // page size; 0 counts only
	// RefersTo keeps only resources with a reference to one of these
	// ("Patient/123"), or to any resource of a type named alone
	// ("Patient"): a patient's compartment for $everything and export.
	// A search that refers to one patient is audited as a read of them.
	RefersTo []string
	// LastN, when set, keeps of the matches only the most recent of
	// each code ($lastn): the page is then in order of the group's
	// system and code, newest first within it, from LastN.After and then
	// Offset.
	LastN *ResourceLastN
}

// ResourceLastN groups the matches of a search by each value of a token
// parameter (an Observation's code: each coding, system|code, a group)
// and keeps the Max most recent of each group, by the earliest value of
// a date parameter (an Observation's effective time) and, without one,
// by when the resource was last written. A resource in several groups
// (an Observation coded in LOINC and SNOMED CT) is answered once, in the
// first of them by system and code.
type ResourceLastN struct {
	Max   int    // how many of each group, from 1
	Group string // the token parameter whose values are the groups, e.g. "code"
	By    string // the date parameter that orders a group, newest first, e.g. "date"
	// After, when set, keeps only what comes after this place in the
	// answer's order: a page resumes where the one before ended, so a
	// resource written between the two moves nothing already answered.
	After *ResourceLastNPlace
}

// ResourceLastNPlace is a place in the order of a $lastn answer: a
// group (its System and Code), then, newest first within it, the time
// that orders it (At, as the store keeps it) and the resource's ID.
type ResourceLastNPlace struct {
	System, Code, At, ID string
}

// ResourceSortPlace is a place in the order of a sorted search: the
// resource's value of each sort key, as the store keeps it (nil where it
// has none, which sorts after every value), and its ID, which orders
// those of equal keys.
type ResourceSortPlace struct {
	Keys   []*string
	ID     string
	Before bool // the place a page before it ends at, not one after it begins at
}

// ResourceSort orders a search by a parameter's least value (string,
// date, token, number) or by _id or _lastUpdated.
type ResourceSort struct {
	Param string
	Also  []string // further parameters whose values count as Param's (combo-code: code and component-code)
	Kind  string
	Desc  bool
}

// ResourceTx is what a command may do to the resource store inside its
// transaction.
type ResourceTx interface {
	// GetResource returns the current version of a resource of the trust,
	// a deleted one included; ENOTFOUND when it never existed.
	GetResource(typ, id string) (*Resource, error)
	// GetResourceVersion returns one version of a resource of the trust,
	// a deletion included; ENOTFOUND when the resource has no such
	// version.
	GetResourceVersion(typ, id string, version int) (*Resource, error)
	// PutResource writes r as the resource's next version with the index
	// rows of its search parameters, and appends its event and audit
	// record. r.Version must be one more than the current version (1 for
	// a new resource), else ECONFLICT.
	PutResource(r *Resource, index []ResourceIndexRow) error
	// PutResources writes many resources as PutResource writes one,
	// index[i] the index rows of rs[i]; rs name distinct resources. The
	// new ones (version 1, ids nobody holds) are written together with one
	// event and one audit record, about the patient they share or naming
	// each patient they are about; the others each as PutResource writes
	// it.
	PutResources(rs []*Resource, index [][]ResourceIndexRow) error
	// PutResourceMeta rewrites version r.Version of a resource with
	// r.Body, the same version with its meta changed, writing no new
	// version; it appends an event and audit record saying the meta of
	// that version changed. Of the current version, index replaces its
	// index rows; of an earlier one, index is not used. ENOTFOUND when the
	// resource has no such version, ECONFLICT when that version deleted
	// it.
	PutResourceMeta(r *Resource, index []ResourceIndexRow) error
	// ReindexResources replaces the search index rows of the current
	// versions rs with index (index[i] of rs[i]) where they differ from
	// those kept, and appends one event and audit record naming how
	// many it looked at and rewrote; no version is written. It returns
	// how many it rewrote. One of rs that is no longer the current
	// version (written or deleted since it was read) is left as the
	// write path left it.
	ReindexResources(rs []*Resource, index [][]ResourceIndexRow) (int, error)
	// ResourceIndexFingerprint is the fingerprint of the search index
	// the trust's resources were last wholly indexed under ("" for a
	// trust never checked); SetResourceIndexFingerprint records one once
	// every current resource of the trust holds the rows it gives.
	ResourceIndexFingerprint() (string, error)
	SetResourceIndexFingerprint(fingerprint string) error
	// SearchResources runs a search inside the command, seeing its
	// changes: conditional create and update.
	SearchResources(q ResourceQuery) ([]*Resource, error)
	// LockResourceKey makes commands that give the same key wait for each
	// other until they commit: two conditional creates of one resource
	// never both create it.
	LockResourceKey(key string) error
	// Subscriptions returns the current, not deleted, Subscription
	// resources of the trust, as committed or as this command left them:
	// what a write is matched against to queue notifications.
	Subscriptions() ([]*Resource, error)
	// QueueNotification queues a FHIR Subscription notification within
	// the command that wrote what it tells of, so the change and its
	// notification commit together or not at all.
	QueueNotification(n *Notification) error
}

// HistoryPlace is where a page of a history is: before a version of
// the history (the page after one seen, by its last version's Seq), or
// after one (the page before it, by its first's); neither for the
// newest page.
type HistoryPlace struct {
	Before, After string
}

// ResourceStore reads the resource store of a trust. Each call checks
// that the actor may view clinical records and audits the read.
type ResourceStore interface {
	// ReadResource returns one version of a resource (0 for the current),
	// deleted versions included; ENOTFOUND when there is none.
	ReadResource(ctx context.Context, a Actor, typ, id string, version int) (*Resource, error)
	// ResourceHistory lists the versions of the trust's resources, newest
	// first: of one resource when id is given, of a type when typ is, else
	// of all; changed at or after since, with a Seq before before ("" for
	// the newest), at most count.
	ResourceHistory(ctx context.Context, a Actor, typ, id string, since time.Time, before string, count int) ([]*Resource, error)
	// ResourceHistoryAt lists versions as ResourceHistory does, keeping
	// those that were current at some time in the period at: written
	// before its end and not replaced by a later version at or before
	// its start.
	// A page of them is the count newest before place.Before, or the
	// count oldest after place.After (a page newer than one seen), listed
	// newest first either way.
	ResourceHistoryAt(ctx context.Context, a Actor, typ, id string, since time.Time, at Period, place HistoryPlace, count int) ([]*Resource, error)
	// SearchResources returns the current, not deleted, resources that
	// match q, and how many match in all when q.Count is 0.
	SearchResources(ctx context.Context, a Actor, q ResourceQuery) ([]*Resource, int, error)
	// MetaInUse returns, by resource type, the distinct profiles, tags
	// and security labels the current resources of typ ("" for every
	// type) carry, in that order of Param.
	MetaInUse(ctx context.Context, a Actor, typ string) (map[string][]MetaCode, error)
}

// MetaCode is a profile, tag or security label in use on the resource
// store's resources. Param says which (_profile, _tag or _security); a
// profile is its canonical in Code; a tag or label is its System and
// Code, with the bodies of the first few current resources carrying it
// (Carriers), where its display is read, and that Display.
type MetaCode struct {
	Param, System, Code, Display string
	Carriers                     [][]byte
}
