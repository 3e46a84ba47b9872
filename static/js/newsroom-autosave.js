// Autosave of a draft's change form (releases/admin.py, autosave_view): a few seconds after the
// last keystroke the form is posted in the background; the answer's revision goes into the
// form's hidden "revision", so the next autosave and the Save button carry it. Someone else's
// save (409) stops autosaving and says so: nothing is ever overwritten. "Saved 10:42" says when.
(function () {
  "use strict";
  const status = document.getElementById("nr-autosave");
  if (!status) return;
  const revision = document.querySelector("input[name=revision]");
  const form = revision && revision.form;
  if (!form) return;
  const delay = Number(status.dataset.delay) || 3000;
  let timer = null;
  let inFlight = null;
  let again = false;
  let stopped = false;

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("errornote", Boolean(isError));
  }

  function body() {
    const data = new FormData(form);
    for (const [name, value] of [...data.entries()]) {
      if (value instanceof File) data.delete(name); // pictures are saved by the Save button
    }
    return data;
  }

  function save() {
    timer = null;
    if (stopped) return;
    if (inFlight) {
      again = true;
      return;
    }
    say("Saving…");
    inFlight = fetch(status.dataset.url, {
      method: "POST", body: body(), credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest" },
    })
      .then((response) => response.json().catch(() => ({ status: "error" })).then((answer) => {
        if (answer.status === "saved" || answer.status === "unchanged") {
          revision.value = answer.revision;
          if (answer.status === "saved") {
            say("Saved " + answer.saved_at);
            document.dispatchEvent(new CustomEvent("newsroom:autosaved", { detail: answer }));
            status.dataset.savedAt = answer.saved_at;
          } else {
            say(status.dataset.savedAt ? "Saved " + status.dataset.savedAt : "");
          }
        } else if (answer.status === "conflict") {
          stopped = true;
          say(answer.message + " Autosave has stopped; your text is still in the form.", true);
        } else {
          say(answer.message || "Not saved automatically. Use the Save button.", true);
        }
      }))
      .catch(() => say("Not saved automatically: the server can't be reached. Your text is still in the form.", true))
      .finally(() => {
        inFlight = null;
        if (again) {
          again = false;
          schedule();
        }
      });
  }

  function schedule(event) {
    if (stopped) return;
    if (event && event.target && event.target.type === "file") return;
    clearTimeout(timer);
    timer = setTimeout(save, delay);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", (event) => {
    clearTimeout(timer);
    timer = null;
    stopped = true;
    if (inFlight) {
      // Let the background save finish first, so the form carries the revision it produced.
      event.preventDefault();
      const submitter = event.submitter;
      inFlight.then(() => form.requestSubmit(submitter));
    }
  });
})();
