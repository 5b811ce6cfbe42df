/**
 * Field validation patterns (`auth.fields[].validation.pattern`) run on what end users type into
 * the hub, so each must scan in time linear in its input: JavaScript's regular expressions
 * backtrack, and a pattern such as `^(a+)+$` or `^\d+\d+$` takes exponential or quadratic time on
 * a crafted value. A pattern is accepted when it is in a small subset whose scan cannot backtrack
 * more than a constant per character:
 *
 * - anchored at both ends (`^...$`, no top-level `|`), so only one start position is tried;
 * - character classes, `.`, `\d \w \s` (and their negations), escaped punctuation and literals;
 *   groups `(...)` / `(?:...)` with alternatives; quantifiers `? * + {m} {m,} {m,n}`;
 * - no backreferences, lookarounds or other escapes;
 * - a group is repeated at most by `?`;
 * - a character repeated more than 64 times (`*`, `+`, `{m,}`, `{m,n}` with n > 64) is never
 *   followed by something that can start with that same character, so where a run ends is never
 *   in doubt (`^[a-z]+[0-9]+$` is fine, `^[a-z]+[a-z0-9]+$` is not).
 *
 * `pumps` builds, from the same parse, the inputs that would make a pattern outside the subset
 * backtrack: the adversarial inputs the timing test feeds every catalog pattern.
 */

/** Which characters an atom matches: the 128 ASCII ones, and whether any other one. */
type CharSet = { ascii: boolean[]; other: boolean };

type Item =
  | { kind: "char"; set: CharSet; min: number; max: number }
  | { kind: "group"; alternatives: Item[][]; min: number; max: number };

const REPEAT_BOUND = 64;
const INFINITE = Number.POSITIVE_INFINITY;

class PatternError extends Error {}

const empty = (): CharSet => ({ ascii: Array(128).fill(false), other: false });
const union = (a: CharSet, b: CharSet): CharSet => ({
  ascii: a.ascii.map((x, i) => x || b.ascii[i]!),
  other: a.other || b.other,
});
const negate = (a: CharSet): CharSet => ({ ascii: a.ascii.map((x) => !x), other: !a.other });
const overlaps = (a: CharSet, b: CharSet) => (a.other && b.other) || a.ascii.some((x, i) => x && b.ascii[i]);
const range = (from: number, to: number, set = empty()): CharSet => {
  for (let c = from; c <= to; c++) set.ascii[c] = true;
  return set;
};
const chars = (text: string, set = empty()): CharSet => {
  for (const c of text) set.ascii[c.charCodeAt(0)] = true;
  return set;
};
const single = (ch: string): CharSet => {
  const set = empty();
  if (ch.charCodeAt(0) < 128) set.ascii[ch.charCodeAt(0)] = true;
  else set.other = true;
  return set;
};

