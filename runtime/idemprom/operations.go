package idemprom

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// cell holds one child of a metric vector once the first event needs it.
// Series appear when first counted, not as zeros for every combination,
// and the request path reads a resolved child with one atomic load: a
// vector's WithLabelValues would allocate its label slice on every event.
type cell[T any] struct{ p atomic.Pointer[T] }

func (c *cell[T]) load() (T, bool) {
	if p := c.p.Load(); p != nil {
		return *p, true
	}
	var zero T
	return zero, false
}

func (c *cell[T]) store(v T) T {
	c.p.Store(&v)
	return v
}

// opSeries is the resolved children of one operation label value.
type opSeries struct {
	name        string
	requests    [numOutcomes][numClasses]cell[prometheus.Counter]
	duration    [numOutcomes]cell[prometheus.Observer]
	renewals    [numRenewResults]cell[prometheus.Counter]
	leasesLost  cell[prometheus.Counter]
	takeovers   cell[prometheus.Counter]
	storeErrors cell[prometheus.Counter]
	storeFull   cell[prometheus.Counter]
}

// operations maps operation names to their series. Reads load an
// immutable map without a lock; a new name copies it under mu. Names come
// from the route table, so copies are few; past max every new name is
// counted under OtherOperation, which keeps the series bounded even when
// the name is a request path.
type operations struct {
	m     atomic.Pointer[map[string]*opSeries]
	mu    sync.Mutex
	max   int
	other opSeries
}

func newOperations(max int) *operations {
	ops := &operations{max: max, other: opSeries{name: OtherOperation}}
	empty := map[string]*opSeries{}
	ops.m.Store(&empty)
	return ops
}

func (ops *operations) get(name string) *opSeries {
	m := *ops.m.Load()
	if s, ok := m[name]; ok {
		return s
	}
	if len(m) >= ops.max {
		return &ops.other
	}
	return ops.add(name)
}

func (ops *operations) add(name string) *opSeries {
	ops.mu.Lock()
	defer ops.mu.Unlock()
	old := *ops.m.Load()
	if s, ok := old[name]; ok {
		return s
	}
	if len(old) >= ops.max {
		return &ops.other
	}
	// A path-derived name may hold bytes that are not UTF-8 (a decoded
	// %ff); client_golang panics on such a label value.
	s := &opSeries{name: strings.ToValidUTF8(name, string(utf8.RuneError))}
	m := make(map[string]*opSeries, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[name] = s
	ops.m.Store(&m)
	return s
}
