package pipe

import (
	"context"
	"errors"
	"testing"
)

// TestRunKeepsOrder: every row read is written, in the order read,
// across many batches, though the reader reuses its row.
func TestRunKeepsOrder(t *testing.T) {
	const n = 3*Batch + 17
	var got []int
	err := Run(context.Background(), func(ctx context.Context, emit func(*[]int) error) error {
		row := make([]int, 1)
		for i := range n {
			row[0] = i
			if err := emit(&row); err != nil {
				return err
			}
		}
		return nil
	}, func(r *[]int) []int { return append([]int(nil), (*r)...) }, func(r *[]int) error {
		got = append(got, (*r)[0])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("wrote %d rows, want %d", len(got), n)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("row %d is %d: out of order", i, v)
		}
	}
}

// TestRunWriteErrorStopsRead: when writing fails (the user's
// download is cut off), the read is cancelled rather than run to its
// end, and the write's error is what the export returns.
func TestRunWriteErrorStopsRead(t *testing.T) {
	broken := errors.New("connection reset")
	read := 0
	err := Run(context.Background(), func(ctx context.Context, emit func(*int) error) error {
		for i := range 1_000_000 {
			read++
			if err := emit(&i); err != nil {
				return err
			}
		}
		return nil
	}, func(r *int) int { return *r }, func(r *int) error {
		if *r == 10 {
			return broken
		}
		return nil
	})
	if !errors.Is(err, broken) {
		t.Fatalf("err = %v, want the write's error", err)
	}
	if read == 1_000_000 {
		t.Fatal("the read ran to its end after the write failed")
	}
}

// TestRunReadError: a failed read is returned after the rows read
// before it are written.
func TestRunReadError(t *testing.T) {
	failed := errors.New("disk I/O error")
	wrote := 0
	err := Run(context.Background(), func(ctx context.Context, emit func(*int) error) error {
		for i := range 5 {
			if err := emit(&i); err != nil {
				return err
			}
		}
		return failed
	}, func(r *int) int { return *r }, func(r *int) error {
		wrote++
		return nil
	})
	if !errors.Is(err, failed) {
		t.Fatalf("err = %v, want the read's error", err)
	}
	if wrote != 5 {
		t.Fatalf("wrote %d rows before the read failed, want 5", wrote)
	}
}
