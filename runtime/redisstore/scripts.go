package redisstore

import "github.com/redis/go-redis/v9"

// The record key is a hash with the fields
//
//	t  the owner's token (absent on records written by the seed Set)
//	f  the fingerprint of the owner, or of the request that completed it
//	r  the encoded response; present once the key is completed
//
// The lease key holds the owner's token and expires with the lease. An
// owner is whoever's token is in t while r is absent: a late Complete is
// refused only once a successor has claimed the key (rewriting t), which
// spares the work of an owner that was slow but not replaced.
//
// Scripts run atomically on the server; each is one round trip (EVALSHA,
// falling back to EVAL after a server restart emptied the script cache).

// claimScript: KEYS rec, lease; ARGV token, fingerprint, lease ms, pending ms.
// Replies {0, takenOver, fence} | {1, fingerprint} | {2, fingerprint, record}.
// The fence (field n) grows with every acquisition: the previous one plus
// one, and at least the server clock's microseconds, so that it grows on
// after the key expired too (Lua numbers hold microseconds exactly).
// The token is fresh per call, so finding it already in t means the client
// resent this very call (go-redis retries after a lost reply): it is
// answered as acquired again instead of locking the caller out of its own
// claim until the lease runs out.
var claimScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 't', 'f', 'r', 'n')
if v[3] then
  return {2, v[2] or '', v[3]}
end
if v[1] == ARGV[1] then
  return {0, 0, tonumber(v[4]) or 0}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {1, v[2] or ''}
end
local taken = 0
if v[1] then taken = 1 end
local now = redis.call('TIME')
local fence = math.max((tonumber(v[4]) or 0) + 1, tonumber(now[1]) * 1000000 + tonumber(now[2]))
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 't', ARGV[1], 'f', ARGV[2], 'n', string.format('%d', fence))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
return {0, taken, fence}
`)

// completeScript: KEYS rec, lease; ARGV token, fingerprint, record, ttl ms.
// A record already completed under this token with these very bytes means
// the client resent this call after its reply was lost: it is acknowledged,
// so the owner does not report a lost claim for a write that landed. Any
// other second Complete is refused.
var completeScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 't', 'r')
if v[1] ~= ARGV[1] then
  return 0
end
if v[2] then
  if v[2] == ARGV[3] then return 1 end
  return 0
end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'f', ARGV[2], 'r', ARGV[3])
else
  redis.call('HSET', KEYS[1], 'r', ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
end
return 1
`)

// abandonScript: KEYS rec, lease; ARGV token.
var abandonScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 't', 'r')
if v[1] ~= ARGV[1] or v[2] then
  return 0
end
redis.call('DEL', KEYS[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
end
return 1
`)

// renewScript: KEYS rec, lease; ARGV token, lease ms, pending ms.
var renewScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 't', 'r')
if v[1] ~= ARGV[1] or v[2] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
`)

// seedSetScript: KEYS rec; ARGV record, ttl ms. It replaces whatever was
// stored, as the seed contract's Set does.
var seedSetScript = redis.NewScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'r', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// seedUnlockScript: KEYS lease; ARGV marker. It never releases a claim made
// through the ClaimStore methods, whose lease holds a token instead.
var seedUnlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)
