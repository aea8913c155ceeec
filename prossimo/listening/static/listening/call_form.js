// The call form's details shown only when asked for: a checkbox with `data-reveals` shows the
// block its `aria-controls` names while it is ticked (e.g. "Send a referral" and its consent,
// summary and phone). Without this file every block stays visible.
(function () {
  "use strict";

  function sync(box) {
    var block = document.getElementById(box.getAttribute("aria-controls"));
    if (block) { block.hidden = !box.checked; }
  }

  function syncAll() {
    var boxes = document.querySelectorAll("input[data-reveals]");
    for (var i = 0; i < boxes.length; i += 1) { sync(boxes[i]); }
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches("input[data-reveals]")) { sync(box); }
  });
  document.addEventListener("DOMContentLoaded", syncAll);
  // The panels are built again on the server when the needs or the caller change.
  document.addEventListener("htmx:afterSettle", syncAll);
})();
