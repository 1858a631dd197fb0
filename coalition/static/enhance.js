// Small progressive enhancements; every task works without them.
// Buttons carry `hidden` in the HTML and are shown only where the browser can do the job.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // <button data-copy="#input-id" data-done="Copied">: copy a link to the clipboard.
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    const source = document.querySelector(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(source.value || source.textContent);
      const status = document.getElementById(button.getAttribute("aria-describedby"));
      if (status) status.textContent = button.dataset.done;
    });
  });
  // <button data-share="#input-id" data-title="...">: the phone's own share sheet.
  document.querySelectorAll("button[data-share]").forEach((button) => {
    const source = document.querySelector(button.dataset.share);
    if (!source || !navigator.share) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      navigator.share({ title: button.dataset.title, url: source.value }).catch(() => {});
    });
  });
  // The event form: the main language's text has its own fields, so hide that language among
  // the translations.
  const main = document.getElementById("primary_language");
  if (main) {
    const sync = () => document.querySelectorAll("[data-language-fields]").forEach((block) => {
      block.hidden = block.dataset.languageFields === main.value;
    });
    main.addEventListener("change", sync);
    sync();
  }
  // The language switcher changes the language as soon as one is chosen.
  const language = document.getElementById("language-switch");
  if (language && language.form) {
    language.addEventListener("change", () => language.form.requestSubmit());
    language.form.querySelector("button[type=submit]").hidden = true;
  }
  // <button data-print>: print the page (rosters and sign-in sheets have print styles).
  document.querySelectorAll("button[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });
});
