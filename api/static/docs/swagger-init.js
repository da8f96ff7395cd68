// Starts Swagger UI on /docs. A file, not an inline script, so the page works under a
// Content-Security-Policy without 'unsafe-inline'.
(function () {
  "use strict";
  var element = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: element.getAttribute("data-openapi-url"),
    domNode: element,
    deepLinking: true,
    // No call to the public validator service: the docs work offline.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
