package gocode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"go.yaml.in/yaml/v3"
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
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	cfg.Path = path
	return cfg, nil
}

// parseConfig decodes strictly, as oapi-codegen does, so a misspelt option
// is an error here rather than a silent difference in names.
func parseConfig(data []byte) (Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("not an oapi-codegen configuration (the old flat style is not supported): %w", err)
	}
	if err := checkNames(cfg.OutputOptions); err != nil {
		return Config{}, err
	}
	return cfg, nil
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
