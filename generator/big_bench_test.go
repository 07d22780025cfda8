package generator

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/util"

	"github.com/idemgen/idemgen/generator/gocode"
	"github.com/idemgen/idemgen/generator/load"
	"github.com/idemgen/idemgen/internal/testcases"
)

// bigDoc is a document BenchmarkBigDocuments measures.
type bigDoc struct {
	name string
	// exclude are operationIds left out of oapi-codegen's output, for both
	// tools (idemgen mirrors oapi-codegen's configuration): what a user
	// must exclude for oapi-codegen to generate the document at all.
	exclude []string
}

// bigDocs are the corpus's largest documents. Some do not generate; they
// are measured all the same, and the log says how each tool fared.
var bigDocs = []bigDoc{
	{name: "stripe-spec3-2023-09.yaml"},
	// oapi-codegen refuses PUT /v2/vendors/{vendor_id}, whose path
	// parameter is not declared.
	{name: "square-2025-04.json", exclude: []string{"UpdateVendor"}},
	{name: "square-2025-08.json"},            // a broken $ref: neither loads it
	{name: "swagger20-square-2020-06.json"},  // idemgen: a duplicate operationId; oapi-codegen: a $ref it cannot follow
	{name: "oas31-adyen-checkout-v71.json"},  //
	{name: "paypal-checkout-orders-v2.json"}, // oapi-codegen: a type name it cannot resolve
	{name: "swagger20-slack-web.json"},       // tuple-form items: neither generates it
}

// syntheticOps is the size of the synthetic document measured beside them.
const syntheticOps = 20000

// BenchmarkBigDocuments measures, with IDEMGEN_BIG=1, idemgen with all
// three outputs (every POST marked) beside oapi-codegen generating a
// std-http server with models, on the corpus's largest documents and on a
// synthetic one of 20,000 operations (testcases.SyntheticSpec). Each run
// of each tool is a process of its own (this test binary, re-executed,
// with this benchmark's GOMAXPROCS), so that its peak RSS is its own;
// both write their outputs to disk. Per document it reports the median
// over the iterations of each tool's time (in the process, from reading
// the document to its outputs written), CPU time (user and system, the
// process's), and peak RSS, and idemgen's over oapi-codegen's: the target
// is at most 0.5 for time and 1 for RSS. It measures idemgen's load alone
// too (load.Load, kin-openapi with origins), the part of its run that no
// change to the rest can remove, as load-ratio and load-rss-ratio. The
// tools alternate, so that a busy machine slows them alike; the CPU ratio
// is the steadier one there.
//
//	IDEMGEN_BIG=1 go test -run '^$' -bench BigDocuments -benchtime 3x -cpu 1,2 -timeout 1h ./generator
func BenchmarkBigDocuments(b *testing.B) {
	if os.Getenv("IDEMGEN_BIG") == "" {
		b.Skip("set IDEMGEN_BIG=1 to measure the large documents (minutes)")
	}
	dir := testcases.CorpusDir(b)
	synth := filepath.Join(b.TempDir(), fmt.Sprintf("synthetic-%d.yaml", syntheticOps))
	if err := os.WriteFile(synth, testcases.SyntheticSpec(syntheticOps), 0o644); err != nil {
		b.Fatal(err)
	}
	docs := append(slices.Clone(bigDocs), bigDoc{name: filepath.Base(synth)})
	for _, d := range docs {
		spec := filepath.Join(dir, d.name)
		if d.name == filepath.Base(synth) {
			spec = synth
		}
		b.Run(strings.TrimSuffix(strings.TrimSuffix(d.name, ".json"), ".yaml"), func(b *testing.B) {
			cfg := writeBigConfig(b, d.exclude)
			tools := []string{"idemgen", "oapi-codegen", "load"}
			runs := make([][]childRun, len(tools))
			for b.Loop() {
				for i, tool := range tools {
					runs[i] = append(runs[i], runChild(b, tool, spec, cfg))
				}
			}
			idem, oapi, loaded := median(runs[0]), median(runs[1]), median(runs[2])
			for i, tool := range tools {
				b.Logf("%s: %s", tool, runs[i][0].outcome)
			}
			// What idemgen's run cannot go below: its load (kin-openapi
			// with origins), against all of oapi-codegen's run.
			b.ReportMetric(loaded.elapsed.Seconds()/oapi.elapsed.Seconds(), "load-ratio")
			b.ReportMetric(float64(loaded.maxRSS)/float64(oapi.maxRSS), "load-rss-ratio")
			b.ReportMetric(idem.elapsed.Seconds(), "idemgen-s")
			b.ReportMetric(oapi.elapsed.Seconds(), "oapi-s")
			b.ReportMetric(idem.elapsed.Seconds()/oapi.elapsed.Seconds(), "time-ratio")
			b.ReportMetric(idem.cpu.Seconds()/oapi.cpu.Seconds(), "cpu-ratio")
			b.ReportMetric(float64(idem.maxRSS)/(1<<20), "idemgen-MB")
			b.ReportMetric(float64(oapi.maxRSS)/(1<<20), "oapi-MB")
			b.ReportMetric(float64(idem.maxRSS)/float64(oapi.maxRSS), "rss-ratio")
		})
	}
}

