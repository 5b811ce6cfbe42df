/** A tiny DOM builder: the console is plain semantic HTML made by these few helpers. */
export type Child = Node | string | number | null | undefined | false | Child[];
type Props = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function")
      el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    else if (key === "value" || key === "checked" || key === "selected" || key === "disabled")
      (el as unknown as Record<string, unknown>)[key] = value;
    else el.setAttribute(key === "className" ? "class" : key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else
      parent.appendChild(
        typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c,
      );
  }
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let ids = 0;
/** A unique id for label/control pairs. */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/** A labelled control: `<label for>` and the control, in a field wrapper. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || uid("f");
  control.id = id;
  const hintEl = hint ? h("p", { className: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { className: "field" }, h("label", { for: id }, label), control, hintEl);
}

export const time = (iso: string | null | undefined): Child => {
  if (!iso) return "—";
  const d = new Date(iso);
  return h("time", { datetime: iso, title: iso }, d.toLocaleString());
};

export const badge = (text: string, kind = text): HTMLElement =>
  h("span", { className: `badge badge-${kind.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}` }, text);

/** "Redirect URI" -> "redirect URI", "API key" -> "API key": lower case, acronyms kept. */
export const lowerLabel = (label: string): string =>
  label
    .split(" ")
    .map((w) => (w.length > 1 && w === w.toUpperCase() ? w : w.toLowerCase()))
    .join(" ");

/** Text in a read-only input with a Copy button (and the result said to screen readers). */
export function copyable(label: string, value: string, opts: { open?: boolean } = {}): HTMLElement {
  const input = h("input", { type: "text", readonly: true, value, className: "mono" });
  const status = h("span", { className: "copied", role: "status" });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      input.select();
      document.execCommand("copy");
    }
    status.textContent = "Copied";
    setTimeout(() => {
      status.textContent = "";
    }, 2000);
  };
  return h(
    "div",
    { className: "copyable" },
    field(label, input),
    h(
      "div",
      { className: "actions" },
      h("button", { type: "button", onClick: copy }, `Copy ${lowerLabel(label)}`),
      opts.open
        ? h(
            "a",
            { href: value, target: "_blank", rel: "noopener noreferrer", className: "button" },
            "Open link",
          )
        : null,
      status,
    ),
  );
}

/** A modal confirmation (native <dialog>): resolves true when confirmed. */
export function confirmDialog(title: string, text: string, action: string): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = uid("dlg");
    const dialog = h(
      "dialog",
      { "aria-labelledby": titleId, className: "confirm" },
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: titleId }, title),
        h("p", null, text),
        h(
          "div",
          { className: "actions" },
          h("button", { value: "cancel", type: "submit" }, "Cancel"),
          h("button", { value: "confirm", type: "submit", className: "danger" }, action),
        ),
      ),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "confirm");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** A number as a number: tabular figures, grouped by the reader's locale. */
export const num = (n: number): HTMLElement => h("span", { className: "num" }, n.toLocaleString());

/**
 * A long identifier, path or URL that may break after its separators (/ . _ - ? & =) and nowhere
 * else: narrow screens wrap it there instead of in the middle of a word.
 */
export function breakable(text: string): DocumentFragment {
  const out = document.createDocumentFragment();
  for (const part of text.split(/(?<=[/._?&=-])/)) {
    if (out.childNodes.length) out.append(document.createElement("wbr"));
    out.append(part);
  }
  return out;
}

/** Preformatted JSON or text that may scroll sideways: focusable, so the keyboard scrolls it too. */
export const codeBlock = (label: string, value: unknown): HTMLElement =>
  h(
    "pre",
    { className: "json", tabindex: "0", role: "region", "aria-label": label },
    typeof value === "string" ? value : JSON.stringify(value, null, 2),
  );

/**
 * A table. Columns whose cells are all numbers are numeric (right-aligned, tabular figures). On a
 * phone each row stacks into a card of label and value (styles.css), so cells never wrap inside
 * a word; explicit ARIA roles keep it a table for assistive technology when CSS changes its display.
 */
