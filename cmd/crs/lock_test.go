//go:build unix

package main

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLockDataDirKilledHolder locks a data folder from another process,
// checks this one is refused with that process's id, then kills the
// other process and checks the folder is free: the lock a killed crs
// held does not block the next.
func TestLockDataDirKilledHolder(t *testing.T) {
	if dir := os.Getenv("CRS_TEST_LOCK_HOLDER"); dir != "" {
		// The other process: take the lock, say so, and wait to be killed.
		if _, err := lockDataDir(dir); err != nil {
			t.Fatalf("holder: %v", err)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockDataDirKilledHolder$")
	cmd.Env = append(os.Environ(), "CRS_TEST_LOCK_HOLDER="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("the holder said %q (%v); want locked", line, err)
	}

	_, err = lockDataDir(dir)
	want := "another crs is using " + dir + " (pid " + strconv.Itoa(cmd.Process.Pid) + ")"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("lock while another process holds it: %v; want %q", err, want)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	release, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after the holder was killed: %v", err)
	}
	b, err := os.ReadFile(dir + "/" + lockFile)
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q (%v); want this process's id %d", b, err, os.Getpid())
	}
	release()

	// Let go, the lock can be taken again, even within one process.
	release, err = lockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after letting it go: %v", err)
	}
	release()
}
