/**
 * The reference: the fastest answer node:http can give on this machine ("hello", keep-alive).
 * Run by plain node (copied to .mjs, like loop-delay.ts), on PORT, in its own process.
 */
import { createServer } from "node:http";

const body = "hello\n";
createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
  res.end(body);
}).listen(Number(process.env.PORT), "127.0.0.1");
