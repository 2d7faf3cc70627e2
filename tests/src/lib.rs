//! Helpers of the end-to-end tests: where the binary and the shared corpus are, temporary
//! copies of `examples/`, and running the CLI.

pub mod hostile;
pub mod lsp;
pub mod schema;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The `ambient-lsp` binary of this build: `AMBIENT_LSP_BIN`, else the one cargo builds next
/// to this test executable. It is (re)built once per test process, so that `cargo test -p e2e`
/// never runs a stale binary.
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("AMBIENT_LSP_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test> → target/<profile>/ambient-lsp
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    static BUILD: std::sync::Once = std::sync::Once::new();
    BUILD.call_once(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "-p",
            "ambient-lsp",
            "--bin",
            "ambient-lsp",
        ])
        .current_dir(repo_root());
        if dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "cargo build -p ambient-lsp failed");
    });
    let bin = dir.join(format!("ambient-lsp{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} not found: build it first (cargo build -p ambient-lsp, or cargo test --workspace), or set AMBIENT_LSP_BIN",
        bin.display()
    );
    bin
}

/// The shared corpus (`../shared/corpus` beside the checkout, or `AMBIENT_CORPUS`).
pub fn corpus() -> PathBuf {
    if let Some(p) = std::env::var_os("AMBIENT_CORPUS") {
        return PathBuf::from(p);
    }
    let p = repo_root().join("../shared/corpus");
    assert!(p.is_dir(), "corpus not found at {}", p.display());
    p
}

/// Copy a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A fresh copy of `examples/mesh` in a temporary directory.
pub fn example_copy() -> tempfile::TempDir {
    let d = tempfile::TempDir::new().unwrap();
    copy_tree(&repo_root().join("examples/mesh"), d.path());
    d
}

/// The result of one `ambient-lsp` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run the binary with `args` in `cwd`, without a terminal and without colour, and without a
/// kubeconfig (no `KUBECONFIG`, a `HOME` without `.kube`).
pub fn run_in(cwd: &Path, args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cli_command(cwd, args).output().expect("run ambient-lsp");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&stderr).to_string(),
    }
}

/// The command `run_in` runs: the binary with `args` in `cwd`, no kubeconfig, no home.
pub fn cli_command(cwd: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(binary());
    c.args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .env("RUST_LOG", "warn")
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", "/nonexistent-home-of-the-e2e-tests");
    c
}

/// Run the binary in the repository root.
pub fn run(args: &[&str]) -> Run {
    run_in(&repo_root(), args)
}

/// One manifest file holding `n` namespaces, the shape of a `kubectl get -A -o yaml` dump
/// (issue 12, item 4): per namespace a sidecar-injected Namespace, a Service, a Deployment and
/// an L7 AuthorizationPolicy with a selector; `istio-system` first. ≈740 bytes a namespace
/// (1 400 ≈ 1 MB). `scripts/gen-namespaces-file` writes the same for benchmarks.
pub fn many_namespaces(n: usize) -> String {
    let mut out =
        String::from("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n");
    for i in 0..n {
        let ns = format!("team-{i}");
        out.push_str(&format!(
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n    istio-injection: enabled\n\
---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  selector:\n    app: web\n  ports:\n  - name: http\n    port: 80\n\
---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx\n\
---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: web-get\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels:\n      app: web\n  action: ALLOW\n  rules:\n  - to:\n    - operation:\n        methods: [\"GET\"]\n"
        ));
    }
    out
}
