// The VS Code client of `stacklint server`: it starts the server, says which documents it
// lints, forwards the settings, and adds two commands. Every diagnostic, fix, hover and code
// action comes from the server (the same engine as `stacklint check`).

import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  DocumentSelector,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions as LspServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

import { DOCUMENT_LANGUAGES, DOCUMENT_PATTERNS, WATCHED_PATTERN } from "./files";
import { findExecutable, serverOptions, ServerOptions } from "./options";

/** The code action kind of the server's "apply every safe fix" action. */
const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append("stacklint");

let client: LanguageClient | undefined;
let watcher: vscode.FileSystemWatcher | undefined;
let output: vscode.OutputChannel;

function settings(): ServerOptions {
  const config = vscode.workspace.getConfiguration("stacklint");
  return serverOptions({
    target: config.get("target"),
    select: config.get("select"),
    ignore: config.get("ignore"),
    unsafeFixes: config.get("unsafeFixes"),
  });
}

function documentSelector(): DocumentSelector {
  const selector: DocumentSelector = [];
  for (const pattern of DOCUMENT_PATTERNS) {
    selector.push({ scheme: "file", pattern });
  }
  for (const language of DOCUMENT_LANGUAGES) {
    selector.push({ scheme: "file", language }, { scheme: "untitled", language });
  }
  return selector;
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const workspaceDir = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  let executable;
  try {
    executable = findExecutable(vscode.workspace.getConfiguration("stacklint").get("path"), context.extensionPath, workspaceDir);
  } catch (error) {
    void report(`stacklint: ${(error as Error).message}`);
    return;
  }
  output.appendLine(`Starting ${executable.command} server (${executable.source})`);
  const server: LspServerOptions = {
    command: executable.command,
    args: ["server"],
    transport: TransportKind.stdio,
    options: { cwd: workspaceDir },
  };
  watcher = vscode.workspace.createFileSystemWatcher(WATCHED_PATTERN);
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(),
    diagnosticCollectionName: "stacklint",
    outputChannel: output,
    initializationOptions: settings(),
    synchronize: { fileEvents: watcher },
  };
  const started = new LanguageClient("stacklint", "stacklint", server, clientOptions);
  try {
    await started.start();
    client = started;
  } catch (error) {
    void report(`stacklint: the server did not start (${executable.command} server): ${(error as Error).message ?? error}`);
    await started.dispose().catch(() => undefined);
    watcher?.dispose();
    watcher = undefined;
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop().catch((error) => output.appendLine(`stopping the server: ${error}`));
  }
  watcher?.dispose();
  watcher = undefined;
}

/** An error with the two buttons that usually help. */
async function report(message: string): Promise<void> {
  output.appendLine(message);
  const choice = await vscode.window.showErrorMessage(message, "Open settings", "Show output");
  if (choice === "Open settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "stacklint.path");
  } else if (choice === "Show output") {
    output.show();
  }
}

/** Applies the server's `source.fixAll.stacklint` action to the active document. */
async function fixAll(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage("stacklint: open a file to fix");
    return;
  }
  if (!client) {
    void vscode.window.showWarningMessage("stacklint: the server is not running (stacklint: Restart server)");
    return;
  }
  const document = editor.document;
  const whole = new vscode.Range(0, 0, document.lineCount, 0);
  const actions =
    (await vscode.commands.executeCommand<vscode.CodeAction[]>("vscode.executeCodeActionProvider", document.uri, whole, FIX_ALL_KIND.value, 1)) ?? [];
  const fixes = actions.filter((action) => action.kind && FIX_ALL_KIND.contains(action.kind));
  if (fixes.length === 0) {
    void vscode.window.setStatusBarMessage("stacklint: nothing to fix", 3000);
    return;
  }
  for (const action of fixes) {
    if (action.edit) {
      await vscode.workspace.applyEdit(action.edit);
    }
    if (action.command) {
      await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
    }
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("stacklint");
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("stacklint.fixAll", fixAll),
    vscode.commands.registerCommand("stacklint.restart", async () => {
      await stop();
      await start(context);
    }),
    vscode.commands.registerCommand("stacklint.showOutput", () => output.show()),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration("stacklint")) {
        return;
      }
      if (event.affectsConfiguration("stacklint.path") || !client) {
        // Another executable (or a first try after a failed start): a new server.
        await stop();
        await start(context);
      } else {
        await client.sendNotification(DidChangeConfigurationNotification.type, { settings: settings() });
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}
