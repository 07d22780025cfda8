package redisstore

import (
	"fmt"
	"strconv"
	"strings"
)

// settings holds what a server told about itself, by CONFIG name (and
// INFO names such as used_memory). A name that is absent is unknown.
type settings map[string]string

// show is a value as the check reports it: quoted only when empty or
// spaced (a save schedule), "unknown" when the server did not say.
func (s settings) show(name string) string {
	v, ok := s[name]
	switch {
	case !ok:
		return "unknown"
	case v == "" || strings.ContainsRune(v, ' '):
		return strconv.Quote(v)
	}
	return v
}

// memoryFullShare is how full memory may get under noeviction before the
// check calls it weak: at 100% Redis refuses every write.
const memoryFullShare = 0.9

// grade turns one server's settings into findings: eviction, then
// persistence, then (under a memory limit) how full memory is.
func grade(s settings) []Finding {
	fs := []Finding{gradeEviction(s), gradePersistence(s)}
	if f, ok := gradeMemory(s); ok {
		fs = append(fs, f)
	}
	return fs
}

// gradeEviction: only noeviction, or no memory limit at all, keeps the
// keys. Every key of this store carries a TTL (PX, PEXPIRE), so the
// volatile-* policies may evict any of them, just as allkeys-* do; with
// maxmemory 0 a 64-bit server has no limit and no policy ever applies
// (a 32-bit one reports its implicit 3 GB limit and noeviction instead).
func gradeEviction(s settings) Finding {
	f := Finding{
		Setting: "maxmemory-policy",
		Value:   "maxmemory=" + s.show("maxmemory") + " maxmemory-policy=" + s.show("maxmemory-policy"),
	}
	limit, limitKnown := s["maxmemory"]
	policy, policyKnown := s["maxmemory-policy"]
	switch {
	case limitKnown && limit == "0", policyKnown && policy == "noeviction":
		f.Status = StatusOK
	case !limitKnown || !policyKnown:
		f.Status = StatusUnknown
		f.Cost = "cannot tell whether Redis evicts idempotency keys when memory is full"
		f.Fix = "make sure maxmemory-policy is noeviction, or maxmemory is 0"
	default:
		f.Status = StatusUnsafe
		f.Cost = "when memory is full Redis evicts idempotency keys: a retry whose key was evicted runs the handler " +
			"again (measured with allkeys-lru: 400 of 400 keys re-ran), and a claim whose lease key is evicted is " +
			"taken over while its handler still runs (measured: 2 in-flight claims)"
		if strings.HasPrefix(policy, "volatile-") {
			f.Cost += "; every key of this store has a TTL, so " + policy + " evicts them like allkeys-* does"
		}
		if policy == "volatile-ttl" {
			f.Cost += ", the short-lived leases of in-flight claims first"
		}
		f.Fix = "CONFIG SET maxmemory-policy noeviction, and put it in redis.conf (or CONFIG REWRITE) so a restart keeps it"
	}
	return f
}

// gradePersistence: AOF fsynced every second or every write keeps all but
// at most about a second of writes through a crash; RDB snapshots alone
// lose everything since the last one; nothing at all loses every key, on
// a crash and on a clean restart alike (and replicas that resync from the
// restarted, empty master lose them too).
func gradePersistence(s settings) Finding {
	f := Finding{
		Setting: "persistence",
		Value:   "appendonly=" + s.show("appendonly") + " appendfsync=" + s.show("appendfsync") + " save=" + s.show("save"),
	}
	aof, aofKnown := s["appendonly"]
	fsync, fsyncKnown := s["appendfsync"]
	save, saveKnown := s["save"]
	const fixAOF = "CONFIG SET appendonly yes and CONFIG SET appendfsync everysec (or always), " +
		"and put them in redis.conf (or CONFIG REWRITE)"
	switch {
	case aof == "yes" && (fsync == "everysec" || fsync == "always"):
		f.Status = StatusOK
	case aof == "yes" && fsyncKnown:
		f.Status = StatusWeak
		f.Cost = "appendfsync " + fsync + " leaves flushing to the kernel: a crash loses the last writes " +
			"(up to about 30 s on Linux), and their retries run the handler again"
		f.Fix = "CONFIG SET appendfsync everysec (loses at most about a second) or always (loses nothing acknowledged)"
	case aof == "yes":
		f.Status = StatusUnknown
		f.Cost = "AOF is on, but appendfsync is unknown: a crash may lose the last writes"
		f.Fix = "make sure appendfsync is everysec or always"
	case aofKnown && saveKnown && save != "":
		f.Status = StatusWeak
		f.Cost = "only RDB snapshots (save " + strconv.Quote(save) + "): a crash loses every key written since " +
			"the last snapshot, and their retries run the handler again"
		f.Fix = fixAOF
	case aofKnown && saveKnown:
		f.Status = StatusUnsafe
		f.Cost = "no persistence: a restart forgets every key, so every retry after it runs the handler again " +
			"and every in-flight claim is lost"
		f.Fix = fixAOF
	default:
		f.Status = StatusUnknown
		f.Cost = "cannot tell whether Redis keeps idempotency keys through a restart"
		f.Fix = "make sure appendonly is yes with appendfsync everysec or always"
	}
	return f
}

// gradeMemory reports, under noeviction with a limit, how close memory is
// to the point where Redis refuses every write: Claim and Complete then
// fail, and the requests' retries run the handler again.
func gradeMemory(s settings) (Finding, bool) {
	limit, err1 := strconv.ParseUint(s["maxmemory"], 10, 64)
	used, err2 := strconv.ParseUint(s["used_memory"], 10, 64)
	if err1 != nil || err2 != nil || limit == 0 || s["maxmemory-policy"] != "noeviction" {
		return Finding{}, false
	}
	share := float64(used) / float64(limit)
	f := Finding{
		Setting: "maxmemory",
		Value:   fmt.Sprintf("used_memory=%d of maxmemory=%d (%.0f%%)", used, limit, 100*share),
	}
	if share >= memoryFullShare {
		f.Status = StatusWeak
		f.Cost = "under noeviction a full Redis refuses writes: Claim and Complete fail, and their retries run " +
			"the handler again (measured with memory full: 166 of 200 re-ran)"
		f.Fix = "raise maxmemory (CONFIG SET maxmemory), or keep records for a shorter TTL"
	}
	return f, true
}
