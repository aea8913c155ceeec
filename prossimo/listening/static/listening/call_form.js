// The call form's details shown only when asked for: a checkbox with `data-reveals` shows the
// block its `aria-controls` names while it is ticked (e.g. "Send a referral" and its consent,
// summary and phone), and says so with `aria-expanded`. Without this file every block stays
// visible (the server renders `aria-expanded="true"`).
(function () {
  "use strict";

  function sync(box) {
    var block = document.getElementById(box.getAttribute("aria-controls"));
    if (block) {
      block.hidden = !box.checked;
      box.setAttribute("aria-expanded", box.checked ? "true" : "false");
    }
  }

  function syncAll() {
    var boxes = document.querySelectorAll("input[data-reveals]");
    for (var i = 0; i < boxes.length; i += 1) { sync(boxes[i]); }
  }

  // When the panels are built again, screen readers hear what they found (their
  // `data-call-panel-status` texts). A live region is announced only when it changes while
  // already in the page, so it is made once, beside the block htmx replaces, never inside it.
  var status = null;

  function makeStatus() {
    var body = document.getElementById("call-panels-body");
    if (!body || status) { return; }
    status = document.createElement("p");
    status.id = "call-panels-status";
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    body.parentNode.insertBefore(status, body);
  }

  function announcePanels(event) {
    if (!status || event.target.id !== "call-panels-body") { return; }
    var texts = [];
    var parts = event.target.querySelectorAll("[data-call-panel-status]");
    for (var i = 0; i < parts.length; i += 1) { texts.push(parts[i].textContent.trim()); }
    status.textContent = texts.join(" ");
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches("input[data-reveals]")) { sync(box); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    syncAll();
    makeStatus();
  });
  // The panels are built again on the server when the needs or the caller change.
  document.addEventListener("htmx:afterSettle", function (event) {
    syncAll();
    announcePanels(event);
  });
})();
