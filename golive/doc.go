// Package golive carries a trust from its legacy PAS to OpenCRS: it
// imports the legacy patient index, waiting lists, clinics and
// appointments in batches through the one write path (each row keyed so
// a rerun duplicates nothing), reconciles what was loaded against the
// legacy system's own counts and lists, rehearses the interfaces that
// stay in place by replaying their messages, and runs the cutover
// checks that say whether the trust may go live.
package golive
