// Parley click-to-call widget. A merchant pastes
//   <script src="https://parley.example/widget/parley-call.js" data-merchant-key="…" async></script>
// into a page; this renders a labelled phone-number input and a "Call me" button next to the tag
// (or inside the element whose id is in data-target), posts the call to Parley and shows each step
// in a live status line. Optional: data-number-index (which of the merchant's numbers, 0 first),
// data-label, data-button-text. Everything is written with textContent: nothing is parsed as HTML.
(() => {
  const script = document.currentScript;
  if (!(script instanceof HTMLScriptElement)) return;
  const key = script.dataset.merchantKey || "";
  const parley = new URL(script.src, document.baseURI).origin;
  const numberIndex = Number.parseInt(script.dataset.numberIndex || "0", 10) || 0;
  const NUMBER = /^(?:\+[1-9][0-9]{6,14}|[0-9]{2,8})$/;
  const seq = document.querySelectorAll("form.parley-call").length + 1;

  const form = document.createElement("form");
  form.className = "parley-call";
  form.noValidate = true;
  const label = document.createElement("label");
  label.htmlFor = `parley-call-number-${seq}`;
  label.textContent = script.dataset.label || "Your phone number";
  const input = document.createElement("input");
  input.id = label.htmlFor;
  input.name = "memberNumber";
  input.type = "tel";
  input.autocomplete = "tel";
  input.required = true;
  input.maxLength = 40;
  input.placeholder = "+4930123456";
  const button = document.createElement("button");
  button.type = "submit";
  button.textContent = script.dataset.buttonText || "Call me";
  const status = document.createElement("p");
  status.id = `parley-call-status-${seq}`;
  status.className = "parley-call-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  input.setAttribute("aria-describedby", status.id);
  form.append(label, " ", input, " ", button, status);

  const say = (text, state) => {
    status.textContent = text;
    form.dataset.state = state;
  };
  const quoted = encodeURIComponent(key);
  let last = 0;
  const show = (step) => {
    if (step.seq <= last) return;
    last = step.seq;
    form.dataset.step = step.step;
    say(step.status, step.final ? "final" : "calling");
    if (step.final) button.disabled = false;
  };
  const follow = (call) => {
    for (const step of call.steps) show(step);
    if (call.final) return;
    if (!("EventSource" in window)) {
      // No live status in this browser: the call goes on, the button is free again.
      button.disabled = false;
      return;
    }
    const source = new EventSource(
      `${parley}/widget/calls/${encodeURIComponent(call.id)}/events?key=${quoted}`,
    );
    source.addEventListener("step", (message) => {
      const step = JSON.parse(message.data);
      show(step);
      if (step.final) source.close();
    });
    source.addEventListener("error", () => {
      if (form.dataset.state !== "calling") source.close();
    });
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const memberNumber = input.value.trim().replace(/[\s().-]/g, "");
    if (!NUMBER.test(memberNumber)) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
      say(
        "Enter your number as + country code and number (for example +4930123456), or an extension.",
        "invalid",
      );
      return;
    }
    input.removeAttribute("aria-invalid");
    button.disabled = true;
    last = 0;
    say("Requesting your call…", "requesting");
    let response;
    try {
      response = await fetch(`${parley}/widget/calls?key=${quoted}`, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key, memberNumber, numberIndex }),
      });
    } catch {
      // The browser refused the request (this site is not one of the merchant's origins) or Parley
      // could not be reached; the page cannot tell the two apart.
      button.disabled = false;
      say(
        "The call was refused: this site is not allowed to place calls through Parley, or Parley cannot be reached.",
        "refused",
      );
      return;
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      button.disabled = false;
      const message = body?.error?.message;
      say(
        typeof message === "string" ? message : `The call could not be placed (${response.status}).`,
        "refused",
      );
      return;
    }
    follow(body);
  });

  const target = script.dataset.target;
  const mount = () => {
    const into = target ? document.getElementById(target) : null;
    if (into) into.append(form);
    else if (script.isConnected && !script.closest("head")) script.after(form);
    else document.body.append(form);
  };
  if (document.readyState === "loading" && (target || script.closest("head")))
    document.addEventListener("DOMContentLoaded", mount, { once: true });
  else mount();
})();