// writeBigConfig writes the oapi-codegen configuration both tools read:
// a std-http server with models, without the excluded operations.
func writeBigConfig(b *testing.B, exclude []string) string {
	cfg := "package: api\ngenerate:\n  std-http-server: true\n  models: true\n"
	if len(exclude) > 0 {
		cfg += "output-options:\n  exclude-operation-ids: [" + strings.Join(exclude, ", ") + "]\n"
	}
	p := filepath.Join(b.TempDir(), "oapi-codegen.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

// childRun is one measured process.
type childRun struct {
	elapsed time.Duration // as the child timed its work
	cpu     time.Duration // user and system time of the process
	maxRSS  int64         // bytes
	outcome string        // "generated", or the error's first line
}

// runChild runs tool on spec in a process of its own: this test binary,
// running TestBigDocumentsChild.
func runChild(b *testing.B, tool, spec, cfg string) childRun {
	out := b.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestBigDocumentsChild$", "-test.count", "1")
	cmd.Env = append(os.Environ(), "IDEMGEN_BIG_CHILD="+tool, "IDEMGEN_BIG_SPEC="+spec,
		"IDEMGEN_BIG_CONFIG="+cfg, "IDEMGEN_BIG_OUT="+out, "GOMAXPROCS="+strconv.Itoa(runtime.GOMAXPROCS(0)))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s on %s: %v\n%s%s", tool, spec, err, stdout.Bytes(), stderr.Bytes())
	}
	r := childRun{outcome: "generated"}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "idemgen-big-elapsed "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			r.elapsed = time.Duration(n)
		}
		if v, ok := strings.CutPrefix(line, "idemgen-big-error "); ok {
			r.outcome = "failed: " + v
		}
	}
	if r.elapsed == 0 {
		b.Fatalf("%s on %s: the child reported no time\n%s%s", tool, spec, stdout.Bytes(), stderr.Bytes())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	r.maxRSS = ru.Maxrss << 10 // Linux reports KiB
	return r
}

// median is the run with the median of each measure, taken separately.
func median(runs []childRun) childRun {
	pick := func(f func(childRun) int64) int64 {
		v := make([]int64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return childRun{
		elapsed: time.Duration(pick(func(r childRun) int64 { return int64(r.elapsed) })),
		cpu:     time.Duration(pick(func(r childRun) int64 { return int64(r.cpu) })),
		maxRSS:  pick(func(r childRun) int64 { return r.maxRSS }),
	}
}

// TestBigDocumentsChild is one measured run of BenchmarkBigDocuments, in
// the process it starts; it is skipped otherwise. It does what each
// command does: idemgen's Run as cmd/idemgen calls it (warnings printed),
// or oapi-codegen's load and Generate, with the output written.
func TestBigDocumentsChild(t *testing.T) {
	tool := os.Getenv("IDEMGEN_BIG_CHILD")
	if tool == "" {
		t.Skip("run by BenchmarkBigDocuments")
	}
	spec, cfgPath, out := os.Getenv("IDEMGEN_BIG_SPEC"), os.Getenv("IDEMGEN_BIG_CONFIG"), os.Getenv("IDEMGEN_BIG_OUT")
	start := time.Now()
	var err error
	switch tool {
	case "idemgen":
		err = Run(context.Background(), Options{
			Spec: spec, MarkMethods: []string{"POST"}, OapiConfig: cfgPath, Stderr: io.Discard,
			GoOut: filepath.Join(out, DefaultGoOut), SpecOut: filepath.Join(out, DefaultSpecOut(spec, "yaml")),
			DocsOut: filepath.Join(out, DefaultDocsOut),
		})
	case "oapi-codegen":
		err = oapiCodegen(spec, cfgPath, filepath.Join(out, "api.gen.go"))
	case "load":
		_, err = load.Load(context.Background(), spec, load.Options{MarkMethods: []string{"POST"}})
	default:
		t.Fatalf("unknown tool %q", tool)
	}
	elapsed := time.Since(start)
	if err != nil {
		fmt.Printf("idemgen-big-error %s\n", testcases.FirstLine(err.Error()))
	}
	fmt.Printf("idemgen-big-elapsed %d\n", elapsed.Nanoseconds())
}

// oapiCodegen is what `oapi-codegen -config cfg spec` does: load the
// document, generate, write the file.
func oapiCodegen(spec, cfgPath, out string) error {
	cfg, err := gocode.LoadConfig(cfgPath)
	if err != nil {
		return err
	}
	doc, err := util.LoadSwagger(spec)
	if err != nil {
		return err
	}
	code, err := codegen.Generate(doc, cfg.Configuration)
	if err != nil {
		return err
	}
	return os.WriteFile(out, []byte(code), 0o644)
}
