package load

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"syscall"
)

// MaxFileBytes caps every document idemgen reads: the spec, an overlay, and
// each file or URL a $ref names. An OpenAPI document this large is almost
// certainly a mistake (a $ref to a data file), and a cap keeps a stray
// /dev/zero-like source from exhausting memory.
const MaxFileBytes = 64 << 20

// refusedError is a file the loader will not read, as opposed to one it
// failed to read: not a regular file, over the size cap, or outside the
// folders local $refs may reach. Its text is the reason, worded to follow
// the file's name.
type refusedError struct {
	reason string
	// allowDir, for a file outside the allowed folders, is the folder to
	// allow (-allow-ref-dir) to let it in.
	allowDir string
}

func (e *refusedError) Error() string { return e.reason }

// ReadFile reads a file the user named, such as the spec or an overlay: a
// regular file (not a device, pipe or folder) of at most MaxFileBytes.
func ReadFile(name string) ([]byte, error) { return readRegular(nil, name, MaxFileBytes) }

// readRegular reads name, inside root when root is not nil, refusing
// anything but a regular file of at most limit bytes. The mode is checked
// before opening, so that a FIFO cannot block the open and a device is
// never opened, and again on the opened file, in case the name was
// replaced in between.
func readRegular(root *os.Root, name string, limit int64) ([]byte, error) {
	stat, open := os.Stat, os.OpenFile
	if root != nil {
		stat, open = root.Stat, root.OpenFile
	}
	before, err := stat(name)
	if err != nil {
		return nil, err
	}
	if err := regular(before); err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	// O_NONBLOCK does nothing to a regular file; it only keeps a FIFO
	// swapped in after the check above from blocking the open.
	f, err := open(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	after, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := regular(after); err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if !os.SameFile(before, after) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: &refusedError{reason: "replaced while being opened"}}
	}
	if after.Size() > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: tooLarge(limit)}
	}
	data, err := readCapped(f, limit)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

// readCapped reads r to its end, failing once it passes limit bytes: one
// byte past the cap tells a document that fits from one cut short.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(limit)
	}
	return data, nil
}

func tooLarge(limit int64) error {
	size := fmt.Sprintf("%d bytes", limit)
	if limit >= 1<<20 && limit%(1<<20) == 0 {
		size = fmt.Sprintf("%d MiB", limit>>20)
	}
	return &refusedError{reason: "larger than the " + size + " limit on a document"}
}

// regular refuses what is not a regular file, naming what it is instead.
func regular(fi fs.FileInfo) error {
	m := fi.Mode()
	if m.IsRegular() {
		return nil
	}
	kind := "not a regular file"
	switch {
	case m.IsDir():
		kind = "a folder"
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		kind = "a device"
	}
	return &refusedError{reason: kind + ", not a regular file"}
}

// refRoots resolves the folders local $refs may read: the root document's
// own folder and those allowed besides, each with its symlinks resolved, so
// that a symlink inside pointing out is seen to point out.
func refRoots(spec string, allowed []string) ([]string, error) {
	roots := make([]string, 0, 1+len(allowed))
	for i, dir := range append([]string{filepath.Dir(spec)}, allowed...) {
		real, err := realPath(dir)
		if i == 0 && err != nil {
			// The spec's folder is missing only for a document given as
			// bytes; nothing under it can be read then either.
			real, err = filepath.Abs(dir)
		}
		if err != nil {
			return nil, fmt.Errorf("cannot allow $refs into %s: %w", dir, unwrapPathError(err))
		}
		roots = append(roots, real)
	}
	return roots, nil
}

func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// isLocal reports a URL kin-openapi reads as a file, as its ReadFromFile does.
func isLocal(u *url.URL) bool {
	return u.Path != "" && u.Host == "" && (u.Scheme == "" || u.Scheme == "file")
}

// readRef reads a local file a $ref names, kept to s.roots: the file's real
// path (symlinks resolved) must lie in one of them, and it is opened
// through an os.Root, so that no path component swapped for a symlink
// later can lead out.
func (s *source) readRef(u *url.URL) ([]byte, error) {
	name := filepath.Clean(filepath.FromSlash(u.Path))
	real, err := realPath(name)
	if err != nil {
		return nil, err
	}
	for _, dir := range s.roots {
		rel, err := filepath.Rel(dir, real)
		if err != nil || !filepath.IsLocal(rel) {
			continue
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			return nil, err
		}
		defer root.Close()
		return readRegular(root, rel, s.opts.limit())
	}
	hint := filepath.Dir(name)
	if abs, err := filepath.Abs(name); err == nil && abs != real {
		// A symlink: it is the target's folder that must be allowed.
		hint = filepath.Dir(real)
	}
	return nil, &refusedError{reason: "outside " + s.confinement(), allowDir: hint}
}

// confinement names the folders local $refs are kept to, for a diagnostic.
func (s *source) confinement() string {
	msg := "the folder of " + s.path
	if len(s.opts.AllowRefDirs) > 0 {
		msg += " and the folders allowed"
	}
	return msg
}

// limit is the cap on each file read.
func (o Options) limit() int64 {
	if o.maxBytes > 0 {
		return o.maxBytes
	}
	return MaxFileBytes
}

// refTarget resolves a $ref's value standing in the document at base as
// kin-openapi does (see its resolvePath), to the name it reads, without
// the fragment.
func refTarget(base *url.URL, value string) (string, bool) {
	ref, err := url.Parse(value)
	if err != nil || ref.Path == "" && ref.Host == "" {
		return "", false
	}
	ref.Fragment, ref.RawFragment = "", ""
	if !isLocal(ref) || filepath.IsAbs(ref.Path) {
		return ref.String(), true
	}
	t := *base
	t.Path = path.Join(path.Dir(t.Path), ref.Path)
	t.RawPath, t.Fragment, t.RawFragment = "", "", ""
	return t.String(), true
}

// asRefused returns the refusal inside err, if err is one.
func asRefused(err error) (*refusedError, bool) {
	var re *refusedError
	ok := errors.As(err, &re)
	return re, ok
}

// declinedRef is a file or URL the reader refused to read.
type declinedRef struct {
	target string // as kin-openapi resolved it, without the fragment
	err    *refusedError
}

func declinedFile(u *url.URL, err *refusedError) declinedRef {
	t := *u
	t.Fragment, t.RawFragment = "", ""
	return declinedRef{target: t.String(), err: err}
}
