// What the extension sends to `stacklint server`, and where it finds the executable.
// No `vscode` import: the tests run these functions under plain Node.

import * as fs from "fs";
import * as path from "path";

/** The `stacklint.*` settings as VS Code returns them (any may be missing or mistyped). */
export interface RawSettings {
  path?: unknown;
  target?: unknown;
  select?: unknown;
  ignore?: unknown;
  unsafeFixes?: unknown;
}

/**
 * The server's options: `initializationOptions` of `initialize`, and `settings` of every
 * `workspace/didChangeConfiguration`. The keys mirror `stacklint check` flags: `target` is
 * `--target`, `select` `--select`, `ignore` `--ignore`, `unsafeFixes` `--unsafe-fixes`;
 * `null` (and an empty `ignore`) leave the project's configuration as it is.
 */
export interface ServerOptions {
  target: string | null;
  select: string[] | null;
  ignore: string[];
  unsafeFixes: boolean;
}

function stringList(value: unknown): string[] {
  if (!Array.isArray(value)) {
    return [];
  }
  return value.filter((v): v is string => typeof v === "string").map((v) => v.trim()).filter((v) => v.length > 0);
}

export function serverOptions(raw: RawSettings): ServerOptions {
  const target = typeof raw.target === "string" ? raw.target.trim() : "";
  const select = stringList(raw.select);
  return {
    target: target.length > 0 ? target : null,
    // An empty list would select no rule at all; "not set" is what the user means.
    select: select.length > 0 ? select : null,
    ignore: stringList(raw.ignore),
    unsafeFixes: raw.unsafeFixes === true,
  };
}

/** Where the executable comes from, for messages. */
export type Source = "setting" | "bundled" | "PATH";

export interface Executable {
  command: string;
  source: Source;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `name` looked up in `PATH` (with `PATHEXT` on Windows), or `undefined`. */
export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? "").split(path.delimiter).filter((d) => d.length > 0);
  const exts = process.platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";") : [""];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/**
 * The executable to start: `stacklint.path` when set (a bare name is looked up in `PATH`, a
 * path with `~` or relative to the first workspace folder is resolved), else `bin/stacklint`
 * inside the extension when it was packaged with one, else `stacklint` on `PATH`. An
 * `Error` says what was tried.
 */
export function findExecutable(
  setting: unknown,
  extensionDir: string,
  workspaceDir: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Executable {
  const exe = process.platform === "win32" ? "stacklint.exe" : "stacklint";
  const configured = typeof setting === "string" ? setting.trim() : "";
  if (configured.length > 0) {
    if (!configured.includes("/") && !configured.includes("\\")) {
      const found = which(configured, env);
      if (found) {
        return { command: found, source: "setting" };
      }
      throw new Error(`stacklint.path is "${configured}", which is not on the PATH`);
    }
    let file = configured.startsWith("~") ? path.join(env.HOME ?? "", configured.slice(1)) : configured;
    if (!path.isAbsolute(file) && workspaceDir) {
      file = path.join(workspaceDir, file);
    }
    if (isExecutable(file)) {
      return { command: file, source: "setting" };
    }
    throw new Error(`stacklint.path is "${configured}", but ${file} is not an executable file`);
  }
  const bundled = path.join(extensionDir, "bin", exe);
  if (isExecutable(bundled)) {
    return { command: bundled, source: "bundled" };
  }
  const onPath = which("stacklint", env);
  if (onPath) {
    return { command: onPath, source: "PATH" };
  }
  throw new Error(
    "no `stacklint` executable: install it (`pip install stacklint`, or `cargo install --path crates/stacklint` in a checkout) or set stacklint.path",
  );
}
