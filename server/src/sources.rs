//! Reading manifests from disk: the paths of `--from-files` (files or directories, recursive)
//! and the workspace folders of the language server.

use std::path::{Path, PathBuf};

use crate::rules::{self, Rule};

/// Extensions we read.
pub fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref(),
        Some("yaml" | "yml" | "json")
    )
}

#[derive(Debug)]
pub enum ReadError {
    /// Over the size limit: (size in bytes, limit).
    TooLarge(u64, u64),
    Binary,
    NotUtf8,
    Io(String),
}

impl ReadError {
    pub fn rule(&self) -> &'static Rule {
        match self {
            ReadError::TooLarge(..) => &rules::YAML_003_TOO_LARGE,
            _ => &rules::YAML_005,
        }
    }
    /// The message of the CLI (the limit is `--max-file-size-kb`).
    pub fn message(&self) -> String {
        self.message_naming("--max-file-size-kb")
    }
    /// The message of the language server (the limit is the `ambient.maxFileSizeKb` setting).
    pub fn lsp_message(&self) -> String {
        self.message_naming("the ambient.maxFileSizeKb setting")
    }
    fn message_naming(&self, limit_name: &str) -> String {
        match self {
            ReadError::TooLarge(size, limit) => format!(
                "file is {} KB, over the limit of {} KB: not analysed (raise {limit_name})",
                size / 1024,
                limit / 1024
            ),
            ReadError::Binary => "binary file (contains NUL bytes): not analysed".to_string(),
            ReadError::NotUtf8 => "file is not valid UTF-8 text: not analysed".to_string(),
            ReadError::Io(e) => format!("cannot read file: {e}"),
        }
    }
}

pub fn read_manifest(path: &Path, max_bytes: u64) -> Result<String, ReadError> {
    let meta = std::fs::metadata(path).map_err(|e| ReadError::Io(e.to_string()))?;
    if meta.len() > max_bytes {
        return Err(ReadError::TooLarge(meta.len(), max_bytes));
    }
    let bytes = std::fs::read(path).map_err(|e| ReadError::Io(e.to_string()))?;
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return Err(ReadError::Binary);
    }
    let text = String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)?;
    // a UTF-8 BOM is allowed by YAML but confuses column counts: drop it
    Ok(text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text))
}

/// Expand `--from-files` arguments into manifest files (sorted, deduplicated). Errors name the
/// path and the reason.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {}", p.display(), e))?;
        if meta.is_file() {
            out.push(p.clone());
            continue;
        }
        if !meta.is_dir() {
            return Err(format!("{}: not a file or directory", p.display()));
        }
        let walker = ignore::WalkBuilder::new(p)
            .standard_filters(false)
            .hidden(false)
            .follow_links(true)
            .filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                !(e.file_type().is_some_and(|t| t.is_dir())
                    && (name == ".git" || name == "node_modules"))
            })
            .build();
        for entry in walker {
            let entry = entry.map_err(|e| format!("{}: {}", p.display(), e))?;
            if entry.file_type().is_some_and(|t| t.is_file()) && is_manifest(entry.path()) {
                out.push(entry.path().to_path_buf());
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Files of a workspace folder for the language server: respects `.gitignore`, skips
/// `.git` and `node_modules`.
pub fn workspace_files(root: &Path) -> Vec<PathBuf> {
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !(e.file_type().is_some_and(|t| t.is_dir())
                && (name == ".git" || name == "node_modules"))
        })
        .build();
    let mut out: Vec<PathBuf> = walker
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()) && is_manifest(e.path()))
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}
