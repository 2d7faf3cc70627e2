//! Reading manifests from disk: the paths of `--from-files` (files or directories, recursive)
//! and the workspace folders of the language server.

use std::path::{Path, PathBuf};

use crate::rules::{self, Rule};

/// The size limit of both front ends, in KiB: the CLI's `--max-file-size-kb` and the language
/// server's `ambient.maxFileSizeKb` default (the editors' setting defaults are the same). 16 MiB
/// holds a `kubectl get -o yaml` export of a large namespace and Istio's or Gateway API's CRD
/// bundles, and keeps a stray data dump out of the index.
pub const DEFAULT_MAX_FILE_SIZE_KB: u64 = 16384;

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
    /// The entry could not be walked: a symbolic link loop, a dangling link, an unreadable
    /// directory ([`Walk::problems`]).
    Walk(String),
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
            ReadError::Walk(e) => format!("cannot read: {e}"),
        }
    }
}

pub fn read_manifest(path: &Path, max_bytes: u64) -> Result<String, ReadError> {
    let meta = std::fs::metadata(path).map_err(|e| match symlink_loop(path) {
        Some(back) => ReadError::Walk(loop_message(&back)),
        None => ReadError::Io(e.to_string()),
    })?;
    if meta.len() > max_bytes {
        return Err(ReadError::TooLarge(meta.len(), max_bytes));
    }
    let bytes = std::fs::read(path).map_err(|e| ReadError::Io(e.to_string()))?;
    decode_manifest(bytes)
}

/// The text of a manifest file's bytes: binary (NUL in the first 8 KiB) and non-UTF-8 files
/// are refused, a UTF-8 BOM is dropped. (The fuzz target `analysis` feeds it raw bytes.)
pub fn decode_manifest(bytes: Vec<u8>) -> Result<String, ReadError> {
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

/// What [`walk`] found under the `--from-files` arguments.
#[derive(Debug, Default)]
pub struct Walk {
    /// Manifest files, each once however often it was reached (overlapping arguments, `..`,
    /// symlinked directories: deduplicated by canonical path), sorted.
    pub files: Vec<PathBuf>,
    /// Entries that could not be walked (a dangling symlink, a symlink loop, an unreadable
    /// directory): the path and why. The run reports each as a YAML-005 problem and goes on.
    pub problems: Vec<(PathBuf, String)>,
    /// Directories (and files) not read because they hold the output of `ambient-lsp migrate`
    /// (this run's `--output-dir`, or recommended files of an earlier run).
    pub skipped_outputs: Vec<PathBuf>,
}

/// The names of the files `ambient-lsp migrate` writes to its output directory.
pub const OUTPUT_NAMES: [&str; 4] = [
    "recommended-waypoints.yaml",
    "recommended-policies.yaml",
    "recommended-routes.yaml",
    "commands.sh",
];

/// A file ambient-lsp generated: one of [`OUTPUT_NAMES`] whose header carries our mark.
pub fn is_generated_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if !OUTPUT_NAMES.contains(&name) {
        return false;
    }
    let mut head = [0u8; 512];
    let n = match std::fs::File::open(path) {
        Ok(mut f) => {
            use std::io::Read;
            f.read(&mut head).unwrap_or(0)
        }
        Err(_) => return false,
    };
    let head = String::from_utf8_lossy(&head[..n]);
    head.lines().take(3).any(|l| {
        l.starts_with(crate::report::GENERATED_MARK) || l.starts_with(crate::report::COMMANDS_MARK)
    })
}

/// A directory that holds the output of an earlier `ambient-lsp migrate` run.
pub fn holds_output(dir: &Path) -> bool {
    OUTPUT_NAMES.iter().any(|n| is_generated_file(&dir.join(n)))
}

/// When `path` is a symbolic link whose chain of links comes back to one of its own links
/// (`a.yaml → b.yaml → a.yaml`, `x.yaml → x.yaml`): the link it leads back to. The operating
/// system only says "too many levels of symbolic links"; this names the loop.
pub fn symlink_loop(path: &Path) -> Option<PathBuf> {
    let mut seen = std::collections::HashSet::new();
    let mut at = path.to_path_buf();
    // 40 is Linux's own limit of links followed
    for _ in 0..=40 {
        if !at.is_symlink() {
            return None;
        }
        let abs = std::path::absolute(&at).ok()?;
        if !seen.insert(abs) {
            return Some(at);
        }
        let target = std::fs::read_link(&at).ok()?;
        at = match at.parent() {
            Some(dir) if target.is_relative() => dir.join(target),
            _ => target,
        };
    }
    Some(at)
}

