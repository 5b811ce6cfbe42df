import { StackOneHub } from "@stackone/hub";
import { useCallback, useEffect, useState } from "react";

/** Calls this example's backend, never Portico directly: the API key stays on the server. */
async function api(path, init) {
  const res = await fetch(path, init);
  const body = await res.json();
  if (!res.ok) throw new Error(body.message ?? `HTTP ${res.status}`);
  return body;
}

export function App() {
  const [accounts, setAccounts] = useState(null);
  const [session, setSession] = useState(null);
  const [employees, setEmployees] = useState(null);
  const [error, setError] = useState(null);

  const refresh = useCallback(() => {
    api("/api/accounts").then(setAccounts, (e) => setError(e.message));
  }, []);
  useEffect(refresh, [refresh]);

  const connect = () => {
    setError(null);
    api("/api/connect-session", { method: "POST" }).then(setSession, (e) => setError(e.message));
  };

  const listEmployees = (account) => {
    setEmployees(null);
    api(`/api/accounts/${encodeURIComponent(account.id)}/employees`).then(
      (answer) => setEmployees({ account, answer }),
      (e) => setError(e.message),
    );
  };

  return (
    <main>
      <h1>Integrations</h1>
      <p className="muted">
        Connect the tools your company uses. Portico keeps the credentials; this app never sees them.
      </p>
      {error && <p className="error">{error}</p>}

      <section aria-label="Linked accounts">
        <h2>Linked accounts</h2>
        {accounts === null ? (
          <p className="muted">Loading…</p>
        ) : accounts.length === 0 ? (
          <p className="muted">No linked accounts yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Provider</th>
                <th>Status</th>
                <th>Account</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {accounts.map((a) => (
                <tr key={a.id}>
                  <td>{a.providerName}</td>
                  <td>{a.status}</td>
                  <td>
                    <code>{a.id}</code>
                  </td>
                  <td>
                    {a.category === "hris" && (
                      <button type="button" className="secondary" onClick={() => listEmployees(a)}>
                        List employees
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {!session && (
          <p>
            <button type="button" onClick={connect}>
              Connect an account
            </button>
          </p>
        )}
      </section>

      {session && (
        <section aria-label="Connect an account">
          <StackOneHub
            token={session.token}
            baseUrl={session.portico}
            appUrl={session.portico}
            height="520px"
            onSuccess={refresh}
            onClose={() => setSession(null)}
          />
        </section>
      )}

      {employees && (
        <section aria-label="Employees">
          <h2>Employees from {employees.account.providerName}</h2>
          <p className="muted">Through Portico's proxy: the provider answered {employees.answer.status}.</p>
          <ul>
            {(employees.answer.data?.data ?? []).map((e) => (
              <li key={e.id}>
                {e.first_name} {e.last_name}
                {e.department ? ` (${e.department})` : ""}
              </li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}
