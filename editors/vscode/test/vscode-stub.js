// The part of the `vscode` API that the extension and vscode-languageclient touch while
// starting a server with no features, stopping it, and forwarding settings: enough to run
// dist/extension.js under plain Node (the smoke test). `settings` and `listeners` let the
// test drive it.
"use strict";

const settings = {};
const listeners = { configuration: [] };
const disposable = () => ({ dispose() {} });
const event = (list) => (listener) => {
  if (list) list.push(listener);
  return disposable();
};

class EventEmitter {
  constructor() {
    this.listeners = [];
    this.event = (listener) => {
      this.listeners.push(listener);
      return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
    };
  }
  fire(value) {
    for (const listener of this.listeners) listener(value);
  }
  dispose() {
    this.listeners = [];
  }
}

class Disposable {
  constructor(fn) {
    this.fn = fn;
  }
  static from(...items) {
    return new Disposable(() => items.forEach((d) => d && d.dispose && d.dispose()));
  }
  dispose() {
    if (this.fn) this.fn();
  }
}

class Uri {
  constructor(scheme, path) {
    this.scheme = scheme;
    this.path = path;
    this.fsPath = path;
  }
  static file(path) {
    return new Uri("file", path);
  }
  static parse(value) {
    const match = /^([a-z]+):\/\/(.*)$/.exec(value);
    return match ? new Uri(match[1], match[2]) : new Uri("file", value);
  }
  toString() {
    return `${this.scheme}://${this.path}`;
  }
  toJSON() {
    return this.toString();
  }
}

class CodeActionKind {
  constructor(value) {
    this.value = value;
  }
  append(part) {
    return new CodeActionKind(`${this.value}.${part}`);
  }
  contains(other) {
    return other.value === this.value || other.value.startsWith(`${this.value}.`);
  }
}
CodeActionKind.SourceFixAll = new CodeActionKind("source.fixAll");
CodeActionKind.QuickFix = new CodeActionKind("quickfix");

class CancellationTokenSource {
  constructor() {
    this.token = { isCancellationRequested: false, onCancellationRequested: event() };
  }
  cancel() {
    this.token.isCancellationRequested = true;
  }
  dispose() {}
}

const outputChannel = (name) => ({ name, append() {}, appendLine() {}, replace() {}, clear() {}, show() {}, hide() {}, dispose() {} });

// Every `languages.registerXProvider` returns a disposable.
const languages = new Proxy(
  {
    match: () => 0,
    createDiagnosticCollection: (name) => ({ name, set() {}, delete() {}, clear() {}, forEach() {}, get() {}, has: () => false, dispose() {} }),
  },
  { get: (target, key) => (key in target ? target[key] : typeof key === "string" && key.startsWith("register") ? disposable : undefined) },
);

module.exports = {
  settings,
  listeners,
  version: "1.82.0",
  EventEmitter,
  Disposable,
  Uri,
  CodeActionKind,
  CancellationTokenSource,
  CancellationError: class CancellationError extends Error {},
  // Classes the protocol converter subclasses when it loads.
  CallHierarchyItem: class {},
  CodeAction: class {},
  CodeLens: class {},
  CompletionItem: class {},
  Diagnostic: class {},
  DocumentLink: class {},
  InlayHint: class {},
  SymbolInformation: class {},
  TypeHierarchyItem: class {},
  DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  NotebookCellKind: { Markup: 1, Code: 2 },
  TabInputText: class {},
  TabInputTextDiff: class {},
  TabInputCustom: class {},
  env: { language: "en", appName: "stub", openExternal: async () => true },
  languages,
  commands: {
    registered: {},
    registerCommand(name, fn) {
      this.registered[name] = fn;
      return disposable();
    },
    executeCommand: async () => undefined,
  },
  window: {
    errors: [],
    activeTextEditor: undefined,
    tabGroups: { all: [], onDidChangeTabs: event() },
    createOutputChannel: outputChannel,
    showErrorMessage: async function (message) {
      module.exports.window.errors.push(message);
      return undefined;
    },
    showWarningMessage: async () => undefined,
    showInformationMessage: async () => undefined,
    setStatusBarMessage: disposable,
    onDidChangeActiveTextEditor: event(),
    withProgress: async (_options, task) => task({ report() {} }, new CancellationTokenSource().token),
  },
  workspace: {
    workspaceFolders: undefined,
    textDocuments: [],
    getConfiguration: (section) => ({
      get: (key, fallback) => {
        const value = settings[section ? `${section}.${key}` : key];
        return value === undefined ? fallback : value;
      },
      has: (key) => settings[section ? `${section}.${key}` : key] !== undefined,
      inspect: () => undefined,
      update: async () => undefined,
    }),
    onDidChangeConfiguration: event(listeners.configuration),
    onDidOpenTextDocument: event(),
    onDidCloseTextDocument: event(),
    onDidChangeTextDocument: event(),
    onDidSaveTextDocument: event(),
    onWillSaveTextDocument: event(),
    onDidChangeWorkspaceFolders: event(),
    createFileSystemWatcher: () => ({ onDidCreate: event(), onDidChange: event(), onDidDelete: event(), dispose() {} }),
    applyEdit: async () => true,
  },
};
