package redisstore

import (
	"strings"
	"testing"
)

// TestGrade pins the verdict on each combination of settings, including
// those no test server is started for.
func TestGrade(t *testing.T) {
	safePersist := settings{"appendonly": "yes", "appendfsync": "everysec", "save": ""}
	safeEvict := settings{"maxmemory": "0", "maxmemory-policy": "noeviction"}
	with := func(base settings, kv ...string) settings {
		s := settings{}
		for k, v := range base {
			s[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			s[kv[i]] = kv[i+1]
		}
		return s
	}
	tests := []struct {
		name    string
		set     settings
		setting string
		want    Status
		inCost  string
	}{
		{"no limit, any policy", with(safePersist, "maxmemory", "0", "maxmemory-policy", "allkeys-lru"), "maxmemory-policy", StatusOK, ""},
		{"limit, noeviction", with(safePersist, "maxmemory", "10485760", "maxmemory-policy", "noeviction"), "maxmemory-policy", StatusOK, ""},
		{"limit, allkeys-lru", with(safePersist, "maxmemory", "10485760", "maxmemory-policy", "allkeys-lru"), "maxmemory-policy", StatusUnsafe, "400 of 400"},
		{"limit, volatile-lru", with(safePersist, "maxmemory", "10485760", "maxmemory-policy", "volatile-lru"), "maxmemory-policy", StatusUnsafe, "has a TTL"},
		{"limit, volatile-ttl", with(safePersist, "maxmemory", "1", "maxmemory-policy", "volatile-ttl"), "maxmemory-policy", StatusUnsafe, "leases"},
		{"limit, policy unknown", with(safePersist, "maxmemory", "10485760"), "maxmemory-policy", StatusUnknown, "cannot tell"},
		{"limit unknown, noeviction", with(safePersist, "maxmemory-policy", "noeviction"), "maxmemory-policy", StatusOK, ""},
		{"AOF everysec", with(safeEvict, "appendonly", "yes", "appendfsync", "everysec"), "persistence", StatusOK, ""},
		{"AOF always", with(safeEvict, "appendonly", "yes", "appendfsync", "always"), "persistence", StatusOK, ""},
		{"AOF fsync no", with(safeEvict, "appendonly", "yes", "appendfsync", "no", "save", ""), "persistence", StatusWeak, "30 s"},
		{"AOF fsync unknown", settings{"appendonly": "yes"}, "persistence", StatusUnknown, "appendfsync is unknown"},
		{"RDB only", with(safeEvict, "appendonly", "no", "appendfsync", "everysec", "save", "3600 1"), "persistence", StatusWeak, "since the last snapshot"},
		{"nothing", with(safeEvict, "appendonly", "no", "appendfsync", "everysec", "save", ""), "persistence", StatusUnsafe, "forgets every key"},
		{"AOF off, save unknown", with(safeEvict, "appendonly", "no"), "persistence", StatusUnknown, "cannot tell"},
		{"memory 95% full", with(safePersist, "maxmemory", "1000", "maxmemory-policy", "noeviction", "used_memory", "950"), "maxmemory", StatusWeak, "166 of 200"},
		{"memory half full", with(safePersist, "maxmemory", "1000", "maxmemory-policy", "noeviction", "used_memory", "500"), "maxmemory", StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *Finding
			fs := grade(tt.set)
			for i := range fs {
				if fs[i].Setting == tt.setting {
					got = &fs[i]
				}
			}
			if got == nil {
				t.Fatalf("no %s finding in %v", tt.setting, fs)
			}
			if got.Status != tt.want {
				t.Fatalf("%s: %v, want %v (%s)", tt.setting, got.Status, tt.want, got)
			}
			if !strings.Contains(got.Cost, tt.inCost) {
				t.Errorf("cost %q does not mention %q", got.Cost, tt.inCost)
			}
			if (got.Status == StatusOK) != (got.Fix == "") {
				t.Errorf("status %v with fix %q: a fix is due exactly when not OK", got.Status, got.Fix)
			}
		})
	}
}

// TestReportErr: only unsafe findings make an error, and it names them.
func TestReportErr(t *testing.T) {
	rep := Report{Findings: []Finding{
		{Node: "a:1", Setting: "persistence", Value: "v", Status: StatusUnknown, Cost: "c", Fix: "f"},
		{Node: "a:1", Setting: "maxmemory", Value: "v", Status: StatusWeak, Cost: "c", Fix: "f"},
	}}
	if err := rep.Err(); err != nil {
		t.Fatalf("weak and unknown settings made an error: %v", err)
	}
	rep.Findings = append(rep.Findings, Finding{Node: "b:2", Setting: "maxmemory-policy", Value: "allkeys-lru", Status: StatusUnsafe, Cost: "evicts", Fix: "noeviction"})
	err := rep.Err()
	if err == nil || !strings.Contains(err.Error(), "b:2: maxmemory-policy: allkeys-lru (unsafe): evicts. Fix: noeviction") {
		t.Fatalf("Err() = %v, want it to name the unsafe setting", err)
	}
	if strings.Contains(err.Error(), "a:1") {
		t.Errorf("Err() names settings that are not unsafe: %v", err)
	}
}
