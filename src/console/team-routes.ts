import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { consoleActor } from "../history/actor.js";
import { ErrorResponse } from "../http/openapi.js";
import type { ConsoleAuth, ConsoleSession } from "./auth.js";
import { sessionCookie } from "./cookie.js";
import * as S from "./schemas.js";
import type { ConsoleSso } from "./sso.js";
import type { ConsoleUsers } from "./users.js";

export type TeamRoutesOptions = {
  auth: ConsoleAuth;
  users: ConsoleUsers;
  sso: ConsoleSso | null;
  publicUrl: string;
  linkMinutes: number;
  invitationHours: number;
  idleMinutes: number;
  maxSessionHours: number;
};

const tags = ["Console (Portico)"];
const security = [{ console: [] }];
const errors = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
};
const schema = <T extends object>(s: T) => ({ tags, security, ...s });

const sessionView = (s: ConsoleSession, current: ConsoleSession) => ({
  id: s.id,
  operator: s.operator,
  email: s.email,
  role: s.role,
  method: s.method,
  user_agent: s.userAgent,
  current: s.id === current.id,
  created_at: new Date(s.createdAt).toISOString(),
  last_seen_at: new Date(s.lastSeenAt).toISOString(),
  expires_at: new Date(s.idleExpiresAt).toISOString(),
});

/**
 * The console's operators and sessions, under the console API's guard (registered inside it):
 * an organization's users (owners invite, change roles, remove), each user's own sessions (which
 * they may end), every session of the organization (which its owners may end), and the
 * console's settings.
 */
export const teamRoutes: FastifyPluginAsyncZod<TeamRoutesOptions> = async (app, o) => {
  const actor = (request: { consoleSession: ConsoleSession }) => consoleActor(request.consoleSession);
  const secure = o.publicUrl.startsWith("https:");

  app.get("/organizations/:organizationId/users", {
    role: "viewer",
    schema: schema({
      summary: "The organization's console users",
      params: S.OrganizationParams,
      response: { 200: z.array(S.ConsoleUser), ...errors },
    }),
    handler: (request) => o.users.list(request.params.organizationId),
  });

  app.post("/organizations/:organizationId/users", {
    role: "owner",
    schema: schema({
      summary: "Invite an email with a role: a one-time link, shown once, to hand on",
      description:
        "Inviting someone already there sets their role and replaces an invitation not used yet. An organization keeps at least one owner.",
      params: S.OrganizationParams,
      body: S.InviteUser,
      response: { 201: S.Invitation, ...errors },
    }),
    handler: async (request, reply) =>
      reply.status(201).send(
        await o.users.invite({
          email: request.body.email,
          role: request.body.role,
          organizationId: request.params.organizationId,
          actor: actor(request),
          keepAnOwner: true,
        }),
      ),
  });

  app.patch("/organizations/:organizationId/users/:id", {
    role: "owner",
    schema: schema({
      summary: "Change a user's role (their sessions follow at their next request)",
      params: S.OrganizationItemParams,
      body: S.SetRole,
      response: { 200: S.ConsoleUser, ...errors },
    }),
    handler: (request) =>
      o.users.setRole({
        organizationId: request.params.organizationId,
        id: request.params.id,
        role: request.body.role,
        actor: actor(request),
        keepAnOwner: true,
      }),
  });

  app.delete("/organizations/:organizationId/users/:id", {
    role: "owner",
    schema: schema({
      summary: "Remove a user: their sessions end at once",
      params: S.OrganizationItemParams,
      response: { 200: S.ConsoleUser.extend({ sessions_ended: z.number() }), ...errors },
    }),
    handler: (request) =>
      o.users.remove({
        organizationId: request.params.organizationId,
        idOrEmail: request.params.id,
        actor: actor(request),
        keepAnOwner: true,
      }),
  });

  app.get("/organizations/:organizationId/sessions", {
    role: "owner",
    schema: schema({
      summary: "Every live console session of the organization's users",
      params: S.OrganizationParams,
      response: { 200: z.array(S.ConsoleSessionView), ...errors },
    }),
    handler: async (request) =>
      (await o.auth.sessions({ organizationId: request.params.organizationId })).map((s) =>
        sessionView(s, request.consoleSession),
      ),
  });

  app.delete("/organizations/:organizationId/sessions/:id", {
    role: "owner",
    schema: schema({
      summary: "End any session of the organization, at once",
      params: S.OrganizationItemParams,
      response: { 200: S.ConsoleSessionView, ...errors },
    }),
    handler: async (request, reply) => {
      const ended = await o.auth.endSession(request.consoleSession, request.params.id, {
        organizationId: request.params.organizationId,
      });
      if (ended.id === request.consoleSession.id)
        reply.header("set-cookie", sessionCookie("", { secure, maxAgeSeconds: 0 }));
      return sessionView(ended, request.consoleSession);
    },
  });

  app.get("/sessions", {
    role: "viewer",
    schema: schema({
      summary: "Your own live sessions (every browser you are signed in on)",
      response: { 200: z.array(S.ConsoleSessionView), ...errors },
    }),
    handler: async (request) =>
      (await o.auth.sessions({ mine: request.consoleSession })).map((s) =>
        sessionView(s, request.consoleSession),
      ),
  });

  // Ending one's own session is the viewer's too: it changes nothing but who is signed in.
  app.delete("/sessions/:id", {
    role: "viewer",
    schema: schema({
      summary: "End one of your own sessions, at once",
      params: S.ItemParams,
      response: { 200: S.ConsoleSessionView, ...errors },
    }),
    handler: async (request, reply) => {
      const ended = await o.auth.endSession(request.consoleSession, request.params.id, { own: true });
      if (ended.id === request.consoleSession.id)
        reply.header("set-cookie", sessionCookie("", { secure, maxAgeSeconds: 0 }));
      return sessionView(ended, request.consoleSession);
    },
  });

  app.get("/settings", {
    role: "viewer",
    schema: schema({
      summary: "How the console signs people in: links, invitations, sessions, single sign-on",
      response: { 200: S.Settings, ...errors },
    }),
    handler: async () => {
      const redirectUri = `${o.publicUrl}/console/sso/callback`;
      return {
        public_url: o.publicUrl,
        link_minutes: o.linkMinutes,
        invitation_hours: o.invitationHours,
        idle_minutes: o.idleMinutes,
        max_session_hours: o.maxSessionHours,
        sso: o.sso
          ? {
              issuer: o.sso.config.issuer,
              client_id: o.sso.config.clientId,
              redirect_uri: o.sso.redirectUri,
              allowed_domains: o.sso.config.allowedDomains,
              default_role: o.sso.config.defaultRole,
            }
          : null,
        sso_redirect_uri: redirectUri,
      };
    },
  });
};
