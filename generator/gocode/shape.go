package gocode

import (
	"strings"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// shape is how the methods of one oapi-codegen server target take a
// request, and so how IdempotentServer's wrappers are written for it: the
// parameters before the operation's own, what the method returns, and the
// runtime adapter that maps the framework's request and response onto
// idempotency.Middleware. Each adapter is a package of its own, so that a
// net/http user imports no framework.
type shape struct {
	// Framework is model.Model.Framework: "" for net/http.
	Framework string
	// Param is the request parameter list ServerInterface's methods start
	// with; Args passes it on.
	Param, Args string
	// Result is " error" where the methods return one.
	Result string
	// Adapter is the adapter package's name ("idemecho"); empty for
	// net/http, whose wrappers call Middleware.Serve themselves.
	Adapter string
	// Imports are the framework's package and the adapter's.
	Imports []string
	// Mount shows IdempotentServer mounted, for its doc comment.
	Mount string
	// names are Param's parameter names, which no other parameter may take.
	names []string

	// What RegisterIdempotentHandlers needs, for a server whose handlers
	// bind the Idempotency-Key header (see keycheck.go); empty for
	// net/http, whose NewIdempotentHandler checks keys in front of any
	// router.
	//
	// Router and Options are the types of oapi-codegen's
	// RegisterHandlersWithOptions parameters.
	Router, Options string
	// routePath turns a spec path into the framework's, as oapi-codegen
	// registers it.
	routePath func(string) string
	// routeMethod is the name of the router's method that registers a
	// route of an HTTP method ("POST" or "Post").
	routeMethod func(string) string
}

var (
	netHTTPShape = shape{
		Param: "w http.ResponseWriter, r *http.Request", Args: "w, r",
		Mount: "h := HandlerFromMux(NewIdempotentServer(impl, store), http.NewServeMux())",
		names: []string{"w", "r"},
	}
	echoShape = shape{
		Framework: "echo", Param: "ctx echo.Context", Args: "ctx", Result: " error", Adapter: "idemecho",
		Imports: []string{`"github.com/labstack/echo/v4"`, `"github.com/idemgen/idemgen/runtime/idemecho"`},
		Mount:   "RegisterHandlers(e, NewIdempotentServer(impl, store)) // e := echo.New()",
		names:   []string{"ctx"},
		Router:  "EchoRouter", Options: "RegisterHandlersOptions",
		routePath: codegen.SwaggerUriToEchoUri, routeMethod: strings.ToUpper,
	}
	echo5Shape = shape{
		Framework: "echo5", Param: "ctx *echo.Context", Args: "ctx", Result: " error", Adapter: "idemecho5",
		Imports: []string{`"github.com/labstack/echo/v5"`, `"github.com/idemgen/idemgen/runtime/idemecho5"`},
		Mount:   "RegisterHandlers(e, NewIdempotentServer(impl, store)) // e := echo.New()",
		names:   []string{"ctx"},
		Router:  "EchoRouter", Options: "RegisterHandlersOptions",
		routePath: codegen.SwaggerUriToEchoUri, routeMethod: strings.ToUpper,
	}
	ginShape = shape{
		Framework: "gin", Param: "c *gin.Context", Args: "c", Adapter: "idemgin",
		Imports: []string{`"github.com/gin-gonic/gin"`, `"github.com/idemgen/idemgen/runtime/idemgin"`},
		Mount:   "RegisterHandlers(r, NewIdempotentServer(impl, store)) // r := gin.New()",
		names:   []string{"c"},
		Router:  "gin.IRouter", Options: "GinServerOptions",
		routePath: codegen.SwaggerUriToGinUri, routeMethod: strings.ToUpper,
	}
	fiberShape = shape{
		Framework: "fiber", Param: "c *fiber.Ctx", Args: "c", Result: " error", Adapter: "idemfiber",
		Imports: []string{`"github.com/gofiber/fiber/v2"`, `"github.com/idemgen/idemgen/runtime/idemfiber"`},
		Mount:   "RegisterHandlers(app, NewIdempotentServer(impl, store)) // app := fiber.New()",
		names:   []string{"c"},
		Router:  "fiber.Router", Options: "FiberServerOptions",
		routePath: codegen.SwaggerUriToFiberUri, routeMethod: titleMethod,
	}
	fiber3Shape = shape{
		Framework: "fiber3", Param: "c fiber.Ctx", Args: "c", Result: " error", Adapter: "idemfiber3",
		Imports: []string{`"github.com/gofiber/fiber/v3"`, `"github.com/idemgen/idemgen/runtime/idemfiber3"`},
		Mount:   "RegisterHandlers(app, NewIdempotentServer(impl, store)) // app := fiber.New()",
		names:   []string{"c"},
		Router:  "fiber.Router", Options: "FiberServerOptions",
		routePath: codegen.SwaggerUriToFiberUri, routeMethod: titleMethod,
	}
	irisShape = shape{
		Framework: "iris", Param: "ctx iris.Context", Args: "ctx", Adapter: "idemiris",
		Imports: []string{`"github.com/kataras/iris/v12"`, `"github.com/idemgen/idemgen/runtime/idemiris"`},
		Mount:   "RegisterHandlers(app, NewIdempotentServer(impl, store)) // app := iris.New()",
		names:   []string{"ctx"},
		Router:  "*iris.Application", Options: "IrisServerOptions",
		routePath: codegen.SwaggerUriToIrisUri, routeMethod: titleMethod,
	}
)

// shapes are the shapes by model.Model.Framework.
var shapes = map[string]*shape{
	"":       &netHTTPShape,
	"echo":   &echoShape,
	"echo5":  &echo5Shape,
	"gin":    &ginShape,
	"fiber":  &fiberShape,
	"fiber3": &fiber3Shape,
	"iris":   &irisShape,
}

// titleMethod is "Post" for "POST", as fiber and iris name their router's
// methods.
func titleMethod(m string) string {
	if m == "" {
		return m
	}
	return m[:1] + strings.ToLower(m[1:])
}
