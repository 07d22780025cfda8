package idemclient

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/idemgen/idemgen/internal/contract"
)

// fault is what the proxy does to the first attempt of each key; later
// attempts pass through.
type fault int

const (
	resetBeforeForward fault = iota // the request was written; the server never sees it
	resetWhileRunning               // forwarded, then the client's connection is reset at once
	dropAfterAnswer                 // the server answered and committed; the client's connection is closed unanswered
	resetAfterAnswer                // the same, with a reset instead of a close
	duplicate                       // a copy of the request reaches the server while the first runs; the client gets the copy's answer
	storeOutage                     // 503 idempotency_store_unavailable with Retry-After, as the middleware answers when its store fails
	badGateway                      // 502 without Retry-After, as a gateway answers when the server is away
	tooManyRequests                 // 429 with Retry-After as an HTTP-date
)

var faultNames = map[fault]string{
	resetBeforeForward: "reset before forward", resetWhileRunning: "reset while running",
	dropAfterAnswer: "drop after answer", resetAfterAnswer: "reset after answer",
	duplicate: "duplicate while running", storeOutage: "store outage 503",
	badGateway: "502", tooManyRequests: "429 with HTTP-date",
}

// proxy sits between the client and the objects server and injects one
// fault into the first attempt of every key.
type proxy struct {
	t        *testing.T
	target   string
	fault    fault
	objects  *objects
	upstream *http.Transport

	mu   sync.Mutex
	seen map[string]int
	bg   sync.WaitGroup // requests still running upstream after the client was cut off
}

func newProxy(t *testing.T, target string, o *objects, f fault) *httptest.Server {
	p := &proxy{t: t, target: target, fault: f, objects: o, upstream: &http.Transport{}, seen: map[string]int{}}
	srv := httptest.NewServer(p)
	t.Cleanup(func() {
		srv.Close()
		p.bg.Wait()
		p.upstream.CloseIdleConnections()
	})
	return srv
}

// upstreamAnswer is a response read in full.
type upstreamAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	key := r.Header.Get(contract.HeaderKey)
	p.mu.Lock()
	p.seen[key]++
	first := p.seen[key] == 1
	p.mu.Unlock()
	if !first {
		p.pass(w, r, body)
		return
	}
	switch p.fault {
	case resetBeforeForward:
		hangUp(w, true)
	case resetWhileRunning:
		p.background(r, body)
		p.objects.waitStarted(key)
		hangUp(w, true)
	case dropAfterAnswer, resetAfterAnswer:
		if _, err := p.forward(r.Context(), r, body); err != nil {
			p.t.Errorf("upstream: %v", err)
		}
		hangUp(w, p.fault == resetAfterAnswer)
	case duplicate:
		p.background(r, body)
		p.objects.waitStarted(key)
		p.pass(w, r, body)
	case storeOutage:
		problemAnswer(http.StatusServiceUnavailable, contract.StoreUnavailable.Body(),
			"Retry-After", strconv.Itoa(contract.RetryAfterSeconds))(w)
	case badGateway:
		status(http.StatusBadGateway)(w)
	case tooManyRequests:
		status(http.StatusTooManyRequests, "Retry-After", time.Now().Add(time.Second).UTC().Format(http.TimeFormat))(w)
	}
}

// background forwards r in a request of its own that outlives the
// client's connection, as a request already on its way to a server does.
func (p *proxy) background(r *http.Request, body []byte) {
	p.bg.Add(1)
	go func() {
		defer p.bg.Done()
		if _, err := p.forward(context.WithoutCancel(r.Context()), r, body); err != nil {
			p.t.Errorf("upstream: %v", err)
		}
	}()
}

// pass forwards r and copies the answer back.
func (p *proxy) pass(w http.ResponseWriter, r *http.Request, body []byte) {
	a, err := p.forward(r.Context(), r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for k, vs := range a.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
}

func (p *proxy) forward(ctx context.Context, r *http.Request, body []byte) (upstreamAnswer, error) {
	out, err := http.NewRequestWithContext(ctx, r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return upstreamAnswer{}, err
	}
	out.Header = r.Header.Clone()
	resp, err := p.upstream.RoundTrip(out)
	if err != nil {
		return upstreamAnswer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return upstreamAnswer{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// hangUp ends the client's connection without an answer: with a TCP reset
// when rst, else with a plain close.
func hangUp(w http.ResponseWriter, rst bool) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok && rst {
		tc.SetLinger(0)
	}
	conn.Close()
}
