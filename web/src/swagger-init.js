// Starts Swagger UI on /api/v1/docs (web/templates/swagger_ui.html) from its JSON data
// blocks: the page's URL of the OpenAPI document, then OPENAPI_SWAGGER_UI_CONFIG on top.
(function () {
  "use strict";

  function read(id) {
    var block = document.getElementById(id);
    return block ? JSON.parse(block.textContent || "{}") : {};
  }

  function start() {
    // no badge from the public validator: the users' network is closed, and the CSP
    // allows images from this site only
    var config = { validatorUrl: null };
    var base = read("swagger-ui-config");
    var overrides = read("swagger-ui-overrides");
    Object.keys(base).forEach(function (key) { config[key] = base[key]; });
    Object.keys(overrides).forEach(function (key) { config[key] = overrides[key]; });
    window.ui = window.SwaggerUIBundle(config);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
