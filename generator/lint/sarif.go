package lint

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"
)

// SARIF 2.1.0, as much of it as findings need. Written with encoding/json:
// no SARIF module is among the ones this project may depend on, and the
// shape is small.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string       `json:"id"`
		ShortDescription     sarifMessage `json:"shortDescription"`
		DefaultConfiguration struct {
			Level string `json:"level"`
		} `json:"defaultConfiguration"`
	}
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID    string          `json:"ruleId"`
		RuleIndex int             `json:"ruleIndex"`
		Level     string          `json:"level"`
		Message   sarifMessage    `json:"message"`
		Locations []sarifLocation `json:"locations"`
	}
	sarifLocation struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region *sarifRegion `json:"region,omitempty"`
		} `json:"physicalLocation"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
	}
)

// WriteSARIF writes findings as a SARIF 2.1.0 log of one run, for code
// scanning services. File names are made relative to baseDir (the
// repository's root, where such services resolve them); version is the
// tool's, and may be empty.
func WriteSARIF(w io.Writer, findings []Finding, baseDir, version string) error {
	driver := sarifDriver{Name: "idemgen", Version: version, InformationURI: "https://github.com/idemgen/idemgen"}
	index := map[string]int{}
	level := map[string]string{}
	for i, r := range Rules {
		sr := sarifRule{ID: r.Name, ShortDescription: sarifMessage{r.Short}}
		sr.DefaultConfiguration.Level = r.Level
		driver.Rules = append(driver.Rules, sr)
		index[r.Name], level[r.Name] = i, r.Level
	}
	results := []sarifResult{}
	for _, f := range findings {
		var loc sarifLocation
		loc.PhysicalLocation.ArtifactLocation.URI = artifactURI(f.Origin.File, baseDir)
		if f.Origin.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Origin.Line, StartColumn: f.Origin.Column}
		}
		results = append(results, sarifResult{
			RuleID: f.Rule, RuleIndex: index[f.Rule], Level: level[f.Rule],
			Message: sarifMessage{f.Msg}, Locations: []sarifLocation{loc},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifTool{driver}, Results: results}},
	})
}

// artifactURI is file as a URI reference relative to baseDir, with
// forward slashes and escapes; a remote file keeps its URL.
func artifactURI(file, baseDir string) string {
	if strings.Contains(file, "://") {
		return file
	}
	if abs, err := filepath.Abs(file); err == nil {
		if base, err := filepath.Abs(baseDir); err == nil {
			if rel, err := filepath.Rel(base, abs); err == nil {
				file = rel
			}
		}
	}
	return (&url.URL{Path: filepath.ToSlash(file)}).String()
}
