package gocode

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"go.yaml.in/yaml/v3"

	"github.com/idemgen/idemgen/internal/editdist"
)

// Config is an oapi-codegen configuration file, read with oapi-codegen's own
// types so that every option it knows keeps its meaning. Resolve mirrors the
// options that shape names and the set of operations: name-normalizer,
// additional-initialisms, type-mapping, import-mapping and the
// include/exclude tag and operation-id filters.
type Config struct {
	codegen.Configuration `yaml:",inline"`
	// Output is the file oapi-codegen writes, as the config file names it.
	Output string `yaml:"output,omitempty"`
	// Path is the file the configuration was read from; "" for the defaults.
	Path string `yaml:"-"`

	// keys holds where each key of the generate section stands, by its
	// dotted name ("generate.echo-server"), for messages.
	keys map[string]position
}

// position is a line and column in the configuration file.
type position struct{ line, col int }

func (p position) compare(q position) int {
	return cmp.Or(cmp.Compare(p.line, q.line), cmp.Compare(p.col, q.col))
}

// configError is a mistake at a position of the configuration file.
type configError struct {
	position
	msg string
}

func (e *configError) Error() string { return fmt.Sprintf("%d:%d: %s", e.line, e.col, e.msg) }

// at names where a key of the configuration stands: file:line:col, or the
// file (or "oapi-codegen defaults") when it is not known.
func (cfg Config) at(key string) string {
	p, ok := cfg.keys[key]
	if !ok || cfg.Path == "" {
		return configName(cfg)
	}
	return fmt.Sprintf("%s:%d:%d", cfg.Path, p.line, p.col)
}

// LoadConfig reads an oapi-codegen configuration file (the format of
// `oapi-codegen -config`). An empty path gives oapi-codegen's defaults.
func LoadConfig(path string) (Config, error) {
	if path == "" {
		return Config{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("oapi-codegen config: %w", err)
	}
	cfg, err := parseConfig(data)
	if err != nil {
		sep := " "
		if _, ok := errors.AsType[*configError](err); ok {
			sep = ""
		}
		return Config{}, fmt.Errorf("%s:%s%w", path, sep, err)
	}
	cfg.Path = path
	return cfg, nil
}

// parseConfig decodes strictly, as oapi-codegen does, so a misspelt option
// is an error here rather than a silent difference in names.
func parseConfig(data []byte) (Config, error) {
	var cfg Config
	keys, err := generateSection(data)
	if err != nil {
		return Config{}, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("not an oapi-codegen configuration (the old flat style is not supported): %w", err)
	}
	if err := checkNames(cfg.OutputOptions); err != nil {
		return Config{}, err
	}
	cfg.keys = keys
	return cfg, nil
}

// generateSection reads where the keys of the generate section stand, and
// refuses a key oapi-codegen does not know with the one it likely meant:
// strict decoding would say only "field not found in type GenerateOptions".
// A document that is not a mapping is left to the strict decoder.
func generateSection(data []byte) (map[string]position, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || len(root.Content) == 0 {
		return nil, nil
	}
	gen := mappingValue(root.Content[0], "generate")
	if gen == nil || gen.Kind != yaml.MappingNode {
		return nil, nil
	}
	known := generateKeys()
	keys := map[string]position{}
	for i := 0; i+1 < len(gen.Content); i += 2 {
		k := gen.Content[i]
		at := position{k.Line, k.Column}
		if !slices.Contains(known, k.Value) {
			msg := fmt.Sprintf("generate.%s: not an oapi-codegen target", k.Value)
			if near := nearestTarget(k.Value, known); near != "" {
				msg += "; did you mean " + near + "?"
			} else {
				msg += " (it knows " + strings.Join(known, ", ") + ")"
			}
			return nil, &configError{at, msg}
		}
		keys["generate."+k.Value] = at
	}
	return keys, nil
}

// mappingValue is the value of key in a mapping node; nil when absent.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// cliTargets are the names oapi-codegen's -generate flag accepts for its
// configuration's keys (cmd/oapi-codegen generationTargets).
var cliTargets = map[string]string{
	"types": "models", "server": "echo-server", "echo": "echo-server", "echo5": "echo5-server",
	"chi": "chi-server", "gin": "gin-server", "gorilla": "gorilla-server", "std-http": "std-http-server",
	"fiber": "fiber-server", "fiber-v3": "fiber-v3-server", "iris": "iris-server", "spec": "embedded-spec",
	"strict": "strict-server",
}

// nearestTarget is the known key s most likely stands for: its -generate
// flag name, or one at most two edits away once letter case, '_' and '-'
// are ignored.
func nearestTarget(s string, known []string) string {
	norm := func(s string) string { return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s)) }
	if k, ok := cliTargets[strings.ToLower(s)]; ok {
		return k
	}
	best, bestD := "", 3
	for _, k := range known {
		if d := editdist.Distance(norm(s), norm(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// checkNames reports the naming options that codegen.Generate would reject,
// before anything is resolved.
func checkNames(o codegen.OutputOptions) error {
	fn := codegen.NameNormalizerFunction(o.NameNormalizer)
	if codegen.NameNormalizers[fn] == nil {
		return fmt.Errorf("output-options.name-normalizer: unknown value %q, want one of %v",
			o.NameNormalizer, codegen.NameNormalizers.Options())
	}
	if fn != codegen.NameNormalizerFunctionToCamelCaseWithInitialisms && len(o.AdditionalInitialisms) > 0 {
		return errors.New("output-options.additional-initialisms: needs name-normalizer: ToCamelCaseWithInitialisms")
	}
	return nil
}
