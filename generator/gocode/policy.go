package gocode

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/idemgen/idemgen/generator/model"
)

// routeOptions are the idempotency.Option expressions of one operation's
// policy. The method and route scope come from the route itself
// (idempotency.NewRouteMiddleware adds them, for NewRouter and the
// generated NewIdempotentServer alike). The TTL is always given:
// it is part of the published contract, so a store's own default must not
// override it. The rest appear only when they differ from the defaults.
func routeOptions(op model.Operation) []string {
	var opts []string
	p := op.Policy
	if p.Required {
		opts = append(opts, "idempotency.WithKeyRequired(true)")
	}
	if p.TTL > 0 {
		opts = append(opts, fmt.Sprintf("idempotency.WithTTL(%s)", goDuration(p.TTL)))
	}
	if len(p.ScopeHeaders) > 0 {
		opts = append(opts, fmt.Sprintf("idempotency.WithScopeHeaders(%s)", quoteAll(p.ScopeHeaders)))
	}
	if p.StoreServerErrors {
		opts = append(opts, "idempotency.WithStoreServerErrors(true)")
	}
	if p.MaxRequestBytes > 0 {
		opts = append(opts, fmt.Sprintf("idempotency.WithMaxRequestBody(%d)", p.MaxRequestBytes))
	}
	if p.MaxResponseBytes > 0 {
		opts = append(opts, fmt.Sprintf("idempotency.WithMaxResponseBody(%d)", p.MaxResponseBytes))
	}
	if p.Wait > 0 {
		opts = append(opts, fmt.Sprintf("idempotency.WithWait(%s)", goDuration(p.Wait)))
	}
	if p.Transaction {
		opts = append(opts, "idempotency.WithTransaction(true)")
	}
	if p.EchoKey {
		opts = append(opts, "idempotency.WithEchoKey(true)")
	}
	if p.StripeReplayed {
		opts = append(opts, "idempotency.WithStripeReplayed(true)")
	}
	fp := p.Fingerprint
	if fp.CanonicalJSON {
		opts = append(opts, "idempotency.WithCanonicalJSON(true)")
	}
	if len(fp.Ignore) > 0 {
		opts = append(opts, fmt.Sprintf("idempotency.WithFingerprintIgnore(%s)", quoteAll(fp.Ignore)))
	}
	if len(fp.Only) > 0 {
		opts = append(opts, fmt.Sprintf("idempotency.WithFingerprintOnly(%s)", quoteAll(fp.Only)))
	}
	if len(fp.Headers) > 0 {
		opts = append(opts, fmt.Sprintf("idempotency.WithFingerprintHeaders(%s)", quoteAll(fp.Headers)))
	}
	if p.Key.InBody {
		opts = append(opts, fmt.Sprintf("idempotency.WithKeyFromBody(%s)", strconv.Quote(p.Key.Pointer)))
	}
	return opts
}

// newClientRoute is op as IdempotentClientRoutes lists it: what the
// client needs of its policy, the key requirement and the TTL that bounds
// its retries.
func newClientRoute(op model.Operation) clientRoute {
	var fields []string
	if op.Policy.Required {
		fields = append(fields, "Required: true")
	}
	if op.Policy.TTL > 0 {
		fields = append(fields, "TTL: "+goDuration(op.Policy.TTL))
	}
	r := clientRoute{Method: op.Method, Path: op.Path, Policy: strings.Join(fields, ", ")}
	r.Comment = strings.Join(strings.Fields(cmp.Or(op.OperationID, op.GoName, op.Route())), " ")
	return r
}

// quoteAll is strs as Go string literals, comma-separated.
func quoteAll(strs []string) string {
	q := make([]string, len(strs))
	for i, s := range strs {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// fingerprintSummary names a fingerprint rule in a few words.
func fingerprintSummary(fp model.Fingerprint) string {
	var parts []string
	switch {
	case len(fp.Only) > 0:
		parts = append(parts, "of "+strings.Join(fp.Only, ", ")+" only")
	case len(fp.Ignore) > 0:
		parts = append(parts, "ignoring "+strings.Join(fp.Ignore, ", "))
	case fp.CanonicalJSON:
		parts = append(parts, "of canonical JSON")
	}
	if len(fp.Headers) > 0 {
		parts = append(parts, "with "+strings.Join(fp.Headers, ", "))
	}
	return strings.Join(parts, " ")
}

// policySummary describes a policy in a few words, for doc comments.
func policySummary(p model.Policy) string {
	parts := []string{"key optional"}
	if p.Required {
		parts[0] = "key required"
	}
	if p.TTL > 0 {
		parts = append(parts, "TTL "+model.FormatDuration(p.TTL))
	}
	if len(p.ScopeHeaders) > 0 {
		parts = append(parts, "scoped by "+strings.Join(p.ScopeHeaders, ", "))
	}
	if p.StoreServerErrors {
		parts = append(parts, "5xx stored")
	}
	if p.MaxRequestBytes > 0 {
		parts = append(parts, fmt.Sprintf("request body at most %d bytes", p.MaxRequestBytes))
	}
	if p.MaxResponseBytes > 0 {
		parts = append(parts, fmt.Sprintf("stored body at most %d bytes", p.MaxResponseBytes))
	}
	if p.Wait > 0 {
		parts = append(parts, "retries wait up to "+model.FormatDuration(p.Wait))
	}
	if p.Transaction {
		parts = append(parts, "completed in the handler's transaction")
	}
	if p.EchoKey {
		parts = append(parts, "key echoed")
	}
	if p.StripeReplayed {
		parts = append(parts, "Idempotent-Replayed sent")
	}
	if p.Key.InBody {
		parts = append(parts, "key in the body at "+p.Key.Pointer)
	}
	if fp := p.Fingerprint; !fp.IsZero() {
		parts = append(parts, "fingerprint "+fingerprintSummary(fp))
	}
	return strings.Join(parts, ", ")
}

var durationUnits = []struct {
	d    time.Duration
	name string
}{
	{time.Hour, "time.Hour"},
	{time.Minute, "time.Minute"},
	{time.Second, "time.Second"},
	{time.Millisecond, "time.Millisecond"},
	{time.Microsecond, "time.Microsecond"},
}

// goDuration writes d as a constant expression such as 48 * time.Hour.
func goDuration(d time.Duration) string {
	for _, u := range durationUnits {
		if d%u.d == 0 {
			return fmt.Sprintf("%d * %s", d/u.d, u.name)
		}
	}
	return fmt.Sprintf("time.Duration(%d)", int64(d))
}
