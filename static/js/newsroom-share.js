// "Copy link" on a public item (templates/releases/includes/share.html). Without JavaScript the
// read-only field holds the address to copy by hand; with it, the button copies it in one click.
for (const button of document.querySelectorAll(".share-copy-button")) {
  const field = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector(".share-copy-status");
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = "Link copied.";
    } catch {
      // No clipboard access (an old browser, a denied permission): select it for Ctrl+C.
      field.select();
      status.textContent = "Press Ctrl+C (⌘C) to copy the selected link.";
    }
  });
}
