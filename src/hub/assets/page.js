// Hosted auth-link page: reacts to the hub's events. The hub itself renders the whole flow.
(() => {
  const hub = document.querySelector("stackone-hub");
  const status = document.getElementById("status");
  if (!hub || !status) return;
  /** Provider key -> name, as the hub lists them (set by the server). */
  let names = {};
  try {
    names = JSON.parse(status.dataset.names || "{}");
  } catch {}
  const show = (text) => {
    status.textContent = text;
    status.hidden = false;
  };
  hub.addEventListener("success", (event) => {
    const detail = event.detail || {};
    const name = names[detail.provider] || detail.provider || "the integration";
    show(`${name} is connected. You can close this window.`);
    if (window.opener) window.opener.postMessage({ type: "portico:account-connected", account: detail }, "*");
  });
  hub.addEventListener("close", () => {
    window.close();
    show("All done. You can close this window.");
  });
})();
