// Hosted auth-link page: reacts to the hub's events. The hub itself renders the whole flow.
(() => {
  const hub = document.querySelector("stackone-hub");
  const status = document.getElementById("status");
  const page = document.getElementById("portico-page");
  if (!hub || !status) return;
  // Set by the server from the project's settings or the session, on the project's allowed origins.
  const successUrl = page?.dataset.successUrl;
  hub.addEventListener("success", (event) => {
    const detail = event.detail || {};
    if (window.opener) window.opener.postMessage({ type: "portico:account-connected", account: detail }, "*");
    if (successUrl && detail.id) {
      const back = new URL(successUrl);
      back.searchParams.set("account_id", detail.id);
      if (detail.provider) back.searchParams.set("provider", detail.provider);
      status.textContent = `Connected ${detail.provider || "the integration"}. Taking you back…`;
      status.hidden = false;
      // A moment on the hub's success screen, then back to the app.
      setTimeout(() => window.location.assign(back.toString()), 800);
      return;
    }
    status.textContent = `Connected ${detail.provider || "the integration"}. You can close this window.`;
    status.hidden = false;
  });
  hub.addEventListener("close", () => {
    window.close();
    status.textContent = "All done. You can close this window.";
    status.hidden = false;
  });
})();
