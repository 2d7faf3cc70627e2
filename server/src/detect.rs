//! Whether a workspace is an Istio mesh project: the one place that decides it. The editors
//! start the language server only where this says yes (`ambient-lsp detect PATH…`, exit 0), so
//! that VS Code, Neovim and any other client agree, and agree with the files the server indexes.
//!
//! A manifest counts when it holds an Istio (`*.istio.io`) or Gateway API
//! (`gateway.networking.k8s.io`) resource, or an Istio label (`istio-injection`,
//! `istio.io/rev`, `istio.io/dataplane-mode`). Only the head of each file is read.

use std::io::Read;
use std::path::{Path, PathBuf};

/// API groups whose resources make a mesh project.
pub const MESH_GROUPS: [&str; 5] = [
    "networking.istio.io",
    "security.istio.io",
    "telemetry.istio.io",
    "extensions.istio.io",
    "gateway.networking.k8s.io",
];

/// Labels that enrol namespaces or workloads in a mesh.
pub const MESH_LABELS: [&str; 3] = ["istio-injection", "istio.io/rev", "istio.io/dataplane-mode"];

/// How much of each file is read.
pub const HEAD_BYTES: usize = 64 * 1024;

fn unquote(s: &str) -> &str {
    s.trim()
        .trim_start_matches(['"', '\''])
        .trim_end_matches(['"', '\'', ','])
}

fn mesh_api_version(value: &str) -> bool {
    let v = unquote(value);
    MESH_GROUPS
        .iter()
        .any(|g| v.strip_prefix(g).is_some_and(|rest| rest.starts_with('/')))
}

/// Whether manifest text (YAML or JSON, one line at a time) holds mesh resources or labels.
pub fn looks_like_mesh(text: &str) -> bool {
    text.lines().any(|line| {
        let l = line.trim_start();
        let l = l.strip_prefix("- ").unwrap_or(l).trim_start();
        // `key: value` in YAML, `"key": value` in JSON (several per line in minified JSON)
        let mut rest = l;
        while let Some((key, after)) = rest.split_once(':') {
            let k = unquote(key.rsplit([',', '{']).next().unwrap_or(key));
            if k == "apiVersion" {
                let value = after.split([',', '}']).next().unwrap_or(after);
                if mesh_api_version(value) {
                    return true;
                }
            } else if MESH_LABELS.contains(&k) {
                return true;
            }
            if !l.starts_with('{') && !l.starts_with('"') {
                break; // YAML: only the first key of a line
            }
            rest = after;
        }
        false
    })
}

fn file_looks_like_mesh(path: &Path) -> bool {
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut buf = Vec::with_capacity(8192);
    if f.take(HEAD_BYTES as u64).read_to_end(&mut buf).is_err() {
        return false;
    }
    looks_like_mesh(&String::from_utf8_lossy(&buf))
}

/// The first manifest under `paths` (files, or folders read as the language server reads a
/// workspace folder: `.gitignore` respected) that shows mesh resources.
pub fn find_mesh(paths: &[PathBuf]) -> Option<PathBuf> {
    for p in paths {
        if p.is_file() {
            if file_looks_like_mesh(p) {
                return Some(p.clone());
            }
            continue;
        }
        if let Some(f) = crate::sources::workspace_files(p)
            .into_iter()
            .find(|f| file_looks_like_mesh(f))
        {
            return Some(f);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istio_and_gateway_api_resources_and_labels() {
        for yes in [
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\n",
            "---\napiVersion: \"security.istio.io/v1beta1\"\n",
            "items:\n- apiVersion: gateway.networking.k8s.io/v1\n  kind: HTTPRoute\n",
            "kind: List\nitems:\n  - apiVersion: 'telemetry.istio.io/v1'\n",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n    istio-injection: enabled\n",
            "metadata:\n  labels:\n    istio.io/dataplane-mode: ambient\n",
            "  labels: {}\n  \"istio.io/rev\": canary\n",
            r#"{"apiVersion": "extensions.istio.io/v1alpha1", "kind": "WasmPlugin"}"#,
            r#"{"kind":"List","items":[{"apiVersion":"v1"},{"apiVersion":"networking.istio.io/v1"}]}"#,
        ] {
            assert!(looks_like_mesh(yes), "{yes}");
        }
        for no in [
            "apiVersion: apps/v1\nkind: Deployment\n",
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\n",
            "apiVersion: gateway.networking.k8s.io.example.com/v1\n",
            "# apiVersion: networking.istio.io/v1\n",
            "description: see networking.istio.io/v1 docs\n",
            "name: istio-injection-test\n",
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n",
            r#"{"apiVersion": "v1", "kind": "ConfigMap", "data": {"x": "networking.istio.io/v1"}}"#,
        ] {
            assert!(!looks_like_mesh(no), "{no}");
        }
    }

    #[test]
    fn folders_respect_gitignore_and_stop_at_the_first_mesh_file() {
        let dir = tempfile::TempDir::new().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("app.yaml"),
            "apiVersion: apps/v1\nkind: Deployment\n",
        )
        .unwrap();
        assert_eq!(find_mesh(&[root.to_path_buf()]), None);
        std::fs::create_dir(root.join("build")).unwrap();
        std::fs::write(root.join(".gitignore"), "build/\n").unwrap();
        std::fs::write(
            root.join("build/vs.yaml"),
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\n",
        )
        .unwrap();
        assert_eq!(find_mesh(&[root.to_path_buf()]), None, "ignored folder");
        std::fs::write(
            root.join("mesh.yml"),
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n    istio-injection: enabled\n",
        )
        .unwrap();
        assert_eq!(
            find_mesh(&[root.to_path_buf()]),
            Some(root.join("mesh.yml"))
        );
        // a single file; a missing path is simply not a mesh
        assert_eq!(find_mesh(&[root.join("app.yaml")]), None);
        assert_eq!(find_mesh(&[root.join("nope")]), None);
    }
}
