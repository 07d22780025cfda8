package idemclient

import (
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// verdict is what one attempt's answer means for the call.
type verdict struct {
	final    bool
	after    time.Duration // the server's Retry-After, when hasAfter
	hasAfter bool
	// problem is the idempotency layer's refusal: returned at once when
	// final, or when the retries of a 409 in use run out.
	problem *ProblemError
}

// judge reads one attempt's answer. Every retry it allows is safe because
// the key is the same: the server runs the operation at most once per key
// and replays its answer to every later attempt.
func (c *call) judge(resp *http.Response, err error) verdict {
	if err != nil {
		if c.req.Context().Err() != nil || !retryableError(err) {
			return verdict{final: true}
		}
		return verdict{}
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return c.retryLater(resp, nil)
	}
	if resp.StatusCode < 400 || resp.StatusCode > 499 {
		return verdict{final: true}
	}
	p := sniffProblem(resp)
	if p == nil {
		return verdict{final: true} // the application's own 4xx
	}
	if p.Code == CodeKeyInUse {
		return c.retryLater(resp, p)
	}
	return verdict{final: true, problem: p}
}

// retryLater is the verdict for an answer that asks to come back later.
func (c *call) retryLater(resp *http.Response, p *ProblemError) verdict {
	d, ok := retryAfter(resp.Header, c.t.clock())
	return verdict{after: d, hasAfter: ok, problem: p}
}

// retryableError reports whether a transport error may be retried: the
// connection failed, before or after the request was written. The key
// makes both safe, since the server either never saw the request or
// replays what it answered. Errors that another attempt would meet again
// (a certificate the client does not trust, a host that does not exist,
// a malformed request) are final.
func retryableError(err error) bool {
	var cert *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	if errors.As(err, &cert) || errors.As(err, &record) {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return !dns.IsNotFound
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true // a timeout, or a failed dial, read or write
	}
	// net/http's own name for a connection the server closed while the
	// request was on its way; it has no exported value.
	return strings.Contains(err.Error(), "server closed idle connection")
}

// retryAfter reads Retry-After: delay-seconds or an HTTP-date (RFC 9110
// section 10.2.3). A date in the past means now; a value that is neither
// is ignored, so the backoff applies.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	const most = uint64(1<<63-1) / uint64(time.Second)
	n, err := strconv.ParseUint(v, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		n, err = most, nil // digits, too many of them: longer than any deadline
	}
	if err == nil {
		return time.Duration(min(n, most)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// backoff is the wait before retry n (1 for the second attempt) when the
// server named none: uniform between zero and BaseDelay·2^(n-1), capped
// at MaxDelay.
func (t *Transport) backoff(n int) time.Duration {
	limit := orDuration(t.BaseDelay, DefaultBaseDelay)
	most := orDuration(t.MaxDelay, DefaultMaxDelay)
	for i := 1; i < n && limit < most; i++ {
		limit *= 2
	}
	limit = min(limit, most)
	if t.jitter != nil {
		return t.jitter(limit)
	}
	return rand.N(limit + 1)
}
