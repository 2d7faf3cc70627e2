//! What the CLI needs for CI: the source root of SARIF URIs (I/O: the git top level of the
//! inputs), `--fail-on`, and the pre-commit hook mode. The renderers themselves are pure
//! (`report::sarif`, `report::hook`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use crate::finding::Severity;
use crate::index::Index;
use crate::model::FileId;
use crate::report::sarif::SarifOptions;
use crate::report::uri::{file_uri, file_uri_under, normalize};
use crate::report::Report;

/// The options of `migrate` for CI (flattened into `cli::MigrateArgs`).
#[derive(clap::Args, Debug, Clone)]
pub struct CiArgs {
    /// Exit status by severity: 1 when a finding is at or above LEVEL (and no phase failed),
    /// 3 when a phase failed; `never`: always 0. Without it: 3 when a phase failed, else 0.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<crate::cli::ci::FailOn>,
    /// SARIF: the directory artifact URIs are relative to (%SRCROOT%). Default: the git top
    /// level of the inputs (else the working directory, or the inputs' common directory).
    #[arg(long, value_name = "DIR")]
    pub source_root: Option<PathBuf>,
    /// SARIF: at most N results per run; above that, repetitive findings are grouped (per rule
    /// and namespace, then per rule). GitHub shows 5,000 and rejects more than 25,000.
    #[arg(long, value_name = "N", default_value_t = crate::report::sarif::DEFAULT_MAX_RESULTS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub sarif_max_results: usize,
    /// Pre-commit hook mode: analyse the whole mesh (--from-files, default: the current
    /// directory) with every phase, print only the findings on the CHANGED files, and fail
    /// (exit 1) only on those, at --fail-on (default: error).
    #[arg(long)]
    pub pre_commit: bool,
    /// With --pre-commit: the changed files (pre-commit passes them). Name the mesh as
    /// --from-files=DIR (with `=`) so that these are not taken as more --from-files.
    #[arg(value_name = "CHANGED", requires = "pre_commit")]
    pub changed: Vec<PathBuf>,
}

/// `--fail-on`: the lowest severity of a finding that makes the run fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Never => None,
        }
    }
}

/// Exit status 1: no phase failed, but a finding is at or above `--fail-on`.
pub const EXIT_FINDINGS: i32 = 1;

/// The exit status of a run (docs/ci.md, "Exit status"):
/// - without `--fail-on`: 3 when a phase failed, else 0;
/// - `--fail-on never`: 0;
/// - `--fail-on error|warning`: 3 when a phase failed, else 1 when a finding of the phases
///   that ran (or an input problem) is at or above the level, else 0.
pub fn exit_code(report: &Report, fail_on: Option<FailOn>) -> i32 {
    let failed = report.failed();
    match fail_on {
        None => {
            if failed {
                crate::cli::EXIT_FAILED
            } else {
                crate::cli::EXIT_OK
            }
        }
        Some(FailOn::Never) => crate::cli::EXIT_OK,
        Some(level) => {
            let t = level.threshold().unwrap_or(Severity::Error);
            if failed {
                crate::cli::EXIT_FAILED
            } else if report
                .inputs
                .iter()
                .chain(report.ran_findings())
                .any(|f| f.severity() <= t)
            {
                EXIT_FINDINGS
            } else {
                crate::cli::EXIT_OK
            }
        }
    }
}

fn absolute(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    abs.canonicalize().unwrap_or_else(|_| normalize(&abs))
}

/// The absolute path of an input file as the reports name it: the path as walked (a file
/// reached through a symlinked directory keeps that spelling, as in the JSON and text
/// reports) when it is under `root`, else its canonical path.
fn as_named(p: &Path, root: &Path) -> PathBuf {
    let canonical = absolute(p);
    let lexical = if p.is_absolute() {
        normalize(p)
    } else {
        std::env::current_dir()
            .map(|d| normalize(&d.join(p)))
            .unwrap_or_else(|_| canonical.clone())
    };
    if lexical != canonical
        && lexical.starts_with(root)
        && std::fs::canonicalize(&lexical).ok().as_deref() == Some(canonical.as_path())
    {
        lexical
    } else {
        canonical
    }
}

/// How the source root was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootFrom {
    /// `--source-root`.
    Option,
    /// The git top level of the first input.
    Git,
    /// The working directory (it contains every input).
    WorkingDir,
    /// The deepest directory that contains every input.
    Common,
}

