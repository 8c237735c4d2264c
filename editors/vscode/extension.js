// The archspace extension: the TextMate grammar highlights .arch files (package.json), and this
// client starts `archspace lsp` over stdio for diagnostics, hover, completion, definitions,
// document symbols and formatting.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("archspace");
  const command = config.get("server.command", "archspace");
  const args = config.get("server.args", ["lsp"]);
  const serverOptions = {
    run: { command, args, transport: TransportKind.stdio },
    debug: { command, args, transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "arch" },
      { scheme: "untitled", language: "arch" },
    ],
  };
  client = new LanguageClient("archspace", "archspace language server", serverOptions,
                              clientOptions);
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `archspace: cannot start \`${command} ${args.join(" ")}\` (${err.message || err}). ` +
      "Install archspace in the environment VS Code sees, or set archspace.server.command.");
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
