// The lab's own script: reads the API's JSON cross-origin, as any page may (CORS).
(function () {
  "use strict";
  var api = document.querySelector('meta[name="tall-evidence-api"]').content;
  var line = document.getElementById("dataset-line");
  Promise.all([
    fetch(api + "/v1/meta").then(function (r) { return r.json(); }),
    fetch(api + "/v1/studies?target_antigen=CD7&limit=1").then(function (r) { return r.json(); }),
  ]).then(function (results) {
    line.textContent =
      results[1].total + " CD7 studies curated; dataset version " + results[0].dataset_version + ".";
    line.setAttribute("data-cd7-total", String(results[1].total));
  }).catch(function (error) {
    line.textContent = "The evidence service could not be reached (" + error.message + ").";
  });
})();
