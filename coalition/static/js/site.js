// Small enhancements; every page works without them. Loaded as a file: the
// Content-Security-Policy allows no inline script.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-navigate]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.value) window.location = select.value;
    });
  });
});
