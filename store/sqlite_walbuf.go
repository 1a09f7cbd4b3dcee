package store

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/opencrs/crs"
	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// The committer's write-ahead log is written through a file system of our
// own (a SQLite VFS) that differs from SQLite's in one thing: the frames
// of a transaction are gathered in memory and reach the log file in one
// write when its commit frame is written, not in two writes a page (the
// frame's header, then the page). A batch of commands changes hundreds of
// pages, and each write is a system call: they were about a quarter of
// the committer's time.
//
// Nothing is visible or acknowledged earlier than before. SQLite writes
// every frame of a transaction, the commit frame last, and only then
// publishes the new end of the log to readers (in the shared-memory
// index): the commit frame's write returns after the whole transaction
// is in the file, or fails with the write's error, so the transaction
// fails as it would have. Any other use of the log file (a read, a sync,
// its size, a truncation, a lock, its close) first writes what is
// gathered, and a write that does not follow on from the gathered bytes
// writes them before it is itself gathered, so the file always reads as
// if each write had been made at once. A process that dies with frames
// gathered loses a transaction that had not committed.

// walBufVFS is the name the file system is registered under; the
// committer's connection names it in its DSN (sqliteDSN).
const walBufVFS = "crs-walbuf"

// walBufMax is the most gathered before it is written regardless (a bulk
// load's transaction can change thousands of pages).
const walBufMax = 8 << 20

// walWriteMax is the most written in one call.
const walWriteMax = 31 * 4096

// walFrameHeader is the size of a frame's header in the log; its bytes 4
// to 8 are the database's size after a commit, zero in any other frame.
const walFrameHeader = 24

var (
	walBufErr error
	// walVFS is the registered file system and walBase the one it
	// wraps (the platform's default).
	walVFS  sqlite3.Tsqlite3_vfs
	walBase uintptr
	// walStateAt is where a file's gathering state starts, after the
	// base file system's own file structure.
	walStateAt uintptr
	// walMu guards walMethods and walBaseMethods, set at the first log
	// file opened.
	walMu          sync.Mutex
	walMethods     sqlite3.Tsqlite3_io_methods
	walBaseMethods uintptr
	// walWrites counts the writes that reach log files through the file
	// system (tests read it).
	walWrites atomic.Int64
)

// walState is a log file's gathered bytes: n bytes at buf (memory of
// SQLite's allocator, cap long), which belong at offset off of the file.
type walState struct {
	base   uintptr // the base file system's methods for the file
	buf    uintptr
	n, cap int64
	off    int64
	// commit says the frame header last gathered is a commit frame's:
	// the page that follows it ends the transaction.
	commit int64
}

// init registers the file system; Open refuses SQLite if it failed.
func init() { walBufErr = registerWALBuffer() }

func registerWALBuffer() error {
	tls := libc.NewTLS()
	defer tls.Close()
	walBase = sqlite3.Xsqlite3_vfs_find(tls, 0)
	if walBase == 0 {
		return crs.Errorf(crs.EINTERNAL, "SQLite has no default file system to write its log through")
	}
	walVFS = *(*sqlite3.Tsqlite3_vfs)(cptr(walBase))
	walStateAt = (uintptr(walVFS.FszOsFile) + 7) &^ 7
	walVFS.FszOsFile = int32(walStateAt + unsafe.Sizeof(walState{}))
	walVFS.FpNext = 0
	name, err := libc.CString(walBufVFS)
	if err != nil {
		return err
	}
	walVFS.FzName = name
	walVFS.FxOpen = fnptr(walOpen)
	if rc := sqlite3.Xsqlite3_vfs_register(tls, uintptr(unsafe.Pointer(&walVFS)), 0); rc != sqlite3.SQLITE_OK {
		return crs.Errorf(crs.EINTERNAL, "register SQLite file system %s: code %d", walBufVFS, rc)
	}
	return nil
}

// walOpen opens a file through the base file system and, for a
// write-ahead log, gathers its writes.
func walOpen(tls *libc.TLS, _, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	base := (*sqlite3.Tsqlite3_vfs)(cptr(walBase))
	rc := (*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{base.FxOpen})))(tls, walBase, zName, pFile, flags, pOutFlags)
	if rc != sqlite3.SQLITE_OK || flags&sqlite3.SQLITE_OPEN_WAL == 0 {
		return rc
	}
	f := (*sqlite3.Tsqlite3_file)(cptr(pFile))
	if f.FpMethods == 0 {
		return rc
	}
	st := stateOf(pFile)
	*st = walState{}
	walMu.Lock()
	if walBaseMethods == 0 {
		walBaseMethods = f.FpMethods
		walMethods = *(*sqlite3.Tsqlite3_io_methods)(cptr(f.FpMethods))
		walMethods.FxWrite = fnptr(walWrite)
		walMethods.FxRead = fnptr(walRead)
		walMethods.FxClose = fnptr(walClose)
		walMethods.FxTruncate = fnptr(walTruncate)
		walMethods.FxSync = fnptr(walSync)
		walMethods.FxFileSize = fnptr(walFileSize)
		walMethods.FxLock = fnptr(walLock)
		walMethods.FxUnlock = fnptr(walUnlock)
		walMethods.FxCheckReservedLock = fnptr(walCheckReservedLock)
		walMethods.FxFileControl = fnptr(walFileControl)
	}
	same := walBaseMethods == f.FpMethods
	walMu.Unlock()
	if same { // a log of another kind of file is left as it is
		st.base = f.FpMethods
		f.FpMethods = uintptr(unsafe.Pointer(&walMethods))
	}
	return rc
}

