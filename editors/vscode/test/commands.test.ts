import { strict as assert } from "node:assert";
import * as cp from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

// vscode-languageclient registers a VS Code command for every command the server lists in
// `executeCommandProvider`; the extension's own commands must not use those ids, or the client
// fails to start ("command '…' already exists"). Checked against the real server when
// AMBIENT_SERVER names it (scripts/test sets it); the e2e test (test/e2e) sees the outcome in
// VS Code itself.

const root = path.join(__dirname, "..", "..");

function extensionCommands(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const contributed: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);
  const src = readFileSync(path.join(root, "src", "extension.ts"), "utf8");
  // every id the extension registers is a CMD_* constant, and every one is contributed
  const registered = [...src.matchAll(/^const CMD_\w+ = "([^"]+)";/gm)].map((m) => m[1]);
  assert.ok(registered.length >= 3, "no CMD_* constants in extension.ts");
  assert.deepEqual([...registered].sort(), [...contributed].sort());
  return contributed;
}

function serverCommands(server: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    // the command line vscode-languageclient runs: args [] + `--stdio`
    const p = cp.spawn(server, ["--stdio"], { stdio: ["pipe", "pipe", "ignore"] });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      p.kill();
      reject(new Error("no answer to initialize"));
    }, 20_000);
    p.on("error", reject);
    p.stdout.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const text = buf.toString("utf8");
      const head = /Content-Length: (\d+)\r\n\r\n/.exec(text);
      if (!head) {
        return;
      }
      const start = buf.indexOf("\r\n\r\n") + 4;
      const len = Number(head[1]);
      if (buf.length < start + len) {
        return;
      }
      clearTimeout(timer);
      const msg = JSON.parse(buf.subarray(start, start + len).toString("utf8"));
      p.kill();
      resolve(msg.result.capabilities.executeCommandProvider.commands);
    });
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { processId: null, rootUri: null, capabilities: {} },
    });
    p.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
}

test("the extension's commands are all contributed", () => {
  extensionCommands();
});

test("no extension command clashes with a server command", async (t) => {
  const server = process.env.AMBIENT_SERVER;
  if (!server) {
    t.skip("AMBIENT_SERVER not set");
    return;
  }
  const ours = extensionCommands();
  const theirs = await serverCommands(server);
  assert.ok(theirs.includes("ambient.migrationReport"), JSON.stringify(theirs));
  assert.deepEqual(
    ours.filter((c) => theirs.includes(c)),
    [],
    `server commands ${JSON.stringify(theirs)}`,
  );
});
