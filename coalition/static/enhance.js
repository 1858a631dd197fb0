// Small progressive enhancements; every task works without them.
// Buttons carry `hidden` in the HTML and are shown only where the browser can do the job.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // <button data-copy="#input-id" data-done="Copied">: copy a link to the clipboard (the
  // Clipboard API, else the older copy command on the selected field).
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    const source = document.querySelector(button.dataset.copy);
    if (!source) return;
    const legacy = !navigator.clipboard && document.queryCommandSupported
      && document.queryCommandSupported("copy");
    if (!navigator.clipboard && !legacy) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      const text = source.value || source.textContent;
      try {
        if (navigator.clipboard) await navigator.clipboard.writeText(text);
        else { source.select(); document.execCommand("copy"); }
      } catch (error) {
        source.select();  // the person can still copy it themselves
        return;
      }
      const status = document.getElementById(button.getAttribute("aria-describedby"));
      if (status) status.textContent = button.dataset.done;
    });
  });
  // Read-only link fields select their whole text when focused (easy to copy by hand).
  document.querySelectorAll("input[readonly][type=url], textarea[readonly]").forEach((field) => {
    field.addEventListener("focus", () => field.select());
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
  // The embedded calendar's preview (organization settings) grows to the height of its list.
  const preview = document.querySelector("iframe.embed-preview");
  if (preview) {
    window.addEventListener("message", (event) => {
      const height = event.data && event.data.coalitionEmbedHeight;
      if (event.source !== preview.contentWindow || event.origin !== window.location.origin) return;
      if (typeof height === "number" && height > 0) preview.style.height = Math.min(height + 4, 20000) + "px";
    });
  }
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
