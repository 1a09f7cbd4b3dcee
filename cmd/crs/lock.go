//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFile is the file beside an embedded database that the crs using
// it holds locked, with its process id written in it.
const lockFile = "crs.lock"

// lockDataDir takes the lock of the data folder dir so that no other crs
// process serves or seeds its database at the same time, and returns how
// to let it go. The lock is an OS file lock (flock), which the kernel
// lets go when the process ends however it ends, so a crs that was
// killed leaves nothing that blocks the next.
func lockDataDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock the data folder: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			b, _ := os.ReadFile(path)
			pid := strings.TrimSpace(string(b))
			if pid == "" {
				pid = "unknown"
			}
			return nil, fmt.Errorf("another crs is using %s (pid %s); stop it first, or give this one another folder", dir, pid)
		}
		return nil, fmt.Errorf("lock the data folder: %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil // closing the file lets the lock go
}
