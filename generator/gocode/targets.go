package gocode

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// targetKind is what a generate option of oapi-codegen's configuration
// means for idempotency.gen.go.
type targetKind int

const (
	// notServer generates no ServerInterface (models, client, spec).
	notServer targetKind = iota
	// netHTTPServer generates a ServerInterface whose methods take
	// (http.ResponseWriter, *http.Request): IdempotentServer wraps it.
	netHTTPServer
	// strictOver turns the server target into a strict one; NewStrictHandler
	// returns that target's ServerInterface.
	strictOver
	// frameworkServer generates a ServerInterface in a framework's own
	// terms, which an IdempotentServer would embed and never guard: refused.
	frameworkServer
)

// framework says how a framework's server is protected instead, in the
// terms of that framework's own API. Each way was read in the framework's
// source and run over a replayed request (echo v4.16.5 and v5.4.6, gin
// v1.12.0, fiber v2.52.15 and v3.1.0, iris v12.2.11), the adapters named as
// wrong included: they store an empty 200, or write after the recording.
type framework struct {
	name  string // as users call it
	ctx   string // what its ServerInterface methods take
	mount string // the call that mounts a net/http handler as a route handler
	// whole puts NewIdempotencyMiddleware in front of the framework's whole
	// server, where it sees every byte the framework writes; it names the
	// tempting framework-level adapter that does not.
	whole string
}

var (
	fwEcho = framework{"echo", "echo.Context", "echo.WrapHandler(h)",
		"serve NewIdempotencyMiddleware(store)(e), the whole *echo.Echo, from net/http (not echo.WrapMiddleware: HTTPErrorHandler writes a returned error after the middleware has returned, unrecorded)"}
	fwEcho5 = framework{"echo v5", "*echo.Context", "echo.WrapHandler(h)", fwEcho.whole}
	fwGin   = framework{"gin", "*gin.Context", "gin.WrapH(h)",
		"serve NewIdempotencyMiddleware(store)(r), the whole *gin.Engine, from net/http"}
	fwFiber = framework{"fiber", "*fiber.Ctx", "adaptor.HTTPHandler(h) (not adaptor.HTTPMiddleware, which records before fiber's handler runs and stores an empty 200)",
		"serve NewIdempotencyMiddleware(store)(adaptor.FiberApp(app)) from net/http"}
	fwFiber3 = framework{"fiber v3", "fiber.Ctx", fwFiber.mount, fwFiber.whole}
	fwIris   = framework{"iris", "iris.Context", "iris.FromStd(h)",
		"wrap iris's router: app.WrapRouter(func(w, r, router) { NewIdempotencyMiddleware(store)(router).ServeHTTP(w, r) }) (not iris.FromStd with a next, whose handler writes past the recording: an empty 200 is stored)"}
)

// target is one generate option.
type target struct {
	kind targetKind
	fw   *framework // for a frameworkServer
}

// targets classifies every generate option of oapi-codegen's configuration
// by its YAML key. TestTargetsCoverGenerateOptions fails when an
// oapi-codegen upgrade adds one; until it is classified, Resolve refuses a
// configuration that sets it.
var targets = map[string]target{
	"std-http-server": {kind: netHTTPServer},
	"chi-server":      {kind: netHTTPServer},
	"gorilla-server":  {kind: netHTTPServer},
	"strict-server":   {kind: strictOver},
	"echo-server":     {frameworkServer, &fwEcho},
	"echo5-server":    {frameworkServer, &fwEcho5},
	"gin-server":      {frameworkServer, &fwGin},
	"fiber-server":    {frameworkServer, &fwFiber},
	"fiber-v3-server": {frameworkServer, &fwFiber3},
	"iris-server":     {frameworkServer, &fwIris},
	"models":          {kind: notServer},
	"client":          {kind: notServer},
	"embedded-spec":   {kind: notServer},
	"server-urls":     {kind: notServer},
}

