// Hosted auth-link page: reacts to the hub's events. The hub itself renders the whole flow.
(() => {
  const hub = document.querySelector("stackone-hub");
  const status = document.getElementById("status");
  if (!hub || !status) return;
  hub.addEventListener("success", (event) => {
    const detail = event.detail || {};
    status.textContent = `Connected ${detail.provider || "the integration"}. You can close this window.`;
    status.hidden = false;
    if (window.opener) window.opener.postMessage({ type: "portico:account-connected", account: detail }, "*");
  });
  hub.addEventListener("close", () => {
    window.close();
    status.textContent = "All done. You can close this window.";
    status.hidden = false;
  });
})();