fn loop_message(back: &Path) -> String {
    format!(
        "symbolic link loop (it leads back to {}): not followed",
        without_dots(back).display()
    )
}

/// The path a walk error is about, and a message for it.
fn walk_error(e: &ignore::Error) -> (Option<PathBuf>, String) {
    match e {
        ignore::Error::WithPath { path, err } => {
            // a loop of file links: the walker only has the OS's "too many levels" error
            if let Some(back) = symlink_loop(path) {
                return (Some(path.clone()), loop_message(&back));
            }
            let (p, m) = walk_error(err);
            (p.or_else(|| Some(path.clone())), m)
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error(err)
        }
        ignore::Error::Loop { ancestor, child } => (Some(child.clone()), loop_message(ancestor)),
        ignore::Error::Io(io) if io.kind() == std::io::ErrorKind::NotFound => (
            None,
            "dangling symbolic link (its target does not exist)".to_string(),
        ),
        ignore::Error::Io(io) => (None, io.to_string()),
        ignore::Error::Partial(errs) => errs
            .first()
            .map(walk_error)
            .unwrap_or((None, e.to_string())),
        other => (None, other.to_string()),
    }
}

/// `p` without its `.` components (`./a/./b` → `a/b`; `.` stays `.`).
fn without_dots(p: &Path) -> PathBuf {
    let out: PathBuf = p
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// Expand `--from-files` arguments into manifest files (recursively: `*.yaml`, `*.yml`,
/// `*.json`), skipping `.git`, `node_modules`, the directory `exclude` (the run's
/// `--output-dir`) and every directory that holds an earlier run's output ([`holds_output`]);
/// the generated files themselves are skipped even in a directory named as an argument.
/// Each file is listed once, under the most direct of the spellings it was reached by (not
/// through a symlink if possible, then the shortest; `.` components dropped). An argument that does not exist is an error;
/// an entry under an argument that cannot be walked is a [`Walk::problems`] entry.
pub fn walk(paths: &[PathBuf], exclude: Option<&Path>) -> Result<Walk, String> {
    walk_with(paths, exclude, false)
}

/// The input policy of both front ends: what a walk of `paths` reads and what it reports.
/// Symbolic links are followed (a manifest reached through a link is read, once); a loop, a
/// dangling link to a manifest, an unreadable directory are [`Walk::problems`] (YAML-005 via
/// [`ReadError::Walk`]); `.git` and `node_modules` are skipped. The language server's
/// workspace folders also respect `.gitignore` (`gitignore`); the CLI reads what it is given.
fn walk_with(paths: &[PathBuf], exclude: Option<&Path>, gitignore: bool) -> Result<Walk, String> {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};
    let exclude = exclude.and_then(|d| std::fs::canonicalize(d).ok());
    let skipped = Arc::new(Mutex::new(Vec::<PathBuf>::new()));
    let mut problems = Vec::new();
    // canonical path → the spellings it was reached by
    let mut found: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let mut add = |p: PathBuf| {
        let canonical = std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
        found.entry(canonical).or_default().push(p);
    };
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| match symlink_loop(p) {
            Some(back) => format!("{}: {}", p.display(), loop_message(&back)),
            None => format!("{}: {}", p.display(), e),
        })?;
        if meta.is_file() {
            add(p.clone());
            continue;
        }
        if !meta.is_dir() {
            return Err(format!("{}: not a file or directory", p.display()));
        }
        let exclude = exclude.clone();
        let skipped_in = Arc::clone(&skipped);
        let mut builder = ignore::WalkBuilder::new(p);
        builder.standard_filters(false);
        if gitignore {
            builder
                .git_ignore(true)
                .git_exclude(true)
                .parents(true)
                .require_git(false);
        }
        let walker = builder
            .hidden(false)
            .follow_links(true)
            .filter_entry(move |e| {
                let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                if !is_dir {
                    return true;
                }
                let name = e.file_name().to_string_lossy();
                if name == ".git" || name == "node_modules" {
                    return false;
                }
                // an argument is read even when it is an output directory (its generated
                // files are still skipped below)
                if e.depth() == 0 {
                    return true;
                }
                let ours = exclude.as_ref().is_some_and(|x| {
                    std::fs::canonicalize(e.path()).ok().as_deref() == Some(x.as_path())
                }) || holds_output(e.path());
                if ours {
                    skipped_in.lock().unwrap().push(without_dots(e.path()));
                }
                !ours
            })
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    let (path, message) = walk_error(&e);
                    let path = path.unwrap_or_else(|| p.clone());
                    // a dangling link is a problem only when it would have been a manifest;
                    // a loop or an unreadable directory always is
                    let dangling = message.starts_with("dangling");
                    if !dangling || is_manifest(&path) {
                        problems.push((without_dots(&path), message));
                    }
                    continue;
                }
            };
            if entry.file_type().is_some_and(|t| t.is_file()) && is_manifest(entry.path()) {
                if is_generated_file(entry.path()) {
                    skipped.lock().unwrap().push(without_dots(entry.path()));
                    continue;
                }
                add(entry.into_path());
            }
        }
    }
    let mut files: Vec<PathBuf> = found
        .into_iter()
        .map(|(canonical, spellings)| {
            spellings
                .into_iter()
                .map(|s| without_dots(&s))
                .min_by_key(|s| {
                    let direct = !s
                        .ancestors()
                        .any(|a| !a.as_os_str().is_empty() && a.is_symlink());
                    (!direct, s.components().count(), s.clone())
                })
                .unwrap_or(canonical)
        })
        .collect();
    files.sort();
    problems.sort();
    problems.dedup();
    let mut skipped_outputs = std::mem::take(&mut *skipped.lock().unwrap());
    skipped_outputs.sort();
    skipped_outputs.dedup();
    Ok(Walk {
        files,
        problems,
        skipped_outputs,
    })
}

