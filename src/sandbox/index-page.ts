import { escapeHtml, htmlDocument } from "../http/html.js";
import { SANDBOX_CREDENTIALS } from "./entries.js";

/** GET /sandbox: what the sandbox providers are and the credentials they accept. */
export const sandboxIndexHtml = (publicUrl: string): string =>
  htmlDocument(
    "Portico sandbox providers",
    `<div class="card">
<h1>Sandbox providers</h1>
<p>Built into Portico so that linking, verification, OAuth and the proxy work offline. Turn them off with <code>PORTICO_SANDBOX=false</code>.</p>
<p><b>Sandbox HRIS</b> (API key): use <code>${SANDBOX_CREDENTIALS.hrisApiKey}</code>. API: <code>GET /me</code>, <code>GET /employees</code>, <code>GET /employees/:id</code>.</p>
<p><b>Sandbox ATS</b> (basic): <code>${SANDBOX_CREDENTIALS.atsUsername}</code> / <code>${SANDBOX_CREDENTIALS.atsPassword}</code>. API: <code>GET /me</code>, <code>GET /jobs</code>, <code>GET|POST /candidates</code>.</p>
<p><b>Sandbox CRM</b> (OAuth2 with PKCE and rotating refresh tokens): click Allow on its consent page. API: <code>GET /me</code>, <code>GET /contacts</code>.</p>
<p>Call them through the proxy: <code>POST ${escapeHtml(publicUrl)}/unified/proxy</code> with <code>x-account-id</code>.</p>
</div>`,
  );
