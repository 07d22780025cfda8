package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/idemgen/idemgen/generator/model"
)

// diagnose turns a failed load into positioned diagnostics. kin-openapi
// reports the first problem it meets, without a position; the files read so
// far say where it stands.
func (s *source) diagnose(loadErr error, fs *files, refused []string, declined []declinedRef, unreadable []string) error {
	var c errs
	for i, name := range fs.order {
		if e := syntaxError(display(name), fs.data[name]); e != nil {
			if i > 0 {
				// A referenced file's position is enough: its bytes stay
				// out of the message.
				e.Msg = fs.quiet(e.Msg)
			}
			c.list = append(c.list, e)
		}
	}
	if len(c.list) > 0 {
		return c.err()
	}

	if len(refused) > 0 {
		remote := func(v string) bool { return strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") }
		for _, r := range fs.refsTo(remote) {
			c.add(r.Origin, fmt.Sprintf("$ref %q: remote references are refused so that generation stays hermetic; "+
				"save the document beside this one and refer to it by a relative path, or allow remote references (-allow-remote-refs)",
				r.Value))
		}
		if len(c.list) == 0 {
			c.add(originOf(s.path), fmt.Sprintf("remote reference to %s refused; allow remote references (-allow-remote-refs) to follow it", refused[0]))
		}
	}
	for _, d := range declined {
		s.diagnoseDeclined(&c, fs, d)
	}
	if len(c.list) > 0 {
		return c.err()
	}

	for _, u := range unreadable {
		// Match the $refs naming the file by its base name; kin-openapi
		// has already joined the relative path to its referrer's.
		base := path.Base(u)
		for _, r := range fs.refsTo(func(v string) bool {
			file, _, _ := strings.Cut(v, "#")
			return file != "" && path.Base(file) == base
		}) {
			c.add(r.Origin, fmt.Sprintf("$ref %q: cannot read %s: %s", r.Value, display(u), fs.quiet(kinMessage(unwrapAll(loadErr)))))
		}
	}
	if len(c.list) > 0 {
		return c.err()
	}

	if ref, ok := unresolvedRef(loadErr); ok {
		for _, r := range fs.refsTo(func(v string) bool { return v == ref || strings.HasSuffix(v, ref) && strings.HasPrefix(ref, "#") }) {
			c.add(r.Origin, fmt.Sprintf("$ref %q cannot be resolved: %s", r.Value, refReason(loadErr, fs)))
		}
		if len(c.list) > 0 {
			return c.err()
		}
	}
	if strings.Contains(loadErr.Error(), "cannot unmarshal array into value of type openapi2.Schema") {
		// Swagger 2.0's decoder gives no position; tuple-form items (a
		// list where a schema belongs) is what it meets in practice.
		for _, o := range fs.listsUnder("items") {
			c.add(o, "items: must be a schema, not a list (tuple-form items is not allowed in Swagger 2.0)")
		}
		if len(c.list) > 0 {
			return c.err()
		}
	}
	o := originOf(s.path)
	if m := kinLine.FindStringSubmatch(loadErr.Error()); m != nil {
		// kin-openapi's decode errors name a line of the root file.
		o.Line, _ = strconv.Atoi(m[1])
	}
	c.add(o, "cannot load the document: "+fs.quiet(kinMessage(loadErr)))
	return c.err()
}

// diagnoseDeclined puts a file the reader refused at each $ref naming it,
// with the way to let it in where there is one.
func (s *source) diagnoseDeclined(c *errs, fs *files, d declinedRef) {
	name := d.target
	if u, err := url.Parse(d.target); err == nil && isLocal(u) {
		name = filepath.FromSlash(u.Path)
	}
	msg := fmt.Sprintf("cannot read %s: %s", name, d.err.reason)
	if d.err.allowDir != "" {
		msg = fmt.Sprintf("%s lies %s, which local references may not leave; move the file there, or allow its folder (-allow-ref-dir %s)",
			name, d.err.reason, d.err.allowDir)
	}
	sites := s.refsNaming(fs, d.target)
	for _, r := range sites {
		c.add(r.Origin, fmt.Sprintf("$ref %q: %s", r.Value, msg))
	}
	if len(sites) == 0 {
		c.add(originOf(s.path), "a $ref: "+msg)
	}
}

// refsNaming returns every $ref, in every file read, that resolves to
// target.
func (s *source) refsNaming(fs *files, target string) []refSite {
	bases := map[string]*url.URL{}
	for _, name := range fs.order {
		base := &url.URL{Path: name} // the root's, as load hands it to kin-openapi
		if name != s.name {
			u, err := url.Parse(name)
			if err != nil {
				continue
			}
			base = u
		}
		bases[display(name)] = base
	}
	var out []refSite
	for _, r := range fs.refsTo(func(string) bool { return true }) {
		if base, ok := bases[r.Origin.File]; ok {
			if t, ok := refTarget(base, r.Value); ok && t == target {
				out = append(out, r)
			}
		}
	}
	return out
}

// quoted matches what a parser's message quotes, which may be a piece of
// the file it failed on.
var quoted = regexp.MustCompile("`[^`]*`|'[^']*'|\"[^\"]*\"")

// quiet drops from msg every quoted piece that a referenced file holds
// (yaml quotes up to seven bytes of a value it cannot decode, a JSON error
// the byte it stopped at), so that a diagnostic never shows what a
// referenced file contains: its position says where to look.
func (fs *files) quiet(msg string) string {
	if len(fs.order) < 2 {
		return msg
	}
	return quoted.ReplaceAllStringFunc(msg, func(q string) string {
		inner := strings.TrimSuffix(q[1:len(q)-1], "...")
		for _, name := range fs.order[1:] {
			if inner == "" || bytes.Contains(fs.data[name], []byte(inner)) {
				return "…"
			}
		}
		return q
	})
}

// syntaxError reports where a file stops being valid YAML or JSON.
func syntaxError(file string, data []byte) *Error {
	if formatOf(data) == "json" {
		var v any
		err := json.Unmarshal(data, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(data, int(se.Offset))
			return &Error{Origin: model.Origin{File: file, Line: line, Column: col}, Msg: "invalid JSON: " + se.Error()}
		}
		if err == nil {
			return nil
		}
	}
	var n yaml.Node
	err := yaml.Unmarshal(data, &n)
	if err == nil {
		return nil
	}
	var le *yaml.LoadError
	if errors.As(err, &le) {
		msg := "invalid YAML: " + le.Message
		if le.ContextMsg != "" && le.ContextMark.Line > 0 && le.ContextMark != le.Mark {
			msg += fmt.Sprintf(" (%s at %d:%d)", le.ContextMsg, le.ContextMark.Line, le.ContextMark.Column)
		}
		return &Error{Origin: model.Origin{File: file, Line: le.Mark.Line, Column: le.Mark.Column}, Msg: msg}
	}
	return &Error{Origin: model.Origin{File: file}, Msg: "invalid YAML: " + err.Error()}
}

// lineCol converts a byte offset to a 1-based line and column (in bytes).
func lineCol(data []byte, off int) (int, int) {
	off = min(max(off, 0), len(data))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := off - bytes.LastIndexByte(before, '\n')
	if off > 0 && col > 1 {
		// encoding/json's offset is just past the offending byte.
		col--
	}
	return line, col
}

// kin-openapi names the reference it failed on in one of these shapes.
var unresolvedPatterns = []*regexp.Regexp{
	regexp.MustCompile(`in fragment in URI: "([^"]+)"`),
	regexp.MustCompile(`error resolving reference "([^"]+)"`),
	regexp.MustCompile(`bad data in "([^"]+)"`),
	regexp.MustCompile(`resolving reference "([^"]+)"`),
}

func unresolvedRef(err error) (string, bool) {
	msg := err.Error()
	for _, re := range unresolvedPatterns {
		if m := re.FindStringSubmatch(msg); m != nil {
			return m[1], true
		}
	}
	return "", false
}

var kinLine = regexp.MustCompile(`yaml: (?:construct errors: )?line (\d+):`)

// unwrapAll returns the innermost error, e.g. the *fs.PathError's cause.
func unwrapAll(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

var missingPart = regexp.MustCompile(`failed to resolve "([^"]+)" in fragment`)

// refReason says what of a $ref is missing, in a few words if kin-openapi's
// message allows it; the part named comes from the $ref itself.
func refReason(err error, fs *files) string {
	if m := missingPart.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Sprintf("%q is not found", m[1])
	}
	return fs.quiet(kinMessage(err))
}

// kinMessage shortens kin-openapi's error for a diagnostic line.
func kinMessage(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "failed to unmarshal data: ")
	if i := strings.LastIndex(msg, "yaml error: "); i >= 0 {
		// The JSON attempt's complaint repeats the YAML one.
		msg = msg[i+len("yaml error: "):]
	}
	return strings.ReplaceAll(msg, "\n", " ")
}

// display turns the name kin-openapi stamps into origins (a URL's string
// form) back into the file name the user knows.
func display(name string) string {
	if strings.Contains(name, "://") {
		return name
	}
	return filepath.FromSlash(name)
}

func originOf(path string) model.Origin { return model.Origin{File: path} }
