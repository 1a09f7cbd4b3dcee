// Package mllp carries HL7 v2 messages over TCP with the Minimal Lower
// Layer Protocol: each message is framed by a start block (0x0B) and an end
// block (0x1C 0x0D). It provides a frame Reader and WriteFrame, a Server
// that answers each message on a connection in order, and a Client that
// sends one message and waits for its reply. It knows nothing of the
// messages it carries.
package mllp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Framing bytes.
const (
	StartBlock  = 0x0B // vertical tab: starts a frame
	EndBlock    = 0x1C // file separator: ends a frame
	CarriageRet = 0x0D // follows EndBlock
)

// DefaultMaxFrame is the frame size limit used when none is given: 16 MiB,
// room for a discharge summary with an embedded PDF.
const DefaultMaxFrame = 16 << 20

// GarbageError reports bytes that arrived outside any frame and were
// skipped: noise between frames, or a frame its sender abandoned by
// starting another. It is recoverable: the next ReadFrame returns the
// frame that follows.
type GarbageError struct {
	Bytes int // how many bytes were skipped
}

// Error says how many bytes were skipped.
func (e *GarbageError) Error() string {
	return fmt.Sprintf("mllp: skipped %d bytes outside a frame", e.Bytes)
}

// FrameTooLargeError reports a frame longer than the reader's limit. It is
// recoverable: the rest of the frame is skipped and the next ReadFrame
// returns the frame after it.
type FrameTooLargeError struct {
	Max int // the limit, in bytes
}

// Error says what the limit is.
func (e *FrameTooLargeError) Error() string {
	return fmt.Sprintf("mllp: frame longer than %d bytes", e.Max)
}

// IsRecoverable reports whether err leaves a Reader able to read the next
// frame: a *GarbageError or *FrameTooLargeError.
func IsRecoverable(err error) bool {
	var g *GarbageError
	var f *FrameTooLargeError
	return errors.As(err, &g) || errors.As(err, &f)
}

// ErrInvalidMessage is returned by WriteFrame for a message that holds a
// start or end block byte and so cannot be framed.
var ErrInvalidMessage = errors.New("mllp: message holds a start or end block byte")

// Reader reads MLLP frames from a stream.
type Reader struct {
	r          io.Reader
	max        int
	buf        []byte
	pos, end   int   // unread bytes are buf[pos:end]
	err        error // sticky read error
	discarding bool  // inside an oversize frame
}

// NewReader returns a Reader of frames from r, each at most maxFrame bytes
// of content (DefaultMaxFrame if maxFrame <= 0).
func NewReader(r io.Reader, maxFrame int) *Reader {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	return &Reader{r: r, max: maxFrame, buf: make([]byte, 32<<10)}
}

// fill reads more input once buf is used up. It returns the read error
// when no bytes came.
func (r *Reader) fill() error {
	if r.pos < r.end {
		return nil
	}
	r.pos, r.end = 0, 0
	for r.err == nil {
		n, err := r.r.Read(r.buf)
		r.end = n
		if err != nil {
			r.err = err
		}
		if n > 0 {
			return nil
		}
	}
	return r.err
}

// ReadFrame returns the content of the next frame, without its start and
// end blocks, in a new slice the caller owns. Carriage returns and line
// feeds between frames are skipped silently; other bytes outside a frame
// are skipped and reported by a *GarbageError before the frame that
// follows them. A frame over the limit gives a *FrameTooLargeError. Both
// are recoverable (call ReadFrame again). At the end of the stream it
// returns io.EOF, or io.ErrUnexpectedEOF when the stream ends inside a
// frame; other errors are the underlying reader's.
func (r *Reader) ReadFrame() ([]byte, error) {
	garbage := 0
	// Find the start block.
	for {
		if err := r.fill(); err != nil {
			if garbage > 0 {
				return nil, &GarbageError{Bytes: garbage}
			}
			if err == io.EOF && r.discarding {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		chunk := r.buf[r.pos:r.end]
		if r.discarding {
			i := bytes.IndexAny(chunk, "\x0b\x1c")
			if i < 0 {
				r.pos = r.end
				continue
			}
			r.discarding = false
			r.pos += i
			if chunk[i] == EndBlock {
				r.pos++
			}
			continue
		}
		i := bytes.IndexByte(chunk, StartBlock)
		if i < 0 {
			i = len(chunk)
		}
		for _, c := range chunk[:i] {
			if c != '\r' && c != '\n' {
				garbage++
			}
		}
		r.pos += i
		if i < len(chunk) {
			if garbage > 0 {
				return nil, &GarbageError{Bytes: garbage}
			}
			r.pos++ // the start block
			break
		}
	}
	// Read the content up to the end block.
	var frame []byte
	for {
		if err := r.fill(); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		chunk := r.buf[r.pos:r.end]
		e := bytes.IndexByte(chunk, EndBlock)
		part := chunk
		if e >= 0 {
			part = chunk[:e]
		}
		if s := bytes.IndexByte(part, StartBlock); s >= 0 {
			// The sender started again: what came before is lost.
			r.pos += s
			if len(frame)+s > r.max {
				return nil, &FrameTooLargeError{Max: r.max}
			}
			return nil, &GarbageError{Bytes: 1 + len(frame) + s}
		}
		if len(frame)+len(part) > r.max {
			if e >= 0 {
				r.pos += e + 1
			} else {
				r.pos = r.end
				r.discarding = true
			}
			return nil, &FrameTooLargeError{Max: r.max}
		}
		if e < 0 {
			frame = append(frame, part...)
			r.pos = r.end
			continue
		}
		if frame == nil {
			frame = make([]byte, 0, len(part))
		}
		frame = append(frame, part...)
		r.pos += e + 1
		// The CR after the end block is skipped with the space between
		// frames, so a sender that omits it is not waited for.
		return frame, nil
	}
}

// WriteFrame writes msg as one frame in a single Write call.
func WriteFrame(w io.Writer, msg []byte) error {
	if bytes.IndexByte(msg, StartBlock) >= 0 || bytes.IndexByte(msg, EndBlock) >= 0 {
		return ErrInvalidMessage
	}
	buf := make([]byte, 0, len(msg)+3)
	buf = append(buf, StartBlock)
	buf = append(buf, msg...)
	buf = append(buf, EndBlock, CarriageRet)
	_, err := w.Write(buf)
	return err
}
