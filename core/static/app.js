// Kết Nối — progressive enhancement only; every page works without it.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  // Cookie-authenticated API writes must carry the CSRF header (CONTRACT.md).
  window.ketnoiFetch = function (url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({"X-CSRFToken": meta ? meta.content : ""}, options.headers || {});
    return fetch(url, options);
  };
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
