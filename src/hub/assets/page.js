// Hosted auth-link page: reacts to the hub's events. The hub itself renders the whole flow.
(() => {
  const hub = document.querySelector("stackone-hub");
  const status = document.getElementById("status");
  const page = document.getElementById("portico-page");
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
  // Set by the server from the project's settings or the session, on the project's allowed origins.
  const successUrl = page?.dataset.successUrl;
  hub.addEventListener("success", (event) => {
    const detail = event.detail || {};
    const name = names[detail.provider] || detail.provider || "the integration";
    if (window.opener) window.opener.postMessage({ type: "portico:account-connected", account: detail }, "*");
    if (successUrl && detail.id) {
      const back = new URL(successUrl);
      back.searchParams.set("account_id", detail.id);
      if (detail.provider) back.searchParams.set("provider", detail.provider);
      show(`${name} is connected. Taking you back…`);
      // A moment on the hub's success screen, then back to the app.
      setTimeout(() => window.location.assign(back.toString()), 800);
      return;
    }
    show(`${name} is connected. You can close this window.`);
  });
  hub.addEventListener("close", () => {
    window.close();
    show("All done. You can close this window.");
  });
})();