const DIGIT = range(48, 57);
const WORD = chars("_", range(97, 122, range(65, 90, range(48, 57))));
// \s also matches Unicode spaces, hence `other`.
const SPACE = { ...chars(" \t\n\v\f\r"), other: true };
const NOT_SPACE = { ...negate(chars(" \t\n\v\f\r")), other: true };
const DOT = { ...negate(chars("\n\r")), other: true };
const CLASS_ESCAPES: Record<string, CharSet> = {
  d: DIGIT,
  D: negate(DIGIT),
  w: WORD,
  W: negate(WORD),
  s: SPACE,
  S: NOT_SPACE,
};
const CONTROL_ESCAPES: Record<string, string> = { t: "\t", n: "\n", r: "\r", v: "\v", f: "\f" };
const PUNCTUATION = "\\^$.|?*+()[]{}/-_:,=!@#%&~<>'\"`;";

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  parse(): Item[] {
    if (this.src[0] !== "^") throw new PatternError("must start with ^");
    if (!this.src.endsWith("$") || this.src.endsWith("\\$"))
      throw new PatternError("must end with $ (the whole value must match)");
    this.i = 1;
    const end = this.src.length - 1;
    const alternatives = this.alternation(end);
    if (this.i !== end) throw new PatternError(`unexpected "${this.src[this.i]}"`);
    if (alternatives.length > 1) throw new PatternError("a top-level | needs a group: ^(a|b)$");
    return alternatives[0]!;
  }

  private alternation(end: number): Item[][] {
    const out: Item[][] = [this.sequence(end)];
    while (this.i < end && this.src[this.i] === "|") {
      this.i++;
      out.push(this.sequence(end));
    }
    return out;
  }

  private sequence(end: number): Item[] {
    const items: Item[] = [];
    while (this.i < end && this.src[this.i] !== "|" && this.src[this.i] !== ")") {
      const atom = this.atom(end);
      const [min, max] = this.quantifier(end);
      if (atom.kind === "group" && max > 1) throw new PatternError("a group may be repeated only by ?");
      items.push({ ...atom, min, max } as Item);
    }
    return items;
  }

  private atom(end: number): { kind: "char"; set: CharSet } | { kind: "group"; alternatives: Item[][] } {
    const c = this.src[this.i]!;
    if (c === "(") {
      this.i++;
      if (this.src[this.i] === "?") {
        if (this.src[this.i + 1] !== ":")
          throw new PatternError("lookarounds and named groups are not allowed");
        this.i += 2;
      }
      const alternatives = this.alternation(end);
      if (this.src[this.i] !== ")") throw new PatternError("unclosed group");
      this.i++;
      return { kind: "group", alternatives };
    }
    if (c === "[") return { kind: "char", set: this.charClass(end) };
    if (c === ".") {
      this.i++;
      return { kind: "char", set: DOT };
    }
    if (c === "\\") return { kind: "char", set: this.escape(false) };
    if ("*+?{}".includes(c)) throw new PatternError(`nothing to repeat before "${c}"`);
    if (c === "^" || c === "$") throw new PatternError(`${c} only at the ends`);
    this.i++;
    return { kind: "char", set: single(c) };
  }

  private escape(inClass: boolean): CharSet {
    const c = this.src[this.i + 1];
    if (c === undefined) throw new PatternError("a pattern cannot end with \\");
    this.i += 2;
    const cls = CLASS_ESCAPES[c];
    if (cls) return cls;
    const control = CONTROL_ESCAPES[c];
    if (control) return single(control);
    if (PUNCTUATION.includes(c)) return single(c);
    if (inClass && c === "b") return single("\b");
    throw new PatternError(`\\${c} is not allowed (backreferences, boundaries and code escapes are not)`);
  }

  private classChar(): { set: CharSet; ch?: string } {
    const c = this.src[this.i]!;
    if (c === "\\") {
      const next = this.src[this.i + 1] ?? "";
      const set = this.escape(true);
      const ch = CLASS_ESCAPES[next] ? undefined : (CONTROL_ESCAPES[next] ?? (next === "b" ? "\b" : next));
      return { set, ch };
    }
    this.i++;
    return { set: single(c), ch: c };
  }

  private charClass(end: number): CharSet {
    this.i++;
    const negated = this.src[this.i] === "^";
    if (negated) this.i++;
    let set = empty();
    let first = true;
    while (this.i < end && (this.src[this.i] !== "]" || first)) {
      first = false;
      const from = this.classChar();
      if (
        from.ch !== undefined &&
        this.src[this.i] === "-" &&
        this.src[this.i + 1] !== "]" &&
        this.i + 1 < end
      ) {
        this.i++;
        const to = this.classChar();
        if (to.ch === undefined) throw new PatternError("a range must end with a character");
        const a = from.ch.charCodeAt(0);
        const b = to.ch.charCodeAt(0);
        if (b < a) throw new PatternError("a range out of order");
        set = range(Math.min(a, 127), Math.min(b, 127), set);
        if (b >= 128) set.other = true;
      } else set = union(set, from.set);
    }
    if (this.src[this.i] !== "]") throw new PatternError("unclosed [");
    this.i++;
    return negated ? negate(set) : set;
  }

  private quantifier(end: number): [number, number] {
    const c = this.src[this.i];
    let q: [number, number] = [1, 1];
    if (c === "?") q = [0, 1];
    else if (c === "*") q = [0, INFINITE];
    else if (c === "+") q = [1, INFINITE];
    else if (c === "{") {
      const m = /^\{(\d{1,4})(,(\d{0,4}))?\}/.exec(this.src.slice(this.i, end));
      if (!m) throw new PatternError("a malformed {m,n}");
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === "" ? INFINITE : Number(m[3]);
      if (max < min) throw new PatternError("{m,n} with n < m");
      this.i += m[0].length - 1;
      q = [min, max];
    } else return q;
    this.i++;
    if (this.src[this.i] === "?") this.i++;
    return q;
  }
}

