// Runs inside the embedded pages (/embed/...). Tells the embedding page how tall the
// content is, so /static/tall-evidence.js on that page can size the iframe without
// scrollbars. Only a number is sent; nothing is read from the parent.
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function report() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      window.parent.postMessage({ type: "tall-evidence:height", height: height }, "*");
    }
  }
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(report).observe(document.documentElement);
  }
  window.addEventListener("load", report);
  report();
})();
