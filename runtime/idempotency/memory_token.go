package idempotency

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
)

// tokenCodec turns a shard's claim counter into an owner token and back.
//
// Each shard numbers its claims under its own lock, from disjoint
// sequences, so tokens are unique in the store without a shared atomic
// counter on the hot path. The number is scrambled by a random bijection
// and prefixed by a random store tag, so tokens look random and a token
// from another store is never accepted.
type tokenCodec struct {
	tag      string // 16 hex digits naming the store
	mul, xor uint64 // mul is odd, so x*mul^xor is a bijection
}

const tokenLen = 32

func newTokenCodec() tokenCodec {
	var b [24]byte
	_, _ = rand.Read(b[:]) // never fails; it crashes the program instead
	return tokenCodec{
		tag: hex.EncodeToString(b[:8]),
		mul: binary.LittleEndian.Uint64(b[8:]) | 1,
		xor: binary.LittleEndian.Uint64(b[16:]),
	}
}

// scramble maps a counter value to the number kept in the entry.
func (c *tokenCodec) scramble(n uint64) uint64 { return n*c.mul ^ c.xor }

func (c *tokenCodec) format(t uint64) string {
	var b [tokenLen]byte
	copy(b[:16], c.tag)
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], t)
	hex.Encode(b[16:], raw[:])
	return string(b[:])
}

// parse returns the number in token, or false when the token was not made
// by this store.
func (c *tokenCodec) parse(token string) (uint64, bool) {
	if len(token) != tokenLen || token[:16] != c.tag {
		return 0, false
	}
	var raw [8]byte
	if _, err := hex.Decode(raw[:], []byte(token[16:])); err != nil {
		return 0, false
	}
	return binary.BigEndian.Uint64(raw[:]), true
}
