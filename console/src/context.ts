import type { Me, Project, Role } from "./types.js";

/**
 * What a page gets: where to draw, the project, the URL's parts, who is signed in, and the app's
 * few services. Pages import this module, never the router, so they do not import each other.
 */
export type PageContext = {
  main: HTMLElement;
  projectId: string;
  project: Project;
  params: string[];
  query: URLSearchParams;
  /** The signed-in operator: email, role. */
  me: Me;
  /** Whether the operator's role allows what needs `role` (the console API enforces it). */
  can(role: Role): boolean;
  /** Path below /console/projects/<id>, e.g. "/accounts?status=error". */
  href(path: string): string;
  navigate(path: string, opts?: { replace?: boolean }): void;
  notify(message: string): void;
};

/** A page: draws itself into ctx.main. */
export type Render = (ctx: PageContext) => Promise<void>;

const RANK: Record<Role, number> = { viewer: 0, admin: 1, owner: 2 };

export const roleAllows = (have: Role, need: Role): boolean => RANK[have] >= RANK[need];
