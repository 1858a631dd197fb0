// The dispatcher's alert page: refresh the answers every few seconds without reloading the page.
// Without JavaScript the page has a <noscript> meta refresh instead.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("rapid-answers");
  if (!box || !box.dataset.refreshUrl || !window.fetch) return;
  var every = Math.max(2, parseInt(box.dataset.refreshSeconds, 10) || 5) * 1000;
  function refresh() {
    fetch(box.dataset.refreshUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) box.innerHTML = html; })
      .catch(function () {})
      .then(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
});
