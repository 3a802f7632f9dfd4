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
