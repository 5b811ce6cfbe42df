#!/usr/bin/env node
// The baseline: a bare Fastify route, no auth, no database, answering a JSON body of a requested
// size. The same process also serves as the "provider" upstream for the proxy scenario.
import Fastify from "fastify";

const port = Number(process.env.PORT ?? 0);
const app = Fastify({ logger: false });
const bodies = new Map();

function bodyOf(size) {
  let b = bodies.get(size);
  if (!b) {
    // A JSON object whose serialized length is exactly `size` bytes (for sizes >= 16).
    const pad = Math.max(0, size - '{"data":""}'.length);
    b = { data: "x".repeat(pad) };
    bodies.set(size, b);
  }
  return b;
}

app.get("/json/:size", async (request) => bodyOf(Number(request.params.size)));
app.post("/json/:size", async (request) => bodyOf(Number(request.params.size)));
app.get("/upstream/items", async () => ({
  items: [
    { id: 1, name: "Ada" },
    { id: 2, name: "Grace" },
  ],
  next: null,
}));

await app.listen({ port, host: "127.0.0.1" });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`);
