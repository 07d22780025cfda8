package e2e

// The generated servers import these routers and frameworks inside the
// temporary modules, which take their versions from this module's go.mod.
// Importing them here keeps them there, pinned, so that go mod tidy does not
// drop them and the end-to-end builds never pick a version of their own.
import (
	_ "github.com/gin-gonic/gin"
	_ "github.com/go-chi/chi/v5"
	_ "github.com/gofiber/fiber/v2"
	_ "github.com/gofiber/fiber/v2/middleware/recover"
	_ "github.com/gofiber/fiber/v3"
	_ "github.com/gofiber/fiber/v3/middleware/recover"
	_ "github.com/gorilla/mux"
	_ "github.com/kataras/iris/v12"
	_ "github.com/kataras/iris/v12/middleware/recover"
	_ "github.com/labstack/echo/v4"
	_ "github.com/labstack/echo/v4/middleware"
	_ "github.com/labstack/echo/v5"
	_ "github.com/labstack/echo/v5/middleware"
)
