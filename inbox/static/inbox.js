// Inbox: a canned reply fills the reply box (the page works without it: staff can type the reply).
(function () {
  "use strict";
  document.querySelectorAll("select[data-canned-target]").forEach(function (select) {
    select.addEventListener("change", function () {
      var target = document.getElementById(select.getAttribute("data-canned-target"));
      if (target && select.value) { target.value = select.value; target.focus(); }
    });
  });
})();
// Evidence players: the duration beside each one, read from the file when the server did not note it.
(function () {
  "use strict";
  function clock(total) {
    var seconds = Math.round(total), hours = Math.floor(seconds / 3600), minutes = Math.floor(seconds / 60) % 60;
    var rest = ("0" + (seconds % 60)).slice(-2);
    return hours ? hours + ":" + ("0" + minutes).slice(-2) + ":" + rest : minutes + ":" + rest;
  }
  document.querySelectorAll("[data-media]").forEach(function (media) {
    var label = media.parentNode.querySelector("[data-duration]");
    if (!label || label.textContent.trim()) { return; }
    media.addEventListener("loadedmetadata", function () {
      if (isFinite(media.duration)) { label.textContent = clock(media.duration); }
    });
  });
})();
