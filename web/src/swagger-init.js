// Starts Swagger UI on /api/v1/docs (web/templates/swagger_ui.html) from the container's
// data attributes: the page's URL of the OpenAPI document, then OPENAPI_SWAGGER_UI_CONFIG.
(function () {
  "use strict";

  function read(name) {
    var box = document.getElementById("swagger-ui-container");
    return box && box.dataset[name] ? JSON.parse(box.dataset[name]) : {};
  }

  function start() {
    // no badge from the public validator: the users' network is closed, and the CSP
    // allows images from this site only
    var config = { validatorUrl: null };
    var base = read("config");
    var overrides = read("overrides");
    Object.keys(base).forEach(function (key) { config[key] = base[key]; });
    Object.keys(overrides).forEach(function (key) { config[key] = overrides[key]; });
    window.ui = window.SwaggerUIBundle(config);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
