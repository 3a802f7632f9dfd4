// Kết Nối — live progress of the user's exports: polls GET /api/v1/exports/<id> every second while one runs.
(function () {
  "use strict";
  var table = document.querySelector("[data-exports]");
  if (!table || !window.ketnoiFetch) { return; }
  var FINISHED = {done: true, failed: true, expired: true};

  function label(status) { return table.getAttribute("data-label-" + status) || status; }

  function render(row, data) {
    var badge = row.querySelector("[data-status-label]");
    badge.textContent = label(data.status);
    badge.className = "badge status-" + data.status;
    row.setAttribute("data-status", data.status);
    row.querySelector("[data-progress]").value = data.progress;
    row.querySelector("[data-progress-text]").textContent = data.progress + "%";
    if (data.row_count !== null && data.row_count !== undefined) {
      row.querySelector("[data-rows]").textContent = data.row_count;
    }
    if (data.status === "done" && data.download_url) {
      var cell = row.querySelector("[data-file]");
      var link = document.createElement("a");
      link.className = "button small primary";
      link.href = data.download_url;
      link.setAttribute("download", "");
      link.textContent = table.getAttribute("data-label-download");
      var digest = document.createElement("div");
      digest.className = "muted small sha";
      digest.title = "SHA-256 " + data.sha256;
      digest.textContent = "SHA-256 " + data.sha256.slice(0, 12) + "…";
      cell.textContent = "";
      cell.appendChild(link);
      cell.appendChild(digest);
    }
  }

  function poll(row) {
    window.ketnoiFetch(row.getAttribute("data-url"), {headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        render(row, data);
        if (!FINISHED[data.status]) { window.setTimeout(function () { poll(row); }, 1000); }
      })
      .catch(function () { window.setTimeout(function () { poll(row); }, 3000); });
  }

  table.querySelectorAll("tr[data-export-id]").forEach(function (row) {
    if (!FINISHED[row.getAttribute("data-status")]) { window.setTimeout(function () { poll(row); }, 1000); }
  });
})();
