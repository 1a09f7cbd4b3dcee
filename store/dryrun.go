package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/opencrs/crs"
)

// A dry run holds a transaction on the write connection of its own for
// as long as it lasts and rolls it back at the end. On SQLite that is the
// database's one writer: the committer waits for it, so commands arriving
// meanwhile are applied once the dry run ends. On PostgreSQL it is one
// connection of the pool, and other commands go on beside it, but for
// those that need a row the dry run changed and still holds locked (the
// trust's next hospital or visit number, a patient it updated), which
// wait for it to end.
//
// Its commands run as the committer runs them (the access check, a
// savepoint each so a failure undoes that command alone, a panic
// answered as EINTERNAL, a command that appended no event refused) but
// without the statement cache, the batch's event buffer or the commit:
// nothing of the committer's own state is touched, and no OnCommit
// listener is told of an event that was never committed.

// DryRun runs fn with a writer whose commands are applied in one
// transaction that is always rolled back (see crs.DryRunner).
func (db *DB) DryRun(ctx context.Context, fn func(crs.Writer) error) (err error) {
	db.writing.RLock()
	defer db.writing.RUnlock()
	select {
	case <-db.stop:
		return crs.Errorf(crs.EINTERNAL, "the database is closing")
	default:
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "begin the dry run's transaction: %w", err)
	}
	d := &dryRun{db: db, tx: tx}
	defer func() {
		if p := recover(); p != nil {
			db.Logger.Error("dry run panicked", "panic", fmt.Sprint(p))
			err = crs.Errorf(crs.EINTERNAL, "the dry run could not be completed")
		}
		if rbErr := tx.Rollback(); rbErr != nil && err == nil {
			err = crs.Errorf(crs.EINTERNAL, "roll back the dry run: %w", rbErr)
		}
		if d.settingsChanged {
			// The settings read while the dry run changed them are gone with it.
			db.settings.forget()
		}
	}()
	return fn(d)
}

// dryRun is the writer of one dry run: its commands share the dry run's
// transaction, one at a time.
type dryRun struct {
	db              *DB
	tx              *sql.Tx
	mu              sync.Mutex
	settingsChanged bool
}

// Write applies one command of the dry run in a savepoint of its own: if
// fn fails, what it did is undone and the commands before it stay (until
// the dry run ends). A refused access is not audited: a dry run writes
// nothing.
func (d *dryRun) Write(ctx context.Context, a crs.Actor, act crs.Activity, fn func(crs.Tx) error) (err error) {
	if err := a.Authorize(act); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.tx.ExecContext(ctx, `SAVEPOINT dry_cmd`); err != nil {
		return crs.Errorf(crs.EINTERNAL, "savepoint: %w", err)
	}
	t := &Tx{Tx: d.tx, db: d.db, ctx: ctx, actor: a, now: d.db.Clock.Now().UTC(), dry: true}
	defer func() {
		if p := recover(); p != nil {
			d.db.Logger.Error("command panicked in a dry run", "panic", fmt.Sprint(p))
			err = crs.Errorf(crs.EINTERNAL, "the change could not be applied")
		}
		if t.settingsChanged {
			d.settingsChanged = true
		}
		if err != nil {
			if _, rbErr := d.tx.ExecContext(context.WithoutCancel(ctx), `ROLLBACK TO SAVEPOINT dry_cmd`); rbErr != nil {
				err = crs.Errorf(crs.EINTERNAL, "roll back to savepoint: %w (after: %w)", rbErr, err)
				return
			}
		}
		if _, relErr := d.tx.ExecContext(context.WithoutCancel(ctx), `RELEASE SAVEPOINT dry_cmd`); relErr != nil && err == nil {
			err = crs.Errorf(crs.EINTERNAL, "release savepoint: %w", relErr)
		}
	}()
	if err = fn(t); err != nil {
		return err
	}
	if len(t.events) == 0 {
		return crs.Errorf(crs.EINTERNAL, "a command changed the record without appending an event")
	}
	return nil
}
