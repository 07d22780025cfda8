package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemgen/idemgen/internal/contract"
)

// fault is what the proxy does to the first request of a key; later
// requests of the key pass through.
type fault int

const (
	// dropAnswer forwards the request and reads the server's answer in
	// full, then closes the client's connection without it.
	dropAnswer fault = iota
	// resetReused does the same with a TCP reset, on a connection that
	// already carried a request (the first key arrives on a fresh one and
	// passes).
	resetReused
	// duplicate forwards the request, and a copy of it while the first
	// runs; the client gets the answer to its own.
	duplicate
	// storeOutage answers every tenth key itself with the middleware's
	// 503 idempotency_store_unavailable and Retry-After: 1, as the
	// example does when its store fails; the server never sees it.
	storeOutage
	// cutWhileRunning forwards the request in the background and resets
	// the client's connection once the server has it (a slow first
	// request, a fast retry).
	cutWhileRunning
)

// Timings of duplicate and cutWhileRunning, against the server's -delay.
const (
	duplicateAfter = 50 * time.Millisecond  // the copy is sent this long after the original
	cutAfter       = 250 * time.Millisecond // the client is cut off this long after the forward
)

// arrival is one request of the client's, as the proxy saw it.
type arrival struct {
	at         time.Time
	injected   bool      // the fault hit it
	status     int       // what the client got; 0 when cut off
	replayed   bool      // with Idempotency-Replayed: true
	answeredAt time.Time // when the proxy answered it
}

func (a arrival) String() string {
	s := "cut"
	if a.status != 0 {
		s = strconv.Itoa(a.status)
	}
	if a.replayed {
		s += " replayed"
	}
	if a.injected {
		s = "fault: " + s
	}
	return s
}

// exchange is one request the proxy sent the server, and the answer.
type exchange struct {
	copy       bool // the proxy's own duplicate, not the client's request
	background bool // sent in a request of the proxy's own, which outlived the client's
	status     int
	replayed   bool
	id         string // the payment's, on a 201
}

// faultProxy sits between payclient and the example server and injects
// its fault. It records everything that passes, which is how the tests
// see every answer the server gave, even those the client never got.
type faultProxy struct {
	t        *testing.T
	target   string
	fault    fault
	upstream *http.Transport
	url      string

	mu        sync.Mutex
	keys      []string // in the order of their first request
	arrivals  map[string][]*arrival
	exchanges map[string][]exchange
	bg        sync.WaitGroup // requests still running upstream after the client was answered or cut off
}

// connRequests counts the requests of one client connection.
type connRequests struct{}

func newFaultProxy(t *testing.T, target string, f fault) *faultProxy {
	p := &faultProxy{t: t, target: target, fault: f, upstream: &http.Transport{},
		arrivals: map[string][]*arrival{}, exchanges: map[string][]exchange{}}
	srv := httptest.NewUnstartedServer(p)
	srv.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
		return context.WithValue(ctx, connRequests{}, new(atomic.Int32))
	}
	srv.Start()
	p.url = srv.URL
	t.Cleanup(func() {
		srv.Close()
		p.settle()
		p.upstream.CloseIdleConnections()
	})
	return p
}

// settle waits for the requests still running upstream.
func (p *faultProxy) settle() { p.bg.Wait() }

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	key := r.Header.Get(contract.HeaderKey)
	if r.Method != http.MethodPost || r.URL.Path != "/payments" || key == "" {
		p.t.Errorf("the proxy got %s %s with key %q, want only keyed POST /payments", r.Method, r.URL.Path, key)
		http.Error(w, "unexpected request", http.StatusBadRequest)
		return
	}
	reused := r.Context().Value(connRequests{}).(*atomic.Int32).Add(1) > 1
	p.mu.Lock()
	first := len(p.arrivals[key]) == 0
	if first {
		p.keys = append(p.keys, key)
	}
	a := &arrival{at: time.Now(), injected: first && p.hits(len(p.keys)-1, reused)}
	p.arrivals[key] = append(p.arrivals[key], a)
	p.mu.Unlock()

	switch {
	case !a.injected:
	case p.fault == dropAnswer, p.fault == resetReused:
		p.forward(r.Context(), r, body, exchange{})
		p.hangUp(w, a, p.fault == resetReused)
		return
	case p.fault == duplicate:
		p.background(r, body, duplicateAfter, true)
	case p.fault == storeOutage:
		w.Header().Set("Content-Type", contract.ProblemContentType)
		w.Header().Set("Retry-After", strconv.Itoa(contract.RetryAfterSeconds))
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, contract.StoreUnavailable.Body())
		p.answered(a, http.StatusServiceUnavailable, false)
		return
	case p.fault == cutWhileRunning:
		p.background(r, body, 0, false)
		time.Sleep(cutAfter)
		p.hangUp(w, a, true)
		return
	}
	p.pass(w, r, body, a)
}

