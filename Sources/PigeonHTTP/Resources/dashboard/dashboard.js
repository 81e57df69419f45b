// Pigeon's dashboard: asks before a form marked data-confirm is sent, and refreshes a live page's content
// (main[data-live], every N seconds) in place, without a reload. No other script, no external resource.
document.addEventListener("submit", (event) => {
  const question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
const live = document.querySelector("main[data-live]");
if (live) {
  const seconds = Number(live.getAttribute("data-live")) || 10;
  setInterval(async () => {
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.querySelector("main[data-live]");
      if (fresh) live.innerHTML = fresh.innerHTML;
    } catch (error) {
      // Offline for a moment: the next tick tries again.
    }
  }, seconds * 1000);
}
