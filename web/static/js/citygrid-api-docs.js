// The /api/v1 docs page: Swagger UI over the app's OpenAPI document.
// "Try it out" sends the signed-in session's cookie and, for changes, the
// page's CSRF token (X-CSRFToken), as the app asks of session requests.
(function () {
  "use strict";
  function start() {
    var holder = document.getElementById("swagger-ui");
    var meta = document.querySelector('meta[name="csrf-token"]');
    window.SwaggerUIBundle({
      url: holder.getAttribute("data-spec-url"),
      domNode: holder,
      deepLinking: true,
      requestInterceptor: function (req) {
        if (meta && req.method && req.method.toUpperCase() !== "GET") {
          req.headers["X-CSRFToken"] = meta.getAttribute("content");
        }
        return req;
      },
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
