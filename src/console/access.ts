declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * What a console route does, for role rules (issue 23): `read` shows, `write` changes
     * something or talks to a provider (running a health check, changing settings).
     */
    consoleAccess?: "read" | "write";
  }
}

export const READ = { consoleAccess: "read" } as const;
export const WRITE = { consoleAccess: "write" } as const;
