// Kết Nối — the post editor: server-side Markdown preview and inserting uploaded media. Optional: the
// form works without it.
(function () {
  "use strict";
  var body = document.querySelector("textarea[data-preview-url]");
  if (!body) { return; }
  var toggle = document.querySelector("[data-preview-toggle]");
  var pane = document.querySelector("[data-preview]");

  function showPreview() {
    var form = new FormData();
    form.append("body", body.value);
    window.ketnoiFetch(body.getAttribute("data-preview-url"), {method: "POST", body: form})
      .then(function (response) { return response.ok ? response.json() : {html: ""}; })
      .then(function (data) {
        // The server has already sanitised this HTML (the same sanitiser as the public page).
        pane.innerHTML = data.html || "<p>…</p>";
        pane.hidden = false;
        body.hidden = true;
        toggle.textContent = toggle.getAttribute("data-edit-label");
      });
  }

  if (toggle && pane && window.ketnoiFetch) {
    toggle.setAttribute("data-preview-label", toggle.textContent);
    toggle.setAttribute("data-edit-label", document.documentElement.lang === "en" ? "Edit" : "Soạn tiếp");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      if (pane.hidden) { showPreview(); return; }
      pane.hidden = true;
      body.hidden = false;
      toggle.textContent = toggle.getAttribute("data-preview-label");
      body.focus();
    });
  }

  document.querySelectorAll("[data-insert]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = "\n" + button.getAttribute("data-insert") + "\n";
      var start = body.selectionStart || body.value.length;
      body.value = body.value.slice(0, start) + text + body.value.slice(body.selectionEnd || start);
      body.focus();
      body.selectionStart = body.selectionEnd = start + text.length;
    });
  });
})();
