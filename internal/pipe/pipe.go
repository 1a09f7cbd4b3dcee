// Package pipe passes rows from a reader goroutine to a writer in
// batches, so that on a small server both cores work on a long read.
package pipe

import "context"

// A long read is worked by two goroutines: one steps through the query
// and scans each row, the other does the rest (joins, formats, writes).
// Rows pass between them in batches, each row copied out of the reader's
// buffer.

// Batch is how many rows go from the reader to the writer at a time.
const Batch = 256

// Run runs read on a goroutine of its own and write on the caller's.
// read calls emit with each row, which may reuse the row's memory once
// emit returns: emit copies it with clone. write is called with each row
// in the order read emitted them. If write fails, read is cancelled
// (emit returns the context's error) and write's error is returned;
// otherwise read's.
func Run[T any](ctx context.Context, read func(ctx context.Context, emit func(*T) error) error, clone func(*T) T, write func(*T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan []T, 4)
	empty := make(chan []T, 6)
	var readErr error
	go func() {
		defer close(full)
		batch := make([]T, 0, Batch)
		send := func() error {
			select {
			case full <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case batch = <-empty:
				batch = batch[:0]
			default:
				batch = make([]T, 0, Batch)
			}
			return nil
		}
		readErr = read(ctx, func(r *T) error {
			batch = append(batch, clone(r))
			if len(batch) < Batch {
				return nil
			}
			return send()
		})
		if len(batch) > 0 {
			if err := send(); readErr == nil {
				readErr = err
			}
		}
	}()
	var writeErr error
	for batch := range full {
		for i := 0; i < len(batch) && writeErr == nil; i++ {
			if writeErr = write(&batch[i]); writeErr != nil {
				cancel()
			}
		}
		clear(batch)
		select {
		case empty <- batch:
		default:
		}
	}
	if writeErr != nil {
		return writeErr
	}
	return readErr
}