/** What can come first in a sequence, and whether the sequence can match nothing. */
function firsts(items: Item[], after: CharSet): CharSet {
  let set = empty();
  for (const item of items) {
    const own =
      item.kind === "char"
        ? item.set
        : item.alternatives.map((a) => firsts(a, empty())).reduce(union, empty());
    set = union(set, own);
    if (item.min > 0 && (item.kind === "char" || !item.alternatives.some((a) => nullable(a)))) return set;
  }
  return union(set, after);
}

const nullable = (items: Item[]): boolean =>
  items.every((i) => i.min === 0 || (i.kind === "group" && i.alternatives.some(nullable)));

/** Calls `visit` for each item with the set of characters that may follow it. */
function walk(items: Item[], after: CharSet, visit: (item: Item, follow: CharSet) => void) {
  items.forEach((item, index) => {
    const follow = firsts(items.slice(index + 1), after);
    visit(item, follow);
    if (item.kind === "group") for (const alt of item.alternatives) walk(alt, follow, visit);
  });
}

/** Null when the pattern scans in linear time (the subset above), else why not. */
export function linearPatternProblem(pattern: string): string | null {
  let items: Item[];
  try {
    items = new Parser(pattern).parse();
  } catch (err) {
    if (err instanceof PatternError) return err.message;
    throw err;
  }
  let problem: string | null = null;
  walk(items, empty(), (item, follow) => {
    if (problem || item.kind !== "char" || item.max <= REPEAT_BOUND) return;
    if (overlaps(item.set, follow))
      problem = "a repeated character may also start what follows it, so the scan could backtrack";
  });
  return problem;
}

/** A character the set matches, preferring ordinary ones. */
function sample(set: CharSet): string {
  for (const c of "a0A-_.xz9Z ~!") if (set.ascii[c.charCodeAt(0)]) return c;
  const i = set.ascii.findIndex(Boolean);
  return i >= 0 ? String.fromCharCode(i) : "\u00e9";
}

/** A character in neither set, to make a scan fail at the very end. */
function outside(a: CharSet, b: CharSet): string {
  const both = union(a, b);
  for (const c of "!~ \t\u0000#\u00e9") {
    const code = c.charCodeAt(0);
    if (code < 128 ? !both.ascii[code] : !both.other) return c;
  }
  return "\u0000";
}

/** The shortest text that the items match (the first alternative of each group). */
function minimal(items: Item[]): string {
  return items
    .map((i) => (i.kind === "char" ? sample(i.set).repeat(i.min) : i.min ? minimal(i.alternatives[0]!) : ""))
    .join("");
}

/**
 * Adversarial inputs of about `length` characters: for each repeated character, the text that
 * reaches it, a long run of what it matches, then a character nothing there accepts (the shape
 * that makes a backtracking scan try every split of the run).
 */
export function pumps(pattern: string, length: number): string[] {
  const items = new Parser(pattern).parse();
  const out: string[] = [];
  const visitTop = (seq: Item[], prefix: string, after: CharSet) => {
    seq.forEach((item, index) => {
      const before = prefix + minimal(seq.slice(0, index));
      const follow = firsts(seq.slice(index + 1), after);
      if (item.kind === "char" && item.max > 1)
        out.push(before + sample(item.set).repeat(length) + outside(item.set, follow));
      if (item.kind === "group") for (const alt of item.alternatives) visitTop(alt, before, follow);
    });
  };
  visitTop(items, "", empty());
  return out;
}
