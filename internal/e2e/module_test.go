package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"golang.org/x/mod/modfile"
)

// repoRoot is this checkout's module root.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// tempModule is a Go module in a temporary directory that requires this
// checkout (through replace) and every dependency at this checkout's
// versions, so that its builds reuse the module and build caches. tools
// become its go.mod tool section.
type tempModule struct {
	t    testing.TB
	Dir  string
	Path string // module path
}

func newTempModule(t testing.TB, path string, tools ...string) *tempModule {
	t.Helper()
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	self := f.Module.Mod.Path
	must(t, f.AddModuleStmt(path))
	for _, tool := range f.Tool {
		must(t, f.DropTool(tool.Path))
	}
	for _, tool := range tools {
		must(t, f.AddTool(tool))
	}
	f.AddNewRequire(self, "v0.0.0-00010101000000-000000000000", false)
	must(t, f.AddReplace(self, "", root, ""))
	f.Cleanup()
	out, err := f.Format()
	must(t, err)

	m := &tempModule{t: t, Dir: t.TempDir(), Path: path}
	m.Write("go.mod", out)
	if sum, err := os.ReadFile(filepath.Join(root, "go.sum")); err == nil {
		m.Write("go.sum", sum)
	}
	return m
}

// Write puts a file into the module, creating directories.
func (m *tempModule) Write(rel string, data []byte) {
	m.t.Helper()
	p := filepath.Join(m.Dir, filepath.FromSlash(rel))
	must(m.t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(m.t, os.WriteFile(p, data, 0o644))
}

// Go runs the go command in the module and returns its combined output.
func (m *tempModule) Go(timeout time.Duration, args ...string) ([]byte, error) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin(), args...)
	cmd.Dir = m.Dir
	cmd.Env = m.Env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// Env is the environment for go commands in the module: -mod=mod lets the
// go command complete go.sum from the module cache, and no workspace file
// from above may interfere.
func (m *tempModule) Env() []string {
	return append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
}

func goBin() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
