//go:build linux

package bench

import (
	"encoding/binary"
	"io"
	"net"
	"syscall"
	"time"
	"unsafe"
)

// The kernel's receive timestamps (SO_TIMESTAMPING, software): the
// moment the bytes of an answer reached the client's socket, before the
// client's goroutine was scheduled to read them.
const (
	sofTimestampingRxSoftware = 1 << 3
	sofTimestampingSoftware   = 1 << 4
)

// wireReader reads a TCP connection with recvmsg and keeps the kernel's
// receive timestamp of the latest bytes read, so that a benchmark can
// tell the time an answer took to arrive from the time its own client
// took to get round to reading it.
type wireReader struct {
	rc  syscall.RawConn
	oob []byte
	// last is when the latest bytes read arrived (zero if the kernel
	// gave no timestamp).
	last time.Time
}

// newWireReader turns on receive timestamps for c; ok is false where the
// connection or the kernel does not give them.
func newWireReader(c net.Conn) (*wireReader, bool) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil, false
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil, false
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPING, sofTimestampingRxSoftware|sofTimestampingSoftware)
	}); err != nil || serr != nil {
		return nil, false
	}
	return &wireReader{rc: rc, oob: make([]byte, 256)}, true
}

func (w *wireReader) Read(p []byte) (int, error) {
	var n, oobn int
	var rerr error
	err := w.rc.Read(func(fd uintptr) bool {
		n, oobn, _, _, rerr = syscall.Recvmsg(int(fd), p, w.oob, 0)
		return rerr != syscall.EAGAIN
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return 0, err
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	// The control messages, read in place (no allocation per read): a
	// struct scm_timestamping is three timespecs, the first the
	// software timestamp.
	for oob := w.oob[:oobn]; len(oob) >= syscall.SizeofCmsghdr; {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
		if h.Len < syscall.SizeofCmsghdr || int(h.Len) > len(oob) {
			break
		}
		data := oob[syscall.SizeofCmsghdr:h.Len]
		if h.Level == syscall.SOL_SOCKET && h.Type == syscall.SO_TIMESTAMPING && len(data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(data[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(data[8:16]))
			if sec != 0 || nsec != 0 {
				w.last = time.Unix(sec, nsec)
			}
		}
		next := syscall.CmsgSpace(int(h.Len) - syscall.SizeofCmsghdr)
		if next > len(oob) {
			break
		}
		oob = oob[next:]
	}
	return n, nil
}

// arrived is when the latest bytes read reached the socket.
func (w *wireReader) arrived() time.Time { return w.last }