// generateKeys are the YAML keys of codegen.GenerateOptions, in order.
func generateKeys() []string {
	t := reflect.TypeFor[codegen.GenerateOptions]()
	keys := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		if name := yamlKey(t.Field(i)); name != "" {
			keys = append(keys, name)
		}
	}
	return keys
}

// enabledTargets lists the generate options g turns on, by YAML key, in
// the order oapi-codegen declares them.
func enabledTargets(g codegen.GenerateOptions) []string {
	v := reflect.ValueOf(g)
	var on []string
	for i := range v.NumField() {
		if name, f := yamlKey(v.Type().Field(i)), v.Field(i); name != "" && f.Kind() == reflect.Bool && f.Bool() {
			on = append(on, name)
		}
	}
	return on
}

// yamlKey is a struct field's YAML key; "" for a field YAML skips.
func yamlKey(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// serverOf checks cfg's generate section and reports whether oapi-codegen
// generates a ServerInterface that IdempotentServer can wrap. A server
// idemgen cannot protect is an error that says what to use instead; a
// strict-server with no server under it is a warning (oapi-codegen then
// generates no ServerInterface at all).
//
// Without a configuration file idemgen keeps its default: a std-http, chi
// or gorilla server, which the README's go:generate lines produce (bare
// oapi-codegen without -config would generate an echo server; idemgen's
// wrappers then fail to compile against it rather than guard nothing).
func serverOf(cfg Config) (server bool, warnings []string, err error) {
	if cfg.Path == "" && enabledTargets(cfg.Generate) == nil {
		return true, nil, nil
	}
	var servers []string
	strict := false
	for _, key := range enabledTargets(cfg.Generate) {
		t, known := targets[key]
		switch {
		case !known:
			return false, nil, fmt.Errorf("%s: generate.%s: idemgen does not know what this oapi-codegen target generates, so it cannot tell whether its wrappers would guard anything; generate std-http-server, chi-server or gorilla-server instead",
				cfg.at("generate."+key), key)
		case t.kind == frameworkServer:
			return false, nil, frameworkError(cfg, key, t.fw, cfg.Generate.Strict)
		case t.kind == netHTTPServer:
			servers = append(servers, key)
		case t.kind == strictOver:
			strict = true
		}
	}
	switch {
	case len(servers) > 1:
		// In the file's order, to stand at the one too many.
		slices.SortStableFunc(servers, func(a, b string) int { return cfg.keys["generate."+a].compare(cfg.keys["generate."+b]) })
		last := servers[len(servers)-1]
		return false, nil, fmt.Errorf("%s: generate.%s: oapi-codegen generates one server at a time, and this config asks for %s too; oapi-codegen refuses it",
			cfg.at("generate."+last), last, strings.Join(servers[:len(servers)-1], ", "))
	case len(servers) == 0 && strict:
		warnings = append(warnings, fmt.Sprintf("%s: generate.strict-server with no server target: oapi-codegen generates no ServerInterface, so idempotency.gen.go has the route table only; add std-http-server, chi-server or gorilla-server for IdempotentServer",
			cfg.at("generate.strict-server")))
	}
	return len(servers) == 1, warnings, nil
}

// frameworkError refuses a framework's server target, with the two ways
// that do protect it.
func frameworkError(cfg Config, key string, fw *framework, strict bool) error {
	what := key
	if strict {
		what += " with strict-server"
	}
	return fmt.Errorf("%s: generate.%s: idemgen cannot protect oapi-codegen's %s: its ServerInterface methods take %s, not (http.ResponseWriter, *http.Request), so an IdempotentServer would compile and guard nothing. "+
		"Either generate std-http-server (or chi-server, gorilla-server) for the idempotent operations into a package of their own, run idemgen with that config, and mount h := HandlerFromMux(NewIdempotentServer(impl, store), mux) in %s with %s; "+
		"or run idemgen with a copy of this config that generates models only (the file is then the route table alone) and %s",
		cfg.at("generate."+key), key, what, fw.ctx, fw.name, fw.mount, fw.whole)
}
