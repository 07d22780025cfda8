package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// write puts every output in place. Each changed file is first written in
// full to a temporary file in its own directory; only when all of them are
// written are they renamed over their targets, so a failure part way leaves
// every target as it was. A file that already holds the content is left
// alone, its modification time included, so that build tools see no change.
func write(outs []output) error {
	type pending struct{ tmp, path string }
	var ready []pending
	cleanup := func() {
		for _, p := range ready {
			os.Remove(p.tmp)
		}
	}
	for _, o := range outs {
		old, err := os.ReadFile(o.path)
		if err == nil && bytes.Equal(old, o.data) {
			continue
		}
		mode := fs.FileMode(0o644)
		if fi, err := os.Stat(o.path); err == nil {
			mode = fi.Mode().Perm()
		}
		tmp, err := writeTemp(o.path, o.data, mode)
		if err != nil {
			cleanup()
			return err
		}
		ready = append(ready, pending{tmp, o.path})
	}
	for i, p := range ready {
		if err := os.Rename(p.tmp, p.path); err != nil {
			ready = ready[i:]
			cleanup()
			return fmt.Errorf("%s: %w", p.path, err)
		}
	}
	return nil
}

func writeTemp(path string, data []byte, mode fs.FileMode) (string, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return f.Name(), nil
}

// CheckError reports generated files that are not what Run would write.
type CheckError struct {
	// Diffs holds a unified diff per differing file, from the file on disk
	// to what Run would write.
	Diffs []string
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("%d generated file(s) out of date; run idemgen to update:\n%s",
		len(e.Diffs), strings.Join(e.Diffs, "\n"))
}

func check(outs []output) error {
	var e CheckError
	for _, o := range outs {
		old, err := os.ReadFile(o.path)
		from := o.path + " (on disk)"
		switch {
		case errors.Is(err, fs.ErrNotExist):
			from, old = o.path+" (missing)", nil
		case err != nil:
			return err
		case bytes.Equal(old, o.data):
			continue
		}
		e.Diffs = append(e.Diffs, unifiedDiff(from, o.path+" (generated)", old, o.data))
	}
	if len(e.Diffs) == 0 {
		return nil
	}
	return &e
}

func unifiedDiff(from, to string, a, b []byte) string {
	d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(a)), B: difflib.SplitLines(string(b)),
		FromFile: from, ToFile: to, Context: 3,
	})
	if err != nil {
		return fmt.Sprintf("--- %s\n+++ %s\n(no diff: %v)\n", from, to, err)
	}
	if d == "" {
		// Same lines, different bytes: a missing final newline.
		return fmt.Sprintf("--- %s\n+++ %s\n(differs only in the final newline)\n", from, to)
	}
	return d
}
