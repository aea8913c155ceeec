// Prossimo's small behaviours. Pages work without this file; it only adds convenience.
(function () {
  "use strict";

  // Move focus to the first field with an error, so keyboard and screen-reader users land on it.
  function focusFirstError(root) {
    var summary = root.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); return; }
    var invalid = root.querySelector(".is-invalid");
    if (invalid) { invalid.focus(); }
  }

  // "Add another" rows for phone numbers and reference persons (Django formsets).
  function addFormsetRow(button) {
    var prefix = button.getAttribute("data-formset-add");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty");
    var target = document.getElementById(prefix + "-rows");
    if (!total || !template || !target) { return; }
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var wrapper = document.createElement("div");
    wrapper.innerHTML = html;
    var row = wrapper.firstElementChild;
    target.appendChild(row);
    total.value = String(index + 1);
    var first = row.querySelector("input, select, textarea");
    if (first) { first.focus(); }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-add]");
    if (button) { event.preventDefault(); addFormsetRow(button); }
  });

  // Once the call form is submitted, an autosave still due would race it (and leave an empty
  // draft behind, or make the log look stale).
  document.addEventListener("submit", function (event) {
    if (event.target.id === "call-form") { event.target.setAttribute("data-submitted", ""); }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    if (form && form.hasAttribute("data-submitted")) { event.preventDefault(); }
  });

  document.addEventListener("DOMContentLoaded", function () { focusFirstError(document); });
  // The event fires on the swapped-in content. Not `event.detail.target`: with
  // hx-swap="outerHTML" (the person and consent forms) that is the element just replaced,
  // no longer in the page, and the focus would stay behind on nothing.
  document.body && document.body.addEventListener("htmx:afterSwap", function (event) {
    focusFirstError(event.target);
  });
})();
