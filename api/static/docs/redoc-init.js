// Starts ReDoc on /redoc from a file, not an inline script (CSP without 'unsafe-inline').
// Search is off: ReDoc runs it in a worker made from a blob: URL, which script-src 'self'
// forbids. Swagger UI at /docs has a filter instead.
(function () {
  "use strict";
  var element = document.getElementById("redoc");
  Redoc.init(
    element.getAttribute("data-openapi-url"),
    { disableSearch: true, expandResponses: "200", hideDownloadButton: false },
    element
  );
})();
