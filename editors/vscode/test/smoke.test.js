// The packaged bundle (dist/extension.js, built by `npm run bundle`) run under Node with a
// stub `vscode` module: activating it starts `<stacklint.path> server` and sends the settings
// as `initializationOptions`; a settings change reaches the server as
// `workspace/didChangeConfiguration`; deactivating shuts the server down.
"use strict";
const assert = require("assert/strict");
const fs = require("fs");
const Module = require("module");
const os = require("os");
const path = require("path");
const { test } = require("node:test");

const stub = require("./vscode-stub");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === "vscode" ? require.resolve("./vscode-stub") : resolve.call(this, request, ...rest);
};

function messages(log) {
  return fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line)) : [];
}

async function until(what, predicate) {
  for (let i = 0; i < 200; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test("the extension starts `stacklint server` and forwards the settings", { skip: process.platform === "win32" }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stacklint-smoke-"));
  const log = path.join(tmp, "lsp.jsonl");
  process.env.FAKE_LSP_LOG = log;
  Object.assign(stub.settings, {
    "stacklint.path": path.join(__dirname, "fake-server.js"),
    "stacklint.target": "cpus=8,memory=16GiB",
    "stacklint.select": ["GUN", "DKR"],
    "stacklint.ignore": ["DJS006"],
    "stacklint.unsafeFixes": true,
  });
  const extension = require("../dist/extension.js");
  const context = { subscriptions: [], extensionPath: tmp };
  try {
    await extension.activate(context);
    assert.deepEqual(stub.window.errors, []);
    assert.ok(stub.commands.registered["stacklint.fixAll"], "stacklint.fixAll is registered");
    assert.ok(stub.commands.registered["stacklint.restart"], "stacklint.restart is registered");

    const initialize = messages(log).find((m) => m.method === "initialize");
    assert.ok(initialize, "the server received `initialize`");
    assert.deepEqual(initialize.params.initializationOptions, { target: "cpus=8,memory=16GiB", select: ["GUN", "DKR"], ignore: ["DJS006"], unsafeFixes: true });
    await until("`initialized`", () => messages(log).some((m) => m.method === "initialized"));

    stub.settings["stacklint.target"] = "cpus=2";
    stub.settings["stacklint.select"] = [];
    for (const listener of stub.listeners.configuration) {
      await listener({ affectsConfiguration: (section) => section === "stacklint" || section === "stacklint.target" || section === "stacklint.select" });
    }
    await until("`workspace/didChangeConfiguration`", () => messages(log).some((m) => m.method === "workspace/didChangeConfiguration"));
    const change = messages(log).find((m) => m.method === "workspace/didChangeConfiguration");
    assert.deepEqual(change.params.settings, { target: "cpus=2", select: null, ignore: ["DJS006"], unsafeFixes: true });
  } finally {
    await extension.deactivate();
  }
  await until("`shutdown` and `exit`", () => ["shutdown", "exit"].every((method) => messages(log).some((m) => m.method === method)));
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("a missing executable is reported, not thrown", async () => {
  stub.settings["stacklint.path"] = "/nowhere/stacklint";
  stub.window.errors.length = 0;
  const extension = require("../dist/extension.js");
  await extension.activate({ subscriptions: [], extensionPath: os.tmpdir() });
  await until("the error message", () => stub.window.errors.length > 0);
  assert.match(stub.window.errors[0], /not an executable file/);
  await extension.deactivate();
});
