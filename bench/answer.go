package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// readAnswer reads one HTTP/1.1 answer from r into body: its status
// line, its header (of which it reads Content-Length, Transfer-Encoding
// and Connection) and its body, by its length, in chunks, or to the end
// of the connection. It is the benchmark client's reading of an answer,
// which net/http's http.ReadResponse did with a map of every header and
// a Response made for each: on 2 cores shared with the server, the
// client's work is taken from the server's.
func readAnswer(r *bufio.Reader, body *bytes.Buffer) (status int, closeAfter bool, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, true, fmt.Errorf("read the status line: %w", err)
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, true, fmt.Errorf("malformed status line %q", bytes.TrimRight(line, "\r\n"))
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil || status < 100 {
		return 0, true, fmt.Errorf("malformed status line %q", bytes.TrimRight(line, "\r\n"))
	}
	closeAfter = line[7] == '0' // HTTP/1.0 closes unless told otherwise
	length, chunked := int64(-1), false
	for {
		line, err = r.ReadSlice('\n')
		if err != nil {
			return status, true, fmt.Errorf("read the header: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return status, true, fmt.Errorf("malformed header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil || length < 0 {
				return status, true, fmt.Errorf("malformed Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closeAfter = bytes.EqualFold(value, []byte("close"))
		}
	}
	body.Reset()
	switch {
	case status/100 == 1 || status == 204 || status == 304:
		return status, closeAfter, nil
	case chunked:
		return status, closeAfter, readChunks(r, body)
	case length >= 0:
		if _, err := io.CopyN(body, r, length); err != nil {
			return status, true, fmt.Errorf("read a body of %d bytes: %w", length, err)
		}
		return status, closeAfter, nil
	default: // no length: the body runs to the connection's end
		_, err = body.ReadFrom(r)
		return status, true, err
	}
}

// readChunks reads a chunked body into body, and the trailer after it.
func readChunks(r *bufio.Reader, body *bytes.Buffer) error {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("read a chunk's size: %w", err)
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";")) // a chunk extension is ignored
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("malformed chunk size %q", bytes.TrimRight(line, "\r\n"))
		}
		if n == 0 {
			for { // the trailer, to its blank line
				line, err = r.ReadSlice('\n')
				if err != nil {
					return fmt.Errorf("read the trailer: %w", err)
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if _, err := io.CopyN(body, r, n); err != nil {
			return fmt.Errorf("read a chunk of %d bytes: %w", n, err)
		}
		if line, err = r.ReadSlice('\n'); err != nil || len(bytes.TrimRight(line, "\r\n")) != 0 {
			return fmt.Errorf("a chunk of %d bytes not followed by its line end", n)
		}
	}
}
