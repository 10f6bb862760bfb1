#!/usr/bin/env node
// A stand-in for `stacklint server` in the smoke test: speaks LSP on stdio, answers
// `initialize` and `shutdown`, and writes every message it receives, one JSON per line, to
// the file named by FAKE_LSP_LOG.
"use strict";
const fs = require("fs");

if (process.argv[2] !== "server") {
  process.stderr.write(`expected \`server\`, got ${JSON.stringify(process.argv.slice(2))}\n`);
  process.exit(2);
}
const log = process.env.FAKE_LSP_LOG;
let buffer = Buffer.alloc(0);

function send(message) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }), "utf8");
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
}

function handle(message) {
  fs.appendFileSync(log, JSON.stringify(message) + "\n");
  if (message.method === "initialize") {
    send({ id: message.id, result: { capabilities: { textDocumentSync: 1 }, serverInfo: { name: "fake" } } });
  } else if (message.method === "shutdown") {
    send({ id: message.id, result: null });
  } else if (message.method === "exit") {
    process.exit(0);
  } else if (message.id !== undefined && message.method !== undefined) {
    send({ id: message.id, error: { code: -32601, message: `not handled: ${message.method}` } });
  }
}

process.stdin.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const end = buffer.indexOf("\r\n\r\n");
    if (end < 0) return;
    const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString())[1]);
    if (buffer.length < end + 4 + length) return;
    handle(JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString("utf8")));
    buffer = buffer.subarray(end + 4 + length);
  }
});
