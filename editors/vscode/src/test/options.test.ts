// `node --test` on the parts that do not need VS Code: `npm test`.

import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { test } from "node:test";

import { findExecutable, serverOptions } from "../options";

test("settings become the server's options", () => {
  assert.deepEqual(serverOptions({ target: " cpus=8,memory=16GiB ", select: ["GUN", " NGX0 ", ""], ignore: ["DJS006"], unsafeFixes: true }), {
    target: "cpus=8,memory=16GiB",
    select: ["GUN", "NGX0"],
    ignore: ["DJS006"],
    unsafeFixes: true,
  });
});

test("unset and mistyped settings leave the project's configuration alone", () => {
  assert.deepEqual(serverOptions({}), { target: null, select: null, ignore: [], unsafeFixes: false });
  assert.deepEqual(serverOptions({ target: "", select: [], ignore: "GUN", unsafeFixes: "yes" }), {
    target: null,
    select: null,
    ignore: [],
    unsafeFixes: false,
  });
});

function fakeBinary(dir: string, name: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, "#!/bin/sh\n");
  fs.chmodSync(file, 0o755);
  return file;
}

test("the executable: setting, then bundled, then PATH", { skip: process.platform === "win32" }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stacklint-vscode-"));
  try {
    const onPath = fakeBinary(path.join(tmp, "path-bin"), "stacklint");
    const env = { PATH: path.join(tmp, "path-bin"), HOME: tmp };
    const extension = path.join(tmp, "extension");
    assert.deepEqual(findExecutable("", extension, undefined, env), { command: onPath, source: "PATH" });

    const bundled = fakeBinary(path.join(extension, "bin"), "stacklint");
    assert.deepEqual(findExecutable(undefined, extension, undefined, env), { command: bundled, source: "bundled" });

    const own = fakeBinary(path.join(tmp, "project", ".venv", "bin"), "stacklint");
    assert.deepEqual(findExecutable(".venv/bin/stacklint", extension, path.join(tmp, "project"), env), { command: own, source: "setting" });
    assert.deepEqual(findExecutable("~/project/.venv/bin/stacklint", extension, undefined, env), { command: own, source: "setting" });
    assert.deepEqual(findExecutable("stacklint", extension, undefined, env), { command: onPath, source: "setting" });

    assert.throws(() => findExecutable("/nowhere/stacklint", extension, undefined, env), /not an executable file/);
    assert.throws(() => findExecutable("stacklint-nightly", extension, undefined, env), /not on the PATH/);
    fs.rmSync(path.join(extension, "bin"), { recursive: true });
    assert.throws(() => findExecutable("", extension, undefined, { PATH: "" }), /pip install stacklint/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