// hits reports whether the fault hits the first request of the key that
// came order-th (from 0), on a connection that had carried a request
// before when reused.
func (p *faultProxy) hits(order int, reused bool) bool {
	switch p.fault {
	case resetReused:
		return reused
	case storeOutage:
		return order%10 == 0
	}
	return true
}

// pass forwards r and copies the answer back.
func (p *faultProxy) pass(w http.ResponseWriter, r *http.Request, body []byte, a *arrival) {
	resp, ok := p.forward(r.Context(), r, body, exchange{})
	if !ok {
		http.Error(w, "upstream failed", http.StatusBadGateway)
		p.answered(a, http.StatusBadGateway, false)
		return
	}
	for k, vs := range resp.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.status)
	w.Write(resp.body)
	p.answered(a, resp.status, resp.header.Get(contract.HeaderReplayed) == "true")
}

func (p *faultProxy) answered(a *arrival, status int, replayed bool) {
	p.mu.Lock()
	a.status, a.replayed, a.answeredAt = status, replayed, time.Now()
	p.mu.Unlock()
}

// background forwards r in a request of its own after wait, one that
// outlives the client's, as a request already on its way to a server
// does; copy marks the proxy's own duplicate.
func (p *faultProxy) background(r *http.Request, body []byte, wait time.Duration, copy bool) {
	ctx := context.WithoutCancel(r.Context())
	p.bg.Go(func() {
		time.Sleep(wait)
		p.forward(ctx, r, body, exchange{copy: copy, background: true})
	})
}

// answer is a response read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// forward sends r to the server and records the exchange, marked as ex
// is.
func (p *faultProxy) forward(ctx context.Context, r *http.Request, body []byte, ex exchange) (answer, bool) {
	out, err := http.NewRequestWithContext(ctx, r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		p.t.Errorf("upstream: %v", err)
		return answer{}, false
	}
	out.Header = r.Header.Clone()
	resp, err := p.upstream.RoundTrip(out)
	if err != nil {
		p.t.Errorf("upstream: %v", err)
		return answer{}, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Errorf("upstream: reading the answer: %v", err)
		return answer{}, false
	}
	ex.status, ex.replayed = resp.StatusCode, resp.Header.Get(contract.HeaderReplayed) == "true"
	if ex.status == http.StatusCreated {
		var pay struct{ Id string }
		if err := json.Unmarshal(b, &pay); err != nil {
			p.t.Errorf("upstream: 201 with %q: %v", b, err)
		}
		ex.id = pay.Id
	}
	p.mu.Lock()
	key := r.Header.Get(contract.HeaderKey)
	p.exchanges[key] = append(p.exchanges[key], ex)
	p.mu.Unlock()
	return answer{resp.StatusCode, resp.Header, b}, true
}

// hangUp ends the client's connection without an answer: with a TCP reset
// when rst, else with a plain close.
func (p *faultProxy) hangUp(w http.ResponseWriter, a *arrival, rst bool) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		p.t.Errorf("hijack: %v", err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok && rst {
		tc.SetLinger(0)
	}
	conn.Close()
	p.answered(a, 0, false)
}

// record is what the proxy saw, once the requests still upstream ended.
type record struct {
	keys      []string
	arrivals  map[string][]arrival
	exchanges map[string][]exchange
}

func (p *faultProxy) record() record {
	p.settle()
	p.mu.Lock()
	defer p.mu.Unlock()
	r := record{keys: append([]string(nil), p.keys...), arrivals: map[string][]arrival{}, exchanges: map[string][]exchange{}}
	for k, as := range p.arrivals {
		for _, a := range as {
			r.arrivals[k] = append(r.arrivals[k], *a)
		}
	}
	for k, ex := range p.exchanges {
		r.exchanges[k] = append([]exchange(nil), ex...)
	}
	return r
}

// made are the payments the server made for key: the 201 answers that
// were not replays, whether or not the client got them.
func (r record) made(key string) []string {
	var ids []string
	for _, ex := range r.exchanges[key] {
		if ex.status == http.StatusCreated && !ex.replayed {
			ids = append(ids, ex.id)
		}
	}
	return ids
}
