package overlay

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	speakeasy "github.com/speakeasy-api/openapi/overlay"
	"gopkg.in/yaml.v3"
)

// Error is a problem in an overlay document, at a position in it.
type Error struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *Error) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	case e.Column == 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

// Apply returns src with the overlay's actions applied; format is "yaml" or
// "json". Errors name the overlay as "overlay"; use ApplyFile to name it.
func Apply(src, overlayDoc []byte, format string) ([]byte, error) {
	return ApplyFile(src, overlayDoc, "overlay", format)
}

// ApplyFile is Apply with the overlay's file name for error positions.
func ApplyFile(src, overlayDoc []byte, overlayName, format string) ([]byte, error) {
	a, err := ApplyMapped(src, overlayDoc, overlayName, format)
	if err != nil {
		return nil, err
	}
	return a.Doc, nil
}

// ApplyMapped is ApplyFile, and also says where each line:col of the result
// came from (Applied.Source), since re-encoding moves everything and an
// action's update is written where the overlay's author did not write it.
func ApplyMapped(src, overlayDoc []byte, overlayName, format string) (*Applied, error) {
	if format != "yaml" && format != "json" {
		return nil, fmt.Errorf("overlay: format must be yaml or json, got %q", format)
	}
	ov, node, err := parseOverlay(overlayDoc, overlayName)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("overlay: the document to apply %s to does not parse: %w", overlayName, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, fmt.Errorf("overlay: the document to apply %s to is empty", overlayName)
	}
	prov := newProvenance(node)
	if err := applyChecked(ov, node, &doc, overlayName, prov); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if format == "json" {
		writeJSON(&b, doc.Content[0], "", jsonUnit(src))
		b.WriteByte('\n')
	} else {
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(indentOf(doc.Content[0]))
		if err := enc.Encode(&doc); err != nil {
			return nil, fmt.Errorf("overlay: encoding the result: %w", err)
		}
		enc.Close()
	}
	a := &Applied{Doc: b.Bytes()}
	var out yaml.Node
	if err := yaml.Unmarshal(a.Doc, &out); err == nil {
		a.index = prov.index(&doc, &out, format == "json")
	}
	return a, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseOverlay decodes the overlay and checks its shape, with positions.
func parseOverlay(data []byte, name string) (*speakeasy.Overlay, *yaml.Node, error) {
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, nil, &Error{File: name, Line: line, Msg: m[2]}
		}
		return nil, nil, &Error{File: name, Msg: err.Error()}
	}
	if node.Kind != yaml.DocumentNode || len(node.Content) == 0 || node.Content[0].Kind != yaml.MappingNode {
		return nil, nil, &Error{File: name, Line: 1, Msg: "an overlay document must be a mapping with overlay, info and actions"}
	}
	root := node.Content[0]
	var ov speakeasy.Overlay
	if err := root.Decode(&ov); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			if m := yamlLine.FindStringSubmatch("yaml: " + te.Errors[0]); m != nil {
				line, _ := strconv.Atoi(m[1])
				return nil, nil, &Error{File: name, Line: line, Msg: m[2]}
			}
		}
		return nil, nil, &Error{File: name, Msg: err.Error()}
	}
	at := func(n *yaml.Node, format string, args ...any) error {
		if n == nil {
			n = root
		}
		return &Error{File: name, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
	}
	if v := child(root, "overlay"); v == nil {
		return nil, nil, at(nil, "overlay: the version field is missing (overlay: 1.0.0)")
	} else if errs := ov.ValidateVersion(); len(errs) > 0 {
		return nil, nil, at(v, "overlay: %v", errs[0])
	}
	info := child(root, "info")
	if ov.Info.Title == "" {
		return nil, nil, at(info, "info.title: must be set")
	}
	if ov.Info.Version == "" {
		return nil, nil, at(info, "info.version: must be set")
	}
	actions := child(root, "actions")
	if actions == nil || actions.Kind != yaml.SequenceNode || len(actions.Content) == 0 {
		return nil, nil, at(actions, "actions: must list at least one action")
	}
	for i, a := range ov.Actions {
		an := actions.Content[i]
		tn := child(an, "target")
		switch {
		case a.Target == "":
			return nil, nil, at(an, "actions[%d].target: must be set", i)
		case a.Remove && !a.Update.IsZero():
			return nil, nil, at(an, "actions[%d]: remove and update cannot both be set", i)
		case !a.Remove && a.Update.IsZero() && a.Copy == "":
			return nil, nil, at(an, "actions[%d]: needs update or remove", i)
		}
		if _, err := ov.NewPath(a.Target, nil); err != nil {
			return nil, nil, at(tn, "actions[%d].target: invalid JSONPath %q: %v", i, a.Target, err)
		}
	}
	return &ov, root, nil
}

// applyChecked applies the actions one by one, refusing an action whose
// target selects nothing. A target may select what an earlier action
// added, so each is checked against the document as the earlier ones
// leave it.
func applyChecked(ov *speakeasy.Overlay, root *yaml.Node, doc *yaml.Node, name string, prov *provenance) error {
	actions := child(root, "actions")
	one := *ov
	for i, a := range ov.Actions {
		p, _ := ov.NewPath(a.Target, nil)
		targets := p.Query(doc)
		if len(targets) == 0 {
			tn := child(actions.Content[i], "target")
			return &Error{File: name, Line: tn.Line, Column: tn.Column,
				Msg: fmt.Sprintf("actions[%d].target: %s selects nothing in the document", i, a.Target)}
		}
		one.Actions = ov.Actions[i : i+1]
		if err := one.ApplyTo(doc); err != nil {
			an := actions.Content[i]
			return &Error{File: name, Line: an.Line, Column: an.Column, Msg: fmt.Sprintf("actions[%d]: %v", i, err)}
		}
		if src, at := from(ov, a, doc, prov); src != nil {
			for _, t := range targets {
				prov.merged(t, src, at)
			}
		}
	}
	return nil
}

// from returns what an action writes into its targets and where its nodes
// stand, or nil for a removal, in the order of precedence ApplyTo follows.
// A copy's source is read after the action; it is not among its targets.
func from(ov *speakeasy.Overlay, a speakeasy.Action, doc *yaml.Node, prov *provenance) (*yaml.Node, func(*yaml.Node) Position) {
	switch {
	case a.Remove:
		return nil, nil
	case !a.Update.IsZero():
		return &a.Update, func(n *yaml.Node) Position { return Position{Overlay: true, Line: n.Line, Column: n.Column} }
	case a.Copy != "":
		if p, err := ov.NewPath(a.Copy, nil); err == nil {
			if src := p.Query(doc); len(src) == 1 {
				return src[0], prov.of
			}
		}
	}
	return nil, nil
}

// indentOf guesses the document's indentation from its first nested block
// mapping, so that a re-encoded document keeps its author's width.
func indentOf(root *yaml.Node) int {
	if root.Kind == yaml.MappingNode && root.Style&yaml.FlowStyle == 0 {
		for i := 1; i < len(root.Content); i += 2 {
			v := root.Content[i]
			if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 {
				if n := v.Content[0].Column - root.Content[0].Column; n >= 2 && n <= 8 {
					return n
				}
				break
			}
		}
	}
	return 2
}

func child(n *yaml.Node, k string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			return n.Content[i+1]
		}
	}
	return nil
}
