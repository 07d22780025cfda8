package storetest_test

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

// refSeed is the simplest correct seed Store, with switchable flaws.
type refSeed struct {
	flaw   string
	mu     sync.Mutex
	resp   map[string]*idempotency.CachedResponse
	locked map[string]bool
}

func (s *refSeed) Get(key string) (*idempotency.CachedResponse, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.resp[key]
	if ok && s.flaw != "noexpiry" && !time.Now().Before(r.ExpiresAt) {
		return nil, false
	}
	return r, ok
}

func (s *refSeed) Set(key string, r *idempotency.CachedResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resp[key] = r
}

func (s *refSeed) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.resp, key)
}

func (s *refSeed) Lock(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked[key] {
		return false
	}
	if s.flaw == "racylock" {
		s.mu.Unlock()
		runtime.Gosched()
		s.mu.Lock()
	}
	s.locked[key] = true
	return true
}

func (s *refSeed) Unlock(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.locked, key)
	if s.flaw == "unlockdeletes" {
		delete(s.resp, key)
	}
}

func TestReferenceSeedStore(t *testing.T) {
	flaw := os.Getenv(flawEnv)
	opts := storetest.Options{Rounds: 200}
	if flaw != "" {
		opts.Patience = 2 * time.Second
	}
	storetest.RunSeedWith(t, opts, func(t *testing.T) idempotency.Store {
		return &refSeed{flaw: flaw, resp: map[string]*idempotency.CachedResponse{}, locked: map[string]bool{}}
	})
}

func TestSeedSuiteCatchesFlaws(t *testing.T) {
	if os.Getenv(flawEnv) != "" {
		t.Skip("inside a child process")
	}
	for flaw, check := range map[string]string{
		"racylock":      "OneLockRace",
		"noexpiry":      "Expiry",
		"unlockdeletes": "UnlockKeepsResponse",
	} {
		t.Run(flaw, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestReferenceSeedStore$/^"+check+"$", "-test.count=1")
			cmd.Env = append(os.Environ(), flawEnv+"="+flaw)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the seed suite passed a store with flaw %q; output:\n%s", flaw, out)
			}
			if want := "--- FAIL: TestReferenceSeedStore/" + check; !strings.Contains(string(out), want) {
				t.Fatalf("flaw %q: output lacks %q:\n%s", flaw, want, out)
			}
		})
	}
}
