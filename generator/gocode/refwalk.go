package gocode

import (
	"path/filepath"
	"reflect"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/idemgen/idemgen/generator/model"
)

// refWalker finds every reference object of a document whose $ref
// kin-openapi could not give a value. kin-openapi has no visitor, and a
// reference can stand in more places than a typed walk would list without
// drifting from the next kin-openapi release (webhooks, callbacks, links,
// 3.1's prefixItems …), so the walk goes by reflection over exported
// fields, and through the Map method of the map-like types (Paths,
// Responses, Callback), whose entries are unexported.
type refWalker struct {
	seen   map[uintptr]reflect.Type // recursive schemas point back at themselves
	shared map[visit]bool           // the rest of the types seen at an address
	types  map[reflect.Type]*typeInfo
	source string
	broken []brokenRef
}

type visit struct {
	t reflect.Type
	p uintptr
}

// typeInfo is what the walk needs to know about a type, computed once per
// type: reflection by name is too slow to repeat for every schema of a large
// document.
type typeInfo struct {
	mapMethod  int   // index of a Map() method on the pointer type, or -1
	ref, value int   // indexes of a reference object's Ref and Value, or -1
	fields     []int // the exported fields worth walking
	walkable   bool  // for an element type: can it lead to a reference?
	origin     int   // index of the Origin field, or -1
}

var (
	mappingRefType = reflect.TypeFor[openapi3.MappingRef]()
	originType     = reflect.TypeFor[*openapi3.Origin]()
)

func (w *refWalker) info(t reflect.Type) *typeInfo {
	if ti, ok := w.types[t]; ok {
		return ti
	}
	ti := &typeInfo{mapMethod: -1, ref: -1, value: -1, origin: -1}
	w.types[t] = ti
	switch t.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Array:
		ti.walkable = true
	case reflect.Struct:
		ti.walkable = true
		for i := range t.NumField() {
			f := t.Field(i)
			switch {
			case !f.IsExported() || f.Name == "Extensions":
			case f.Name == "Origin" && f.Type == originType:
				ti.origin = i
			case f.Name == "Ref" && f.Type.Kind() == reflect.String:
				ti.ref = i
			case f.Name == "Value" && f.Type.Kind() == reflect.Pointer:
				ti.value = i
				ti.fields = append(ti.fields, i)
			default:
				ti.fields = append(ti.fields, i)
			}
		}
	}
	if t.Kind() == reflect.Pointer {
		if m, ok := t.MethodByName("Map"); ok && m.Type.NumIn() == 1 && m.Type.NumOut() == 1 && m.Type.Out(0).Kind() == reflect.Map {
			ti.mapMethod = m.Index
		}
	}
	return ti
}

func (w *refWalker) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Elem().Kind() == reflect.Struct {
			// Cycles pass through structs. A struct and its first field
			// share an address, hence the type beside it.
			t, ok := w.seen[v.Pointer()]
			switch k := (visit{v.Type(), v.Pointer()}); {
			case !ok:
				w.seen[v.Pointer()] = v.Type()
			case t == v.Type() || w.shared[k]:
				return
			default:
				w.shared[k] = true
			}
		}
		if i := w.info(v.Type()).mapMethod; i >= 0 {
			w.walk(v.Method(i).Call(nil)[0])
		}
		w.walk(v.Elem())
	case reflect.Struct:
		if v.Type() == mappingRefType {
			// A discriminator's mapping: kin-openapi does not resolve it
			// (oapi-codegen reads only the $ref string), so its value is
			// nil in every document.
			return
		}
		ti := w.info(v.Type())
		if b, ok := w.brokenRef(v, ti); ok {
			w.broken = append(w.broken, b)
			return
		}
		for _, i := range ti.fields {
			w.walk(v.Field(i))
		}
	case reflect.Map:
		if w.info(v.Type().Elem()).walkable {
			for it := v.MapRange(); it.Next(); {
				w.walk(it.Value())
			}
		}
	case reflect.Slice, reflect.Array:
		if w.info(v.Type().Elem()).walkable {
			for i := range v.Len() {
				w.walk(v.Index(i))
			}
		}
	}
}

// brokenRef reports whether v, a struct of type ti, is a reference object
// (such as openapi3.SchemaRef) with a $ref and no value.
func (w *refWalker) brokenRef(v reflect.Value, ti *typeInfo) (brokenRef, bool) {
	if ti.ref < 0 || ti.value < 0 || v.Field(ti.ref).String() == "" || !v.Field(ti.value).IsNil() {
		return brokenRef{}, false
	}
	b := brokenRef{ref: v.Field(ti.ref).String(), origin: model.Origin{File: w.source}}
	if v.CanAddr() {
		b.addr = v.Addr().Pointer()
	}
	if ti.origin >= 0 {
		o, _ := v.Field(ti.origin).Interface().(*openapi3.Origin)
		if at := fieldOrigin(o, "$ref"); at.Line > 0 {
			b.origin = at
		}
	}
	return b, true
}

// displayFile is a file name as kin-openapi stamps it into origins (a
// slash path, or a URL), as diagnostics show it.
func displayFile(name string) string {
	if strings.Contains(name, "://") {
		return name
	}
	return filepath.FromSlash(name)
}
