//go:build !linux

package bench

import (
	"net"
	"time"
)

// wireReader is not built where the kernel's receive timestamps are not
// read: the benchmark then reports the client's latency alone.
type wireReader struct{ net.Conn }

func newWireReader(net.Conn) (*wireReader, bool) { return nil, false }

func (w *wireReader) arrived() time.Time { return time.Time{} }
