// The live preview beside a draft's change form: the staff preview of the public page in an
// iframe, reloaded after each autosave (static/js/newsroom-autosave.js, a few seconds after the
// last keystroke), with a desktop/phone width toggle.
(function () {
  "use strict";
  const frame = document.getElementById("nr-live-preview");
  if (!frame) return;
  const holder = frame.parentElement;
  const url = frame.getAttribute("src");

  document.addEventListener("newsroom:autosaved", () => {
    const scroll = frame.contentWindow ? frame.contentWindow.scrollY : 0;
    frame.addEventListener("load", () => frame.contentWindow && frame.contentWindow.scrollTo(0, scroll), { once: true });
    frame.src = url + (url.includes("?") ? "&" : "?") + "refresh=" + Date.now();
  });

  document.querySelectorAll(".nr-live-preview-widths button").forEach((button) => {
    button.addEventListener("click", () => {
      document.querySelectorAll(".nr-live-preview-widths button").forEach((other) => {
        other.setAttribute("aria-pressed", String(other === button));
      });
      holder.classList.toggle("nr-live-preview-frame--phone", button.dataset.width === "phone");
      holder.classList.toggle("nr-live-preview-frame--desktop", button.dataset.width !== "phone");
    });
  });
})();
