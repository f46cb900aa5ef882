/**
 * The framework's floor: fastify 5 answering "hello" with nothing added (no plugins, hooks or
 * logger), on PORT, in its own process. Between the node:http ceiling and GET /healthz it
 * shows what the framework itself costs and what the app adds on top.
 */
import Fastify from "fastify";

const app = Fastify();
app.get("/", async (_req, reply) => reply.type("text/plain").send("hello\n"));
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });
