package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/idemgen/idemgen/generator"
	"github.com/idemgen/idemgen/generator/lint"
)

const usage = `usage: idemgen [flags] spec

idemgen reads an OpenAPI document (3.0, 3.1 or Swagger 2.0) whose operations
are marked x-idempotent and writes, beside it unless told otherwise:

  idempotency.gen.go          wrappers for oapi-codegen's ServerInterface and a route table
  <spec>.idempotent.<ext>     the document with the idempotency contract added
  IDEMPOTENCY.md              the same contract for people

Give "-" as a path to skip that output. Nothing is written when anything fails,
and files whose content is already right are left untouched.

Example, next to oapi-codegen in the package that holds its output:

  //go:generate go tool oapi-codegen -config oapi-codegen.yaml openapi.yaml
  //go:generate go tool idemgen -oapi-config oapi-codegen.yaml openapi.yaml

  idemgen -check -oapi-config oapi-codegen.yaml openapi.yaml   # in CI: fail on drift
  idemgen -lint openapi.yaml                                   # review the spec, write nothing

Exit status: 0 on success; 1 when generation fails or, with -check, when an
output is out of date; 2 for a usage error or, with -check, any other error.
With -lint: 0 for no finding, 1 for findings, 2 when the spec or a flag is wrong.

Flags:
`

// Exit statuses. With -check, 1 means only that an output is out of
// date, so that CI can tell drift from a spec or a flag that is wrong.
const (
	exitFailed = 1 // generation failed; with -check, drift
	exitError  = 2 // a usage error; with -check, anything but drift
)

// run is the whole command; it returns the exit status. Every error it
// prints starts with "idemgen:", so that go generate's output, which mixes
// several tools, says whose it is.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("idemgen", flag.ContinueOnError)
	// The flag package prints its own errors unprefixed: parse prints them.
	fl.SetOutput(io.Discard)
	fl.Usage = func() {}
	printUsage := func() {
		fl.SetOutput(stderr)
		fmt.Fprint(stderr, usage)
		fl.PrintDefaults()
	}
	var (
		opts    generator.Options
		mark    string
		version bool
		lf      lintFlags
	)
	fl.StringVar(&opts.Package, "package", os.Getenv("GOPACKAGE"), "Go package of the generated file (default: $GOPACKAGE under go generate, else the -oapi-config file's package, else \""+generator.DefaultPackage+"\")")
	fl.StringVar(&opts.GoOut, "o", "", "Go output file (default "+generator.DefaultGoOut+" beside the spec)")
	fl.StringVar(&opts.SpecOut, "spec-out", "", "augmented spec output (default <spec>.idempotent.<ext> beside the spec)")
	fl.StringVar(&opts.DocsOut, "docs-out", "", "Markdown output (default "+generator.DefaultDocsOut+" beside the spec)")
	fl.StringVar(&opts.OverlayIn, "overlay", "", "OpenAPI Overlay to apply to the spec first, e.g. one adding x-idempotent")
	fl.StringVar(&opts.OverlayOut, "overlay-out", "", "also write an OpenAPI Overlay that adds the contract (default: none)")
	fl.StringVar(&opts.OapiConfig, "oapi-config", "", "oapi-codegen configuration file whose names and filters to mirror")
	fl.StringVar(&opts.ServerSpec, "server-spec", generator.ServerSpecInput, "the spec oapi-codegen's server is generated from: input or augmented")
	fl.BoolVar(&opts.Check, "check", false, "write nothing; exit 1 with a diff if any output differs from its file, 2 if idemgen cannot tell (a bad spec or flag)")
	fl.StringVar(&mark, "mark", "", "comma-separated methods to treat as x-idempotent: true where unmarked, e.g. POST,PATCH")
	fl.BoolVar(&opts.AllowRemoteRefs, "allow-remote-refs", false, "follow $refs to http and https URLs")
	fl.Var((*dirList)(&opts.AllowRefDirs), "allow-ref-dir", "let local $refs read files under `dir`, besides the spec's folder; repeatable, / allows any")
	fl.BoolVar(&lf.on, "lint", false, "write nothing; print what a reviewer would question in the spec as file:line:col: rule: message, and exit 1 if anything is found")
	fl.StringVar(&lf.disable, "lint-disable", "", "comma-separated -lint rules not to run: "+lintRuleNames())
	fl.StringVar(&lf.methods, "lint-methods", strings.Join(lint.DefaultMethods, ","), "comma-separated methods whose operations -lint reports when they are not marked x-idempotent")
	fl.StringVar(&lf.format, "lint-format", "text", "-lint's output: text or sarif (SARIF 2.1.0, for code scanning)")
	fl.BoolVar(&version, "version", false, "print the version and exit")

	spec, err := parse(fl, args)
	if errors.Is(err, flag.ErrHelp) {
		printUsage()
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "idemgen:", err)
		printUsage()
		return exitError
	}
	if version {
		fmt.Fprintln(stdout, "idemgen", moduleVersion())
		return 0
	}
	if len(spec) != 1 {
		fmt.Fprintf(stderr, "idemgen: want exactly one spec, got %d\n", len(spec))
		printUsage()
		return exitError
	}
	opts.Spec = spec[0]
	for _, m := range strings.Split(mark, ",") {
		if m = strings.TrimSpace(m); m != "" {
			opts.MarkMethods = append(opts.MarkMethods, m)
		}
	}
	if lf.on {
		return runLint(ctx, opts, lf, stdout, stderr)
	}
	opts.Stderr = stderr
	err = generator.Run(ctx, opts)
	if err == nil {
		return 0
	}
	report(stderr, err)
	var drift *generator.CheckError
	if opts.Check && !errors.As(err, &drift) {
		return exitError
	}
	return exitFailed
}

// report prints err with each line prefixed "idemgen: ", but for the diffs
// of a -check, which stay as diff prints them after their heading.
func report(w io.Writer, err error) {
	msg := err.Error()
	var drift *generator.CheckError
	if errors.As(err, &drift) {
		head, diffs, _ := strings.Cut(msg, "\n")
		fmt.Fprintf(w, "idemgen: %s\n%s", head, diffs)
		if !strings.HasSuffix(diffs, "\n") {
			fmt.Fprintln(w)
		}
		return
	}
	for line := range strings.SplitSeq(strings.TrimRight(msg, "\n"), "\n") {
		fmt.Fprintln(w, "idemgen:", line)
	}
}

// dirList is a flag given once per folder.
type dirList []string

func (l *dirList) String() string { return strings.Join(*l, ",") }

func (l *dirList) Set(dir string) error {
	if dir == "" {
		return errors.New("empty folder")
	}
	*l = append(*l, dir)
	return nil
}

// parse accepts flags before and after the spec, as in
// `idemgen openapi.yaml -o api.gen.go`, which flag.Parse alone stops at.
func parse(fl *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fl.Parse(args); err != nil {
			return nil, err
		}
		rest := fl.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			// After --, everything is positional.
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// moduleVersion is the version go install or go run @version built, or
// "(devel)" for a build from a checkout.
func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
