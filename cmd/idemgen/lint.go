package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/idemgen/idemgen/generator"
	"github.com/idemgen/idemgen/generator/lint"
	"github.com/idemgen/idemgen/generator/load"
)

// lintFlags are -lint's own flags.
type lintFlags struct {
	on      bool
	disable string
	methods string
	format  string
}

// runLint is idemgen -lint: it writes nothing, prints each finding on
// stdout and exits 1 when there is one, 0 when there is none and 2 when it
// cannot tell (a spec that does not load, a bad flag). A spec whose only
// load errors are near misses of the marker gets those as findings of
// near-miss-marker, since they are what a linter is for; the other rules
// run once it loads.
func runLint(ctx context.Context, opts generator.Options, lf lintFlags, stdout, stderr io.Writer) int {
	lo := lint.Options{Disable: splitList(lf.disable), Methods: splitList(lf.methods)}
	fail := func(err error) int {
		report(stderr, err)
		return exitError
	}
	if lf.format != "text" && lf.format != "sarif" {
		return fail(fmt.Errorf("-lint-format %q: the formats are text and sarif", lf.format))
	}
	if opts.Check {
		return fail(errors.New("-lint and -check cannot be combined: -lint writes nothing and checks no output"))
	}
	if err := lint.CheckOptions(lo); err != nil {
		return fail(err)
	}
	lopts := load.Options{MarkMethods: opts.MarkMethods, AllowRemoteRefs: opts.AllowRemoteRefs, AllowRefDirs: opts.AllowRefDirs}
	if opts.OverlayIn != "" {
		data, err := load.ReadFile(opts.OverlayIn)
		if err != nil {
			return fail(fmt.Errorf("overlay: %w", err))
		}
		lopts.Overlay, lopts.OverlayName = data, opts.OverlayIn
	}
	var findings []lint.Finding
	res, err := load.Load(ctx, opts.Spec, lopts)
	if err != nil {
		near, ok := lint.FromLoadError(err)
		if !ok || slices.Contains(lo.Disable, lint.RuleNearMissMarker) {
			return fail(err)
		}
		findings = near
	} else {
		for _, w := range res.Warnings {
			fmt.Fprintln(stderr, "idemgen: warning:", w)
		}
		if findings, err = lint.Lint(ctx, res, lo); err != nil {
			return fail(err)
		}
	}
	if lf.format == "sarif" {
		if err := lint.WriteSARIF(stdout, findings, ".", moduleVersion()); err != nil {
			return fail(err)
		}
	} else {
		for _, f := range findings {
			fmt.Fprintln(stdout, f)
		}
	}
	if len(findings) > 0 {
		return exitFailed
	}
	return 0
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func lintRuleNames() string {
	names := make([]string, len(lint.Rules))
	for i, r := range lint.Rules {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}