/// The git top level above `p`: the nearest ancestor with a `.git` directory or file.
pub fn git_top_level(p: &Path) -> Option<PathBuf> {
    let start = if p.is_dir() { p } else { p.parent()? };
    start
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The root SARIF URIs are relative to: `--source-root`, else the git top level of the first
/// input, else the working directory if it contains every input, else the inputs' deepest
/// common directory.
pub fn source_root(
    explicit: Option<&Path>,
    inputs: &[PathBuf],
) -> Result<(PathBuf, RootFrom), String> {
    if let Some(d) = explicit {
        if !d.is_dir() {
            return Err(format!("--source-root {}: not a directory", d.display()));
        }
        return Ok((absolute(d), RootFrom::Option));
    }
    let abs: Vec<PathBuf> = inputs.iter().map(|p| absolute(p)).collect();
    if let Some(top) = abs.first().and_then(|p| git_top_level(p)) {
        return Ok((top, RootFrom::Git));
    }
    let cwd = absolute(Path::new("."));
    if abs.iter().all(|p| p.starts_with(&cwd)) {
        return Ok((cwd, RootFrom::WorkingDir));
    }
    let mut common = abs
        .first()
        .map(|p| {
            if p.is_dir() {
                p.clone()
            } else {
                p.parent().map(Path::to_path_buf).unwrap_or_default()
            }
        })
        .unwrap_or_default();
    while !abs.iter().all(|p| p.starts_with(&common)) {
        if !common.pop() {
            break;
        }
    }
    Ok((common, RootFrom::Common))
}

/// SARIF options for the files of `index`, relative to `root`.
/// `raw`: the real paths of files whose names are not UTF-8.
pub fn sarif_options(
    index: &Index,
    root: &Path,
    max_results: usize,
    raw: &crate::cli::RawPaths,
) -> SarifOptions {
    let mut uris = HashMap::new();
    for f in index.files() {
        if crate::report::is_cluster_path(&f.path) {
            // a `cluster://` object: its URI is kept as is (`Plan::uri`)
            continue;
        }
        let path = raw
            .get(&f.id)
            .cloned()
            .unwrap_or_else(|| PathBuf::from(&*f.path));
        uris.insert(f.id, file_uri_under(&as_named(&path, root), root));
    }
    SarifOptions {
        root_uri: Some(file_uri(root, true)),
        uris,
        max_results,
    }
}

/// The files of `index` named by `changed` (paths as pre-commit passes them); the changed
/// paths that are not in the index; those that no longer exist (deleted by the commit).
pub fn changed_files(
    index: &Index,
    changed: &[PathBuf],
) -> (HashSet<FileId>, Vec<String>, Vec<String>) {
    let by_abs: HashMap<PathBuf, FileId> = index
        .files()
        .map(|f| (absolute(Path::new(&*f.path)), f.id))
        .collect();
    let mut ids = HashSet::new();
    let mut outside = Vec::new();
    let mut deleted = Vec::new();
    for c in changed {
        match by_abs.get(&absolute(c)) {
            Some(id) => {
                ids.insert(*id);
            }
            None if std::fs::symlink_metadata(c).is_err() => deleted.push(c.display().to_string()),
            None => outside.push(c.display().to_string()),
        }
    }
    (ids, outside, deleted)
}

/// Defaults of `--pre-commit`: every phase (a failed phase elsewhere is no reason to hide the
/// findings of the changed files) and the mesh under the current directory.
pub fn hook_args(args: &mut crate::cli::MigrateArgs) -> Result<(), String> {
    if !args.ci.pre_commit {
        return Ok(());
    }
    if args.ci.changed.is_empty() {
        return Err(
            "--pre-commit: no changed files were given. pre-commit passes them after the \
             hook's args; name the mesh as --from-files=DIR (with `=`), otherwise \
             --from-files takes the changed files as more inputs"
                .to_string(),
        );
    }
    // what the hook cannot honour is refused rather than ignored
    if args.format != crate::cli::Format::Text {
        return Err(
            "--pre-commit prints one line per finding of the changed files; --format json|sarif \
             is for the whole report (run without --pre-commit)"
                .to_string(),
        );
    }
    if let Some(p) = &args.phase {
        return Err(format!(
            "--pre-commit runs every phase (a failed phase elsewhere must not hide the changed \
             files' findings); --phase {p} cannot be used with it"
        ));
    }
    if args.context.is_some() || args.kubeconfig.is_some() || args.dump_dir.is_some() {
        return Err(
            "--pre-commit analyses the manifests of the repository, not a live cluster; \
             --context, --kubeconfig and --dump-dir cannot be used with it"
                .to_string(),
        );
    }
    args.ignore_failures = true;
    if args.from_files.is_empty() {
        args.from_files.push(PathBuf::from("."));
    }
    Ok(())
}

/// Run the hook: print the findings of the changed files; exit 1 when one of them is at or
/// above `--fail-on` (default `error`), else 0. Findings elsewhere in the mesh, and failed
/// phases, never fail the hook: the commit did not cause them.
pub fn run_hook(args: &crate::cli::MigrateArgs, index: &Index, report: &Report) -> i32 {
    let (changed, outside, deleted) = changed_files(index, &args.ci.changed);
    let threshold = args.ci.fail_on.unwrap_or(FailOn::Error).threshold();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let res = crate::report::hook::write(&mut out, report, &changed, &outside, &deleted, threshold)
        .and_then(|s| std::io::Write::flush(&mut out).map(|_| s));
    match res {
        Ok(s) if s.failing > 0 => EXIT_FINDINGS,
        Ok(_) => crate::cli::EXIT_OK,
        Err(e) => {
            eprintln!("error: writing the report: {e}");
            crate::cli::EXIT_USAGE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_git_top_level_is_found_from_a_file_or_directory() {
        let d = tempfile::TempDir::new().unwrap();
        let root = d.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("repo/.git")).unwrap();
        std::fs::create_dir_all(root.join("repo/mesh/ns")).unwrap();
        std::fs::write(root.join("repo/mesh/ns/a.yaml"), "").unwrap();
        assert_eq!(
            git_top_level(&root.join("repo/mesh/ns/a.yaml")),
            Some(root.join("repo"))
        );
        assert_eq!(
            git_top_level(&root.join("repo/mesh")),
            Some(root.join("repo"))
        );
        // a worktree has a .git file
        std::fs::create_dir_all(root.join("wt/x")).unwrap();
        std::fs::write(root.join("wt/.git"), "gitdir: elsewhere\n").unwrap();
        assert_eq!(git_top_level(&root.join("wt/x")), Some(root.join("wt")));
        let (r, from) = source_root(None, &[root.join("repo/mesh/ns/a.yaml")]).unwrap();
        assert_eq!((r, from), (root.join("repo"), RootFrom::Git));
        let (r, from) = source_root(Some(&root.join("repo/mesh")), &[]).unwrap();
        assert_eq!((r, from), (root.join("repo/mesh"), RootFrom::Option));
        assert!(source_root(Some(&root.join("nope")), &[]).is_err());
    }
}
