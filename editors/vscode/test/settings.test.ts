import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { readDetect, resolveServer, serverSettings } from "../src/settings";

function getter(values: Record<string, unknown>) {
  return <T>(key: string, fallback: T): T => (key in values ? (values[key] as T) : fallback);
}

test("settings map to the server's ambient section", () => {
  assert.deepEqual(
    serverSettings(
      getter({
        phases: ["deploy-waypoints", 7, "migrate-policies"],
        waypointName: " mesh-waypoint ",
        maxFileSizeKb: 256.7,
        "cluster.enabled": true,
        "cluster.context": "prod",
      }),
    ),
    {
      phases: ["deploy-waypoints", "migrate-policies"],
      waypointName: "mesh-waypoint",
      maxFileSizeKb: 256,
      cluster: { enabled: true, context: "prod" },
    },
  );
});

test("bad or empty values fall back to the defaults", () => {
  assert.deepEqual(
    serverSettings(getter({ phases: "all", waypointName: "", maxFileSizeKb: -3, "cluster.context": "" })),
    { phases: [], waypointName: "waypoint", maxFileSizeKb: 16384, cluster: { enabled: false, context: null } },
  );
});

const files = (...present: string[]) => (p: string) => present.includes(p);

test("server: the setting first, then PATH, then the bundled binary", () => {
  const env = { PATH: ["/usr/bin", "/opt/tools/bin"].join(":") };
  const ext = "/home/u/.vscode/extensions/ambient-lsp";
  const bundled = path.join(ext, "bundled", "ambient-lsp");
  assert.deepEqual(
    resolveServer("/custom/ambient-lsp", ext, { isFile: files("/custom/ambient-lsp", bundled), env, platform: "linux" }),
    { path: "/custom/ambient-lsp", source: "setting" },
  );
  assert.deepEqual(
    resolveServer("", ext, { isFile: files("/opt/tools/bin/ambient-lsp", bundled), env, platform: "linux" }),
    { path: "/opt/tools/bin/ambient-lsp", source: "PATH" },
  );
  assert.deepEqual(resolveServer("", ext, { isFile: files(bundled), env, platform: "linux" }), {
    path: bundled,
    source: "bundled",
  });
  const missing = resolveServer("", ext, { isFile: files(), env, platform: "linux" });
  assert.equal(typeof missing, "string");
  assert.match(missing as string, /ambient\.server\.path/);
  assert.match(
    resolveServer("/nope", ext, { isFile: files(bundled), env, platform: "linux" }) as string,
    /ambient\.server\.path is \/nope, which does not exist/,
  );
});

test("windows names the binary .exe and splits PATH on ;", () => {
  const r = resolveServer("", "C:\\ext", {
    isFile: (p) => p === path.join("C:\\tools", "ambient-lsp.exe"),
    env: { PATH: "C:\\bin;C:\\tools" },
    platform: "win32",
  });
  assert.deepEqual(r, { path: path.join("C:\\tools", "ambient-lsp.exe"), source: "PATH" });
});

test("detect: exit 0 names a mesh file, exit 1 none, anything else is a broken server", () => {
  assert.deepEqual(readDetect("/s", { code: 0, stdout: "/ws/a.yaml\n", stderr: "" }), { mesh: true, file: "/ws/a.yaml" });
  assert.deepEqual(readDetect("/s", { code: 1, stdout: "", stderr: "" }), { mesh: false });
  const old = readDetect("/s", { code: 2, stdout: "", stderr: "error: unrecognized subcommand 'detect'\n\nUsage: …" });
  assert.match((old as { error: string }).error, /\/s is not a working ambient-lsp .*unrecognized subcommand 'detect'\)/);
  const gone = readDetect("/s", { code: null, stdout: "", stderr: "", spawnError: "spawn /s EACCES" });
  assert.match((gone as { error: string }).error, /cannot run the language server \/s: spawn \/s EACCES/);
});

test("package.json validates ambient.waypointName as the server does (RFC 1123 label)", () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));
  const schema = pkg.contributes.configuration.properties["ambient.waypointName"];
  const ok = (n: string) => new RegExp(schema.pattern).test(n) && n.length <= schema.maxLength;
  for (const good of ["waypoint", "mesh-gw-1", "w", "a".repeat(63)]) {
    assert.ok(ok(good), good);
  }
  // server/src/analysis/context.rs waypoint_name_error rejects the same names
  for (const bad of ["Bad_Name!", "", "-waypoint", "waypoint-", "Waypoint", "way.point", "a".repeat(64)]) {
    assert.ok(!ok(bad), bad);
  }
  assert.match(schema.patternErrorMessage, /RFC 1123/);
});
