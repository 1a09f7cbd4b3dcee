package crs

import "context"

// Writer is the one write path alone: what an edge needs to apply
// commands, as Store.Write does.
type Writer interface {
	// Write checks that the actor may carry out the activity, then runs
	// fn as one command: if fn fails, nothing of the command remains.
	Write(ctx context.Context, a Actor, act Activity, fn func(Tx) error) error
}

// DryRunner tries commands out without keeping them: an interface analyst
// replays a file of another system's traffic before go-live to see what
// would be applied, held or refused, and nothing of it stays.
type DryRunner interface {
	// DryRun runs fn with a Writer whose commands are applied, one after
	// another, in one database transaction that is always rolled back:
	// each command sees what the commands before it changed (a message
	// updates the patient an earlier one registered), a command that
	// fails undoes only itself, and when fn returns nothing remains: no
	// record, event, audit record, message log entry or queued outbound
	// message. Event hooks run inside the transaction as for any change;
	// the listeners told of commits (OnCommit) are never told. Other
	// writers may wait while a dry run lasts: all of them on SQLite, with
	// its one writer; on PostgreSQL those that need a row it changed.
	DryRun(ctx context.Context, fn func(w Writer) error) error
}