export const table = (
  caption: string,
  head: string[],
  rows: Child[][],
  empty = "Nothing yet.",
): HTMLElement => {
  if (rows.length === 0) return h("p", { className: "empty" }, empty);
  const numeric = head.map((_, i) =>
    rows.every((r) => typeof r[i] === "number" || r[i] === "—" || r[i] === null || r[i] === undefined),
  );
  return h(
    "div",
    // Scrolls sideways when wide: focusable, so the keyboard can scroll it too.
    { className: "table-wrap", role: "group", "aria-label": caption, tabindex: "0" },
    h(
      "table",
      { role: "table" },
      h("caption", { className: "visually-hidden" }, caption),
      h(
        "thead",
        { role: "rowgroup" },
        h(
          "tr",
          { role: "row" },
          head.map((c, i) =>
            h("th", { scope: "col", role: "columnheader", className: numeric[i] ? "num" : undefined }, c),
          ),
        ),
      ),
      h(
        "tbody",
        { role: "rowgroup" },
        rows.map((r) =>
          h(
            "tr",
            { role: "row" },
            r.map((c, i) =>
              h(
                "td",
                { role: "cell", "data-label": head[i] ?? "", className: numeric[i] ? "num" : undefined },
                typeof c === "number" ? c.toLocaleString() : c,
              ),
            ),
          ),
        ),
      ),
    ),
  );
};

/**
 * Said where the operator's role cannot change what the page shows: what they may do, and which
 * role the rest needs. The controls themselves are hidden or disabled beside it.
 */
export function roleNote(have: string, need: string, changes = "changes here"): HTMLElement {
  const article = (role: string) => (role === "viewer" ? "a" : "an");
  return h(
    "p",
    { className: "note", role: "note" },
    `You are ${article(have)} ${have}: you can look, and ${changes} need the ${need} role.`,
  );
}

export function alertBox(message: string): HTMLElement {
  return h("p", { className: "alert", role: "alert" }, message);
}

/** A form whose submit runs `action`; a failure is shown as an alert at the form's end. */
export function actionForm(
  props: Props,
  action: (form: HTMLFormElement) => Promise<void>,
  ...children: Child[]
): HTMLFormElement {
  const problem = h("div");
  const form = h(
    "form",
    {
      ...props,
      onSubmit: async (e: Event) => {
        e.preventDefault();
        replace(problem);
        try {
          await action(form);
        } catch (err) {
          replace(problem, alertBox((err as Error).message));
        }
      },
    },
    children,
    problem,
  );
  return form;
}

/**
 * The filters above a list: its fields, "Apply" (which hands the form's data to `apply`, to
 * navigate to the filtered list) and "Clear" (a link to the unfiltered one).
 */
export function filterForm(
  label: string,
  clearHref: string,
  apply: (data: FormData) => void,
  ...fields: Child[]
): HTMLFormElement {
  const form = h(
    "form",
    {
      className: "filters",
      role: "search",
      "aria-label": label,
      onSubmit: (e: Event) => {
        e.preventDefault();
        apply(new FormData(form));
      },
    },
    fields,
    h(
      "div",
      { className: "actions" },
      h("button", { type: "submit", className: "primary" }, "Apply"),
      h("a", { href: clearHref, className: "button" }, "Clear"),
    ),
  );
  return form;
}

/**
 * "Previous" and "Next" for keyset pages: `stack` holds the cursors of the pages before this
 * one (kept by the page between renders), `go` shows the page a cursor starts.
 */
export function pager(
  label: string,
  stack: string[],
  current: string | undefined,
  next: string | null,
  go: (cursor: string | undefined) => void,
): HTMLElement {
  return h(
    "nav",
    { className: "pager", "aria-label": label },
    current
      ? h(
          "button",
          { type: "button", onClick: () => go(stack.pop() || undefined) },
          stack.length ? "Previous page" : "First page",
        )
      : null,
    next
      ? h(
          "button",
          {
            type: "button",
            onClick: () => {
              stack.push(current ?? "");
              go(next);
            },
          },
          "Next page",
        )
      : null,
  );
}

/**
 * A button for something that cannot be undone: asks in a dialog first, then runs `run`.
 * `label` is what the button says; `name` (for screen readers) says what it acts on.
 */
export function dangerButton(
  label: string,
  name: string,
  ask: { title: string; text: string; confirm: string },
  run: () => Promise<void>,
): HTMLButtonElement {
  return h(
    "button",
    {
      type: "button",
      className: "danger",
      onClick: async () => {
        if (await confirmDialog(ask.title, ask.text, ask.confirm)) await run();
      },
    },
    label,
    name ? h("span", { className: "visually-hidden" }, ` ${name}`) : null,
  );
}
