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
	// server generates a ServerInterface that IdempotentServer wraps, in
	// the target's shape: net/http's (http.ResponseWriter, *http.Request)
	// or a framework's context, through that framework's runtime adapter.
	server
	// strictOver turns the server target into a strict one; NewStrictHandler
	// returns that target's ServerInterface, which IdempotentServer wraps.
	strictOver
)

// target is one generate option.
type target struct {
	kind  targetKind
	shape *shape // for a server
}

// targets classifies every generate option of oapi-codegen's configuration
// by its YAML key. TestTargetsCoverGenerateOptions fails when an
// oapi-codegen upgrade adds one; until it is classified, Resolve refuses a
// configuration that sets it.
var targets = map[string]target{
	"std-http-server": {kind: server, shape: &netHTTPShape},
	"chi-server":      {kind: server, shape: &netHTTPShape},
	"gorilla-server":  {kind: server, shape: &netHTTPShape},
	"echo-server":     {kind: server, shape: &echoShape},
	"gin-server":      {kind: server, shape: &ginShape},
	"fiber-server":    {kind: server, shape: &fiberShape},
	"iris-server":     {kind: server, shape: &irisShape},
	"echo5-server":    {kind: server, shape: &echo5Shape},
	"fiber-v3-server": {kind: server, shape: &fiber3Shape},
	"strict-server":   {kind: strictOver},
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

// serverOf checks cfg's generate section and returns the shape of the
// ServerInterface oapi-codegen generates, nil for none. A target idemgen
// does not know, or two servers, is an error that says what to use instead; a
// strict-server with no server under it is a warning (oapi-codegen then
// generates no ServerInterface at all).
//
// Without a configuration file idemgen keeps its default: a std-http, chi
// or gorilla server, which the README's go:generate lines produce (bare
// oapi-codegen without -config would generate an echo server; idemgen's
// wrappers then fail to compile against it rather than guard nothing).
func serverOf(cfg Config) (_ *shape, warnings []string, err error) {
	if cfg.Path == "" && enabledTargets(cfg.Generate) == nil {
		return &netHTTPShape, nil, nil
	}
	var servers []string
	var sh *shape
	strict := false
	for _, key := range enabledTargets(cfg.Generate) {
		t, known := targets[key]
		switch {
		case !known:
			return nil, nil, fmt.Errorf("%s: generate.%s: idemgen does not know what this oapi-codegen target generates, so it cannot tell whether its wrappers would guard anything; generate std-http-server, chi-server, gorilla-server, echo-server, echo5-server, gin-server, fiber-server, fiber-v3-server or iris-server instead",
				cfg.at("generate."+key), key)
		case t.kind == server:
			servers = append(servers, key)
			sh = t.shape
		case t.kind == strictOver:
			strict = true
		}
	}
	switch {
	case len(servers) > 1:
		// In the file's order, to stand at the one too many.
		slices.SortStableFunc(servers, func(a, b string) int { return cfg.keys["generate."+a].compare(cfg.keys["generate."+b]) })
		last := servers[len(servers)-1]
		return nil, nil, fmt.Errorf("%s: generate.%s: oapi-codegen generates one server at a time, and this config asks for %s too; oapi-codegen refuses it",
			cfg.at("generate."+last), last, strings.Join(servers[:len(servers)-1], ", "))
	case len(servers) == 0 && strict:
		warnings = append(warnings, fmt.Sprintf("%s: generate.strict-server with no server target: oapi-codegen generates no ServerInterface, so idempotency.gen.go has the route table only; add a server target (std-http-server, chi-server, echo-server, …) for IdempotentServer",
			cfg.at("generate.strict-server")))
	}
	return sh, warnings, nil
}
