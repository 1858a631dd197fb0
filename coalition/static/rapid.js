// The dispatcher's alert page: refresh the answers every few seconds without reloading the page.
// Without JavaScript the page has a <noscript> meta refresh instead. The list's ETag is sent
// back: an unchanged list answers 304 with no body, and the page stays as it is.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("rapid-answers");
  if (!box || !box.dataset.refreshUrl || !window.fetch) return;
  var every = Math.max(2, parseInt(box.dataset.refreshSeconds, 10) || 5) * 1000;
  var etag = null;
  function refresh() {
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(box.dataset.refreshUrl, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        if (response.status === 304 || !response.ok) return null;
        etag = response.headers.get("ETag") || null;
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        // The folded list of those who have not answered stays open if the dispatcher opened it.
        var folded = box.querySelector("details.rapid-waiting");
        var open = folded && folded.open;
        box.innerHTML = html;
        folded = box.querySelector("details.rapid-waiting");
        if (folded && open) folded.open = true;
      })
      .catch(function () {})
      .then(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
});
