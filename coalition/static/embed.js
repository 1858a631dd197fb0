// Optional: tell the page that frames the embedded calendar how tall the list is, so that its
// snippet (embed-parent.js) can size the frame. Nothing else leaves the frame.
"use strict";
(() => {
  if (window.parent === window) return;
  let last = 0;
  const send = () => {
    // The list's own height, not the document's: that is never less than the frame, so a
    // frame taller than its list would keep its blank band.
    const body = document.body;
    const height = Math.ceil(body.getBoundingClientRect().bottom + window.scrollY
      + parseFloat(getComputedStyle(body).marginBottom || "0"));
    if (height === last) return;
    last = height;
    window.parent.postMessage({ coalitionEmbedHeight: height }, "*");
  };
  window.addEventListener("load", send);
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.body);
})();
