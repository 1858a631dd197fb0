// For member sites that embed the calendar: makes each <iframe data-coalition-embed> as tall as
// its list. Optional (without it the frame keeps its height and scrolls).
"use strict";
(() => {
  window.addEventListener("message", (event) => {
    const height = event.data && event.data.coalitionEmbedHeight;
    if (typeof height !== "number" || height <= 0) return;
    document.querySelectorAll("iframe[data-coalition-embed]").forEach((frame) => {
      if (frame.contentWindow !== event.source) return;
      if (new URL(frame.src, document.baseURI).origin !== event.origin) return;
      frame.style.height = Math.min(height + 4, 20000) + "px";
    });
  });
})();