/// Expand `--from-files` arguments into manifest files (sorted, deduplicated): [`walk`]
/// without an output directory, its problems dropped. Errors name the path and the reason.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    Ok(walk(paths, None)?.files)
}

/// A workspace folder walked for the language server: [`walk`]'s policy (symbolic links
/// followed, loops and dangling links reported) with `.gitignore` respected. A folder that
/// does not exist is empty.
pub fn walk_workspace(root: &Path) -> Walk {
    walk_with(&[root.to_path_buf()], None, true).unwrap_or_default()
}

/// Files of a workspace folder for the language server ([`walk_workspace`], problems dropped).
pub fn workspace_files(root: &Path) -> Vec<PathBuf> {
    walk_workspace(root).files
}

/// Whether the language server leaves `path` out of the workspace folder `root` — the same
/// decision as [`workspace_files`]: under `.git` or `node_modules`, or ignored by a
/// `.gitignore` (of `root` or any folder between it and `path`) or `.git/info/exclude`.
/// Used for files a watcher event names, so they are not indexed just because they changed.
/// A path outside `root` is not decided here (false).
pub fn is_ignored(root: &Path, path: &Path, is_dir: bool) -> bool {
    use ignore::gitignore::GitignoreBuilder;
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    if rel
        .components()
        .any(|c| c.as_os_str() == ".git" || c.as_os_str() == "node_modules")
    {
        return true;
    }
    // the folders from `path`'s own up to `root`: the deepest matching rule decides
    let mut dirs: Vec<PathBuf> = path
        .ancestors()
        .skip(1)
        .take_while(|a| a.starts_with(root))
        .map(Path::to_path_buf)
        .collect();
    if dirs.is_empty() {
        return false;
    }
    for dir in &dirs {
        let file = dir.join(".gitignore");
        if !file.is_file() {
            continue;
        }
        let mut b = GitignoreBuilder::new(dir);
        b.add(&file);
        let Ok(gi) = b.build() else { continue };
        match gi.matched_path_or_any_parents(path, is_dir) {
            ignore::Match::Ignore(_) => return true,
            ignore::Match::Whitelist(_) => return false,
            ignore::Match::None => {}
        }
    }
    // `.git/info/exclude` of the repository that holds `path`
    dirs.reverse();
    for dir in &dirs {
        let exclude = dir.join(".git/info/exclude");
        if exclude.is_file() {
            let mut b = GitignoreBuilder::new(dir);
            b.add(&exclude);
            if let Ok(gi) = b.build() {
                if gi.matched_path_or_any_parents(path, is_dir).is_ignore() {
                    return true;
                }
            }
        }
    }
    false
}
