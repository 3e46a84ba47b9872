/* The edition change form: ask before leaving with unsaved changes, and tell the
   newsroom this form is open (the "Jane has been editing this since 10:42" notice). */
(function () {
  "use strict";
  var marker = document.getElementById("nr-editing");
  var form = marker && marker.closest("form");
  if (!form) {
    return;
  }
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  var dirty = false;
  var leaving = false;

  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("submit", function () { leaving = true; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !leaving) {
      event.preventDefault();
      event.returnValue = "";  // older browsers need a value to show their own prompt
    }
  });

  function report() {
    var body = new URLSearchParams({csrfmiddlewaretoken: csrf ? csrf.value : ""});
    return fetch(marker.dataset.presenceUrl, {method: "POST", body: body, credentials: "same-origin"});
  }

  // While the form is open and on screen. Leaving needs no message: a save says so on the server,
  // and a closed tab is forgotten when its heartbeats stop (releases/presence.py).
  var seconds = parseInt(marker.dataset.heartbeat, 10) || 30;
  window.setInterval(function () {
    if (document.visibilityState === "visible") {
      report().catch(function () {});
    }
  }, seconds * 1000);
})();
