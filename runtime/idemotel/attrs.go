package idemotel

import (
	"maps"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// Attribute keys. They are namespaced, as the semantic conventions ask,
// and the same on metrics and spans so that one can be matched to the
// other.
const (
	keyOperation   = attribute.Key("idempotency.operation")
	keyOutcome     = attribute.Key("idempotency.outcome")
	keyStatusClass = attribute.Key("idempotency.status_class")
	keyReplayed    = attribute.Key("idempotency.replayed")
	keyTakenOver   = attribute.Key("idempotency.taken_over")
	keyKey         = attribute.Key("idempotency.key")
	keyStatusCode  = attribute.Key("http.response.status_code")
	keyStoreCall   = attribute.Key("idempotency.store.call")
	keyErrorType   = attribute.Key("error.type")
)

// otherValue names whatever a bound leaves out, as the semantic
// conventions do for http.request.method and error.type.
const otherValue = "_OTHER"

// measure is one attribute set, made once and kept as the option slices
// the instruments take, so that recording a measurement builds nothing.
type measure struct {
	add []metric.AddOption
	rec []metric.RecordOption
}

func newMeasure(kvs ...attribute.KeyValue) *measure {
	o := metric.WithAttributeSet(attribute.NewSet(kvs...))
	return &measure{add: []metric.AddOption{o}, rec: []metric.RecordOption{o}}
}

// operation holds the attribute sets of one operation name: its own, and
// one per outcome and status class, made the first time they are used.
type operation struct {
	name  string
	alone *measure
	cells [maxOutcomes * numClasses]atomic.Pointer[measure]
}

func newOperation(name string) *operation {
	return &operation{name: name, alone: newMeasure(keyOperation.String(name))}
}

func (op *operation) outcome(o idempotency.Outcome, status int) *measure {
	slot, class := outcomeSlot(o), statusClass(status)
	cell := &op.cells[slot*numClasses+class]
	if m := cell.Load(); m != nil {
		return m
	}
	kvs := []attribute.KeyValue{keyOperation.String(op.name), keyOutcome.String(idempotency.Outcome(slot).String())}
	if class != classNone {
		kvs = append(kvs, keyStatusClass.String(classNames[class]))
	}
	m := newMeasure(kvs...)
	if !cell.CompareAndSwap(nil, m) {
		return cell.Load() // equal; another goroutine was first
	}
	return m
}

// operations maps operation names to their attribute sets, keeping at
// most max names. Reads take no lock: the map is replaced, never changed,
// and only a name not seen before (at most max of them) takes mu.
type operations struct {
	max    int
	other  *operation
	mu     sync.Mutex
	byName atomic.Pointer[map[string]*operation]
}

func newOperations(max int) *operations {
	t := &operations{max: max, other: newOperation(otherValue)}
	t.byName.Store(&map[string]*operation{})
	return t
}

func (t *operations) lookup(name string) *operation {
	m := *t.byName.Load()
	if op, ok := m[name]; ok {
		return op
	}
	if len(m) >= t.max {
		return t.other
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	m = *t.byName.Load()
	if op, ok := m[name]; ok {
		return op
	}
	if len(m) >= t.max {
		return t.other
	}
	next := maps.Clone(m)
	op := newOperation(name)
	next[name] = op
	t.byName.Store(&next)
	return op
}
