package augment

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/idemgen/idemgen/internal/testsvc"
)

// repoRoot is the module root, relative to this package.
const repoRoot = "../.."

// redocly finds the pinned @redocly/cli that .ci/redocly installs, or
// IDEMGEN_REDOCLY. Without it the test skips, or fails under CI: .ci/run
// installs the tool first, so there a missing one is a broken pipeline,
// not a reason to check less.
func redocly(t *testing.T) string {
	if p := os.Getenv("IDEMGEN_REDOCLY"); p != "" {
		return p
	}
	const hint = "run .ci/redocly (it needs Node), or set IDEMGEN_REDOCLY, to enable the redocly lint check"
	testsvc.Tool(t, "node", hint)
	p, err := filepath.Abs(filepath.Join(repoRoot, ".cache/redocly/node_modules/.bin/redocly"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		testsvc.Unavailable(t, "redocly not installed at "+p, err, hint)
	}
	return p
}

// lintCase is one golden case: its input folder and its augmented root.
type lintCase struct {
	name, inDir, root, out string
}

// lintCases lists the golden cases that have an augmented spec, each with
// the input it was made from. (generator's goldenCases lists the inputs.)
func lintCases(t *testing.T) []lintCase {
	outs, _ := filepath.Glob(filepath.Join(repoRoot, "golden/*/openapi.idempotent.*"))
	var cases []lintCase
	for _, out := range outs {
		name := filepath.Base(filepath.Dir(out))
		inDir := filepath.Join(repoRoot, "testdata/specs", name)
		root := "openapi" + filepath.Ext(out)
		if _, err := os.Stat(filepath.Join(inDir, root)); err != nil {
			t.Errorf("%s: no input %s beside the golden output", name, root)
			continue
		}
		cases = append(cases, lintCase{name, inDir, root, out})
	}
	if len(cases) == 0 {
		t.Skip("no golden augmented specs yet")
	}
	return cases
}

// TestRedoclyLint runs Redocly's recommended rules, an implementation
// independent of kin-openapi, on every golden case's input and augmented
// output, and fails on any rule the output breaks that the input did not.
// Both sit in copies of the case folder, so relative $refs resolve alike.
func TestRedoclyLint(t *testing.T) {
	if testing.Short() {
		t.Skip("redocly lint: skipped in -short mode")
	}
	bin := redocly(t)
	cases := lintCases(t)
	work := t.TempDir()
	// Built-in rules only: nothing to fetch.
	if err := os.WriteFile(filepath.Join(work, "redocly.yaml"), []byte("extends:\n  - recommended\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, c := range cases {
		for _, side := range []string{"in", "out"} {
			dir := filepath.Join(work, c.name, side)
			if err := os.CopyFS(dir, os.DirFS(c.inDir)); err != nil {
				t.Fatal(err)
			}
			args = append(args, filepath.Join(c.name, side, c.root))
		}
		out, err := os.ReadFile(c.out)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, c.name, "out", c.root), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, append([]string{"lint", "--config", "redocly.yaml", "--format", "json"}, args...)...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_UPDATE_NOTIFIER=1", "CI=true")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	type problem struct {
		RuleID   string `json:"ruleId"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
		Location []struct {
			Source  struct{ Ref string } `json:"source"`
			Pointer string               `json:"pointer"`
		} `json:"location"`
	}
	// One JSON report per linted file, one after another.
	var problems []problem
	dec := json.NewDecoder(bytes.NewReader(stdout))
	for reports := 0; ; reports++ {
		var report struct{ Problems []problem }
		if jerr := dec.Decode(&report); jerr == io.EOF && reports > 0 {
			break
		} else if jerr != nil {
			t.Fatalf("redocly lint gave no JSON report (exit %v): %v\n%s", err, jerr, stderr.String())
		}
		problems = append(problems, report.Problems...)
	}
	// rules[case][side] is the set of rules broken there.
	rules := map[string]map[string][]string{}
	example := map[string]string{}
	for _, p := range problems {
		if len(p.Location) == 0 {
			continue
		}
		parts := strings.Split(filepath.ToSlash(p.Location[0].Source.Ref), "/")
		if len(parts) < 3 {
			continue
		}
		c, side := parts[0], parts[1]
		if rules[c] == nil {
			rules[c] = map[string][]string{}
		}
		if !slices.Contains(rules[c][side], p.RuleID) {
			rules[c][side] = append(rules[c][side], p.RuleID)
			example[c+" "+side+" "+p.RuleID] = p.Location[0].Pointer + ": " + p.Message
		}
	}
	for _, c := range cases {
		for _, r := range rules[c.name]["out"] {
			if !slices.Contains(rules[c.name]["in"], r) {
				t.Errorf("%s: the augmented spec breaks redocly rule %s, which the input does not: %s",
					c.name, r, example[c.name+" out "+r])
			}
		}
	}
	t.Logf("redocly lint: %d golden cases, %d problems reported in all", len(cases), len(problems))
}
