package main

import (
	"os"
	"testing"
)

// TestMemoryAvailable reads the memory a server's soft limit is half of:
// the cgroup's limit when it has one below the machine's, else the
// machine's.
func TestMemoryAvailable(t *testing.T) {
	const meminfo = "MemTotal:       24683568 kB\nMemFree:         1000 kB\n"
	machine := int64(24683568) << 10
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  int64
		ok    bool
	}{
		{"machine only", map[string]string{"/proc/meminfo": meminfo}, machine, true},
		{"cgroup v2 limit", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory.max": "1073741824\n"}, 1 << 30, true},
		{"cgroup v2 without a limit", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory.max": "max\n"}, machine, true},
		{"cgroup v1 limit", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory/memory.limit_in_bytes": "536870912\n"}, 512 << 20, true},
		{"cgroup v1 without a limit", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, machine, true},
		{"cgroup limit, no meminfo", map[string]string{"/sys/fs/cgroup/memory.max": "2147483648"}, 2 << 30, true},
		{"nothing readable", map[string]string{}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := memoryAvailable(func(name string) ([]byte, error) {
				if s, found := tc.files[name]; found {
					return []byte(s), nil
				}
				return nil, os.ErrNotExist
			})
			if ok != tc.ok || ok && got != tc.want {
				t.Errorf("memoryAvailable = %d, %v; want %d, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
