// Parley portal: the live status of a click-to-call. Without this script the page refreshes itself;
// with it, each step the event stream (/calls/:id/events) delivers is appended to the list.
(() => {
  const section = document.getElementById("call-status");
  if (!section || section.dataset.final === "true" || !("EventSource" in window)) return;
  const steps = document.getElementById("steps");
  const outcome = document.getElementById("call-outcome");
  let last = Number(section.dataset.lastSeq || "0");
  // The stream is live now: the no-JS refresh would only interrupt it.
  for (const meta of document.querySelectorAll('meta[http-equiv="refresh"]')) meta.remove();
  const source = new EventSource(section.dataset.eventsUrl);
  source.addEventListener("progress", (message) => {
    const event = JSON.parse(message.data);
    if (event.seq <= last) return;
    last = event.seq;
    const item = document.createElement("li");
    item.dataset.step = event.step;
    item.dataset.seq = String(event.seq);
    const label = document.createElement("span");
    label.className = "step";
    label.textContent = event.label;
    const text = document.createElement("span");
    text.className = "message";
    text.textContent = event.message;
    item.append(label, " ", text);
    steps.append(item);
    if (event.final) {
      source.close();
      section.dataset.final = "true";
      outcome.textContent = event.outcome;
      const refresh = section.querySelector(".refresh");
      if (refresh) refresh.innerHTML = '<a href="/merchants">Back to the merchants</a>';
    }
  });
  source.addEventListener("error", () => {
    if (section.dataset.final === "true") source.close();
  });
})();