// walWrite gathers a write that follows on from those gathered, and
// writes them all at a commit frame's page.
func walWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	st := stateOf(pFile)
	if st.n > 0 && (iOfst != st.off+st.n || st.n+int64(iAmt) > walBufMax) {
		if rc := walFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	if int64(iAmt) > walBufMax {
		return walWriteBase(tls, pFile, zBuf, iAmt, iOfst)
	}
	if st.n == 0 {
		st.off = iOfst
	}
	if need := st.n + int64(iAmt); need > st.cap {
		c := max(need, 2*st.cap, 64<<10)
		p := libc.Xrealloc(tls, st.buf, libc.Tsize_t(c))
		if p == 0 {
			if rc := walFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
				return rc
			}
			return walWriteBase(tls, pFile, zBuf, iAmt, iOfst)
		}
		st.buf, st.cap = p, c
	}
	copy(unsafe.Slice((*byte)(cptr(st.buf+uintptr(st.n))), iAmt), unsafe.Slice((*byte)(cptr(zBuf)), iAmt))
	st.n += int64(iAmt)
	if iAmt == walFrameHeader {
		hdr := unsafe.Slice((*byte)(cptr(zBuf)), walFrameHeader)
		st.commit = int64(binary.BigEndian.Uint32(hdr[4:8]))
		return sqlite3.SQLITE_OK
	}
	if st.commit != 0 {
		st.commit = 0
		return walFlush(tls, pFile)
	}
	return sqlite3.SQLITE_OK
}

// walFlush writes what is gathered, in one write. What failed to be
// written is dropped, as a failed write's bytes are.
func walFlush(tls *libc.TLS, pFile uintptr) int32 {
	st := stateOf(pFile)
	if st.n == 0 {
		return sqlite3.SQLITE_OK
	}
	n := st.n
	st.n = 0
	return walWriteBase(tls, pFile, st.buf, int32(n), st.off)
}

// walWriteBase writes through the base file system, in parts of at most
// walWriteMax: SQLite's Unix file system writes no more than 128 KiB
// less a byte in one call (it masks a write's length to 17 bits).
func walWriteBase(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	write := (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&struct{ uintptr }{baseMethods(pFile).FxWrite})))
	for iAmt > 0 {
		n := min(iAmt, walWriteMax)
		walWrites.Add(1)
		if rc := write(tls, pFile, zBuf, n, iOfst); rc != sqlite3.SQLITE_OK {
			return rc
		}
		zBuf, iAmt, iOfst = zBuf+uintptr(n), iAmt-n, iOfst+int64(n)
	}
	return sqlite3.SQLITE_OK
}

func walRead(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	if rc := walFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	m := baseMethods(pFile)
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&struct{ uintptr }{m.FxRead})))(tls, pFile, zBuf, iAmt, iOfst)
}

func walClose(tls *libc.TLS, pFile uintptr) int32 {
	rc := walFlush(tls, pFile)
	st := stateOf(pFile)
	if st.buf != 0 {
		libc.Xfree(tls, st.buf)
		st.buf, st.cap = 0, 0
	}
	m := baseMethods(pFile)
	if rc2 := (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{m.FxClose})))(tls, pFile); rc == sqlite3.SQLITE_OK {
		rc = rc2
	}
	return rc
}

func walTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	if rc := walFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	m := baseMethods(pFile)
	return (*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&struct{ uintptr }{m.FxTruncate})))(tls, pFile, size)
}

func walSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	return walInt32(tls, pFile, flags, baseMethods(pFile).FxSync)
}

func walLock(tls *libc.TLS, pFile uintptr, lock int32) int32 {
	return walInt32(tls, pFile, lock, baseMethods(pFile).FxLock)
}

func walUnlock(tls *libc.TLS, pFile uintptr, lock int32) int32 {
	return walInt32(tls, pFile, lock, baseMethods(pFile).FxUnlock)
}

// walInt32 writes what is gathered, then calls a base method that takes
// an int.
func walInt32(tls *libc.TLS, pFile uintptr, arg int32, fn uintptr) int32 {
	if rc := walFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&struct{ uintptr }{fn})))(tls, pFile, arg)
}

func walFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	return walPtr(tls, pFile, pSize, baseMethods(pFile).FxFileSize)
}

func walCheckReservedLock(tls *libc.TLS, pFile, pResOut uintptr) int32 {
	return walPtr(tls, pFile, pResOut, baseMethods(pFile).FxCheckReservedLock)
}

// walPtr writes what is gathered, then calls a base method that takes a
// pointer.
func walPtr(tls *libc.TLS, pFile, p uintptr, fn uintptr) int32 {
	if rc := walFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{fn})))(tls, pFile, p)
}

func walFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	if rc := walFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	m := baseMethods(pFile)
	return (*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{m.FxFileControl})))(tls, pFile, op, pArg)
}

func stateOf(pFile uintptr) *walState {
	return (*walState)(cptr(pFile + walStateAt))
}

func baseMethods(pFile uintptr) *sqlite3.Tsqlite3_io_methods {
	return (*sqlite3.Tsqlite3_io_methods)(cptr(stateOf(pFile).base))
}

// cptr is the pointer an address in SQLite's memory stands for. SQLite's
// memory is not Go's collected heap: it does not move and is not freed
// under us.
func cptr(addr uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&addr))
}

// fnptr is the address SQLite calls a Go function by, as the transpiled
// SQLite makes them.
func fnptr(f any) uintptr {
	type iface [2]uintptr
	return (*iface)(unsafe.Pointer(&f))[1]
}
