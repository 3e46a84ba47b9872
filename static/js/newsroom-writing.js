/* Writing in the admin (issue 11): the title's character count and the public address it will have,
   and labels for the contact pickers' search boxes (select2 leaves them unnamed for screen readers).
   Loaded by admin/releases/publishable_change_form.html; no inline script (CSP script-src 'self'). */
(function () {
  "use strict";

  var config = document.getElementById("nr-writing");

  function setUpTitle() {
    var title = document.getElementById("id_title");
    if (!title || !config) {
      return;
    }
    var count = document.createElement("p");
    count.className = "nr-title-count help";
    count.id = "nr-title-count";
    count.setAttribute("aria-live", "polite");
    (title.closest(".flex-container") || title).insertAdjacentElement("afterend", count);
    title.setAttribute("aria-describedby", ((title.getAttribute("aria-describedby") || "") + " nr-title-count").trim());
    var slug = document.getElementById("id_slug");
    var preview = document.getElementById("nr-slug-preview");

    function update() {
      var length = Array.from(title.value).length;
      var text = length + (length === 1 ? " character" : " characters");
      if (length > 110) {
        text += " — long for a headline: search engines and social cards cut it around 60 to 110";
      }
      count.textContent = text;
      if (preview) {
        var value = slug ? slug.value : (config.dataset.slug || "");
        preview.textContent = value ? config.dataset.addressPrefix + value + "/" : "—";
      }
    }
    title.addEventListener("input", update);
    if (slug) {
      // The admin's prepopulate script fills the slug on the title's keyup; read it after that.
      title.addEventListener("keyup", function () { window.setTimeout(update, 0); });
      slug.addEventListener("input", update);
      slug.addEventListener("change", update);
    }
    update();
  }

  // select2 builds its search boxes when a picker opens (and, for a multiple choice, inline in the
  // selection): each gets the name of the field it searches.
  function labelSearchBoxes(root) {
    var boxes = (root || document).querySelectorAll(".select2-search__field:not([aria-label])");
    boxes.forEach(function (box) {
      var row = box.closest(".form-row, .fieldBox, div[class*='field-']");
      var owner = document.querySelector(".select2-container--open");
      var label = row && row.querySelector("label");
      if (!label && owner) {
        var select = owner.previousElementSibling;
        label = select && select.id && document.querySelector("label[for='" + select.id + "']");
      }
      var name = label ? label.textContent.replace(/:$/, "").trim() : "options";
      box.setAttribute("aria-label", "Search " + name);
    });
  }

  // A multiple-choice picker's combobox says whether its list is open (ARIA requires aria-expanded).
  function markExpanded() {
    document.querySelectorAll(".select2-selection[role=combobox]").forEach(function (box) {
      var open = !!box.closest(".select2-container--open");
      if (box.getAttribute("aria-expanded") !== String(open)) {
        box.setAttribute("aria-expanded", String(open));
      }
      // select2 names its list with aria-owns; ARIA 1.2 wants aria-controls on a combobox.
      var owns = box.getAttribute("aria-owns");
      if (owns && box.getAttribute("aria-controls") !== owns) {
        box.setAttribute("aria-controls", owns);
      }
    });
  }

  function update() {
    labelSearchBoxes();
    markExpanded();
  }

  setUpTitle();
  update();
  new MutationObserver(update).observe(document.body, {childList: true, subtree: true, attributes: true, attributeFilter: ["class"]});
})();
