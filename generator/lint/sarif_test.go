package lint

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sarifSchema finds the SARIF 2.1.0 JSON schema where a package installs
// it, rather than keeping a copy here: $SARIF_SCHEMA, else the npm package
// @microsoft/jest-sarif, which ships the schema of the 2.1.0 standard, as
// .ci/sarif-schema installs it into .cache/sarif-schema, or installed
// globally (npm install -g @microsoft/jest-sarif).
func sarifSchema(t *testing.T) string {
	const rel = "node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"
	var tried []string
	if p := os.Getenv("SARIF_SCHEMA"); p != "" {
		tried = append(tried, p)
	}
	if p, err := filepath.Abs(filepath.Join("..", "..", ".cache", "sarif-schema", rel)); err == nil {
		tried = append(tried, p)
	}
	if out, err := exec.Command("npm", "root", "-g").Output(); err == nil {
		tried = append(tried, filepath.Join(strings.TrimSpace(string(out)), "@microsoft", "jest-sarif", "lib", "schemas", "sarif-2.1.0-rtm.5.json"))
	}
	for _, p := range tried {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	where := "npm is not on PATH"
	if len(tried) > 0 {
		where = "looked at " + strings.Join(tried, ", ")
	}
	msg := "the SARIF 2.1.0 schema is not installed (" + where +
		"): run .ci/sarif-schema, or set SARIF_SCHEMA to the schema file"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func TestSARIFValidates(t *testing.T) {
	schema, err := jsonschema.NewCompiler().Compile(sarifSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	fs := lintSpec(t, "testdata/bad.yaml", Options{})
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, fs, ".", "v1.2.3"); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("the SARIF log does not validate: %v\n%s", err, buf.String())
	}
	// An empty run validates too: results is an empty list, not null.
	buf.Reset()
	if err := WriteSARIF(&buf, nil, ".", ""); err != nil {
		t.Fatal(err)
	}
	if inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("the empty SARIF log does not validate: %v\n%s", err, buf.String())
	}
}

// TestSARIFContent pins what code scanning reads: the rule, the level, the
// message and a relative location.
func TestSARIFContent(t *testing.T) {
	fs := lintSpec(t, "testdata/bad.yaml", Options{})
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, fs, "..", ""); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string
					Rules []struct{ ID string }
				}
			}
			Results []struct {
				RuleID, Level string
				RuleIndex     int
				Message       struct{ Text string }
				Locations     []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "idemgen" || len(log.Runs[0].Tool.Driver.Rules) != len(Rules) {
		t.Fatalf("log header: %+v", log)
	}
	run := log.Runs[0]
	if len(run.Results) != len(fs) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(fs))
	}
	for i, r := range run.Results {
		f := fs[i]
		loc := r.Locations[0].PhysicalLocation
		if r.RuleID != f.Rule || run.Tool.Driver.Rules[r.RuleIndex].ID != f.Rule || r.Level != "warning" || r.Message.Text != f.Msg ||
			loc.ArtifactLocation.URI != "lint/testdata/bad.yaml" || loc.Region.StartLine != f.Origin.Line || loc.Region.StartColumn != f.Origin.Column {
			t.Errorf("result %d = %+v, for %s", i, r, f)
		}
	}
}
