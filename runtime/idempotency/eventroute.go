package idempotency

import "sync/atomic"

// routeNames keeps the last "METHOD /path" an event was named by, for a
// middleware without WithRoute: such a middleware usually serves one path,
// and its events then share one string instead of building it each time
// (an observer sees two or three events per request). A middleware that
// serves many paths builds the name once per request (see call.emit).
type routeNames struct{ last atomic.Pointer[string] }

func (n *routeNames) name(method, path string) string {
	if p := n.last.Load(); p != nil && isRouteName(*p, method, path) {
		return *p
	}
	s := method + " " + path
	n.last.Store(&s)
	return s
}

// isRouteName reports whether s is method + " " + path.
func isRouteName(s, method, path string) bool {
	return len(s) == len(method)+1+len(path) && s[:len(method)] == method &&
		s[len(method)] == ' ' && s[len(method)+1:] == path
}
