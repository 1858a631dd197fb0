// Optional: tell the page that frames the embedded calendar how tall the list is, so that its
// snippet (embed-parent.js) can size the frame. Nothing else leaves the frame.
"use strict";
(() => {
  if (window.parent === window) return;
  let last = 0;
  const send = () => {
    const height = Math.ceil(document.documentElement.scrollHeight);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ coalitionEmbedHeight: height }, "*");
  };
  window.addEventListener("load", send);
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.body);
})();
