package idemslog

import (
	"context"
	"log/slog"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// numOutcomes sizes the level table: one past the last outcome. The
// runtime and this package are one module; TestEveryOutcomeHasALevel
// fails when an outcome is added there without a level here.
const numOutcomes = int(idempotency.OutcomeRenewed) + 1

// Option configures [New].
type Option func(*config)

type config struct {
	levels  [numOutcomes]slog.Level
	withKey bool
}

// WithKey adds the client's key (attribute key) to each record. Off by
// default: a key is a client's secret-ish handle on a stored response,
// and logs outlive it.
func WithKey(on bool) Option {
	return func(c *config) { c.withKey = on }
}

// WithLevel sets the level of one outcome's records, for example
// WithLevel(idempotency.OutcomeConflict, slog.LevelWarn).
func WithLevel(o idempotency.Outcome, l slog.Level) Option {
	return func(c *config) {
		if int(o) > 0 && int(o) < numOutcomes {
			c.levels[o] = l
		}
	}
}

// Default levels: what needs a person at once is an error; what a person
// should look into (a client reusing keys, an owner that died, a record
// lost to a full store, a handler's 5xx that lets a retry run again) is a
// warning; each request's ordinary end is info; the steps of a running
// request are debug.
var defaultLevels = func() (l [numOutcomes]slog.Level) {
	for o := range l {
		l[o] = slog.LevelInfo
	}
	for _, o := range []idempotency.Outcome{idempotency.OutcomeStoreError, idempotency.OutcomeOwnershipLost,
		idempotency.OutcomeAbandoned, idempotency.OutcomeFailOpen} {
		l[o] = slog.LevelError
	}
	for _, o := range []idempotency.Outcome{idempotency.OutcomeMismatch, idempotency.OutcomeExpiredTakeover,
		idempotency.OutcomeEvicted, idempotency.OutcomeNotStored} {
		l[o] = slog.LevelWarn
	}
	l[idempotency.OutcomeAcquired] = slog.LevelDebug
	l[idempotency.OutcomeRenewed] = slog.LevelDebug
	return l
}()

// messages are the records' messages, one constant string per outcome so
// that a record costs no formatting.
var messages = func() (m [numOutcomes]string) {
	for o := range m {
		m[o] = "idempotency: " + idempotency.Outcome(o).String()
	}
	return m
}()

// New returns an observer that writes one record to l for each event:
// pass it to idempotency.WithObserver (and MemoryOptions.OnEvict). See the
// package documentation for the attributes and levels.
func New(l *slog.Logger, opts ...Option) func(idempotency.Event) {
	cfg := config{levels: defaultLevels}
	for _, o := range opts {
		o(&cfg)
	}
	return func(ev idempotency.Event) {
		o := ev.Outcome
		if int(o) <= 0 || int(o) >= numOutcomes {
			return
		}
		level := levelOf(&cfg, &ev)
		ctx := ev.Context
		if ctx == nil { // an eviction has no request
			ctx = context.Background()
		}
		if !l.Enabled(ctx, level) {
			return
		}
		// Six attributes at most: slog keeps five in the record itself, so
		// only WithKey's sixth spills onto the heap.
		var attrs [6]slog.Attr
		a := attrs[:0]
		if ev.Operation != "" {
			a = append(a, slog.String("operation", ev.Operation))
		}
		a = append(a, slog.String("outcome", o.String()))
		if ev.Status != 0 {
			a = append(a, slog.Int("status", ev.Status))
		}
		a = append(a, slog.Duration("elapsed", ev.Elapsed))
		if ev.Err != nil {
			a = append(a, slog.Any("error", ev.Err))
		}
		if cfg.withKey && ev.Key != "" {
			a = append(a, slog.String("key", ev.Key))
		}
		l.LogAttrs(ctx, level, messages[o], a...)
	}
}

// levelOf is the outcome's level, raised when the event carries an error
// that makes it worse than usual: a 5xx or a panic whose key could not be
// released (retries get 409 until its lease ends) is an error, and a
// response stored without its body because the store refused it is a
// warning (its replay is empty).
func levelOf(cfg *config, ev *idempotency.Event) slog.Level {
	l := cfg.levels[ev.Outcome]
	if ev.Err == nil {
		return l
	}
	switch ev.Outcome {
	case idempotency.OutcomeNotStored:
		return max(l, slog.LevelError)
	case idempotency.OutcomeCompleted:
		return max(l, slog.LevelWarn)
	}
	return l
}
