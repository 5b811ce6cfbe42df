// OAuth popup landing page: the hub polls the connection attempt, so this page only has to close.
window.close();
setTimeout(() => {
  const p = document.getElementById("status");
  if (p) p.textContent = "You can close this window and return to the application.";
}, 300);
