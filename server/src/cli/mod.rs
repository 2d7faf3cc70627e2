//! `ambient-lsp migrate`: the command-line front end over the same findings as the server.

pub mod ci;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use rayon::prelude::*;

use crate::analysis::Options;
use crate::engine::Analysis;
use crate::finding::Phase;
use crate::index::{FileData, Index};
use crate::report::{self, text, ReportOptions};
use crate::sources;
use crate::yaml::Limits;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

#[derive(Args, Debug, Clone)]
pub struct MigrateArgs {
    /// Read manifests from files or directories (recursively: *.yaml, *.yml, *.json) instead of
    /// a live cluster.
    #[arg(long = "from-files", value_name = "PATH", num_args = 1..)]
    pub from_files: Vec<PathBuf>,
    /// Kubeconfig context of the live cluster (read-only).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Kubeconfig file of the live cluster.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Live cluster: how long one request may take (30s, 2m, 1m30s, or seconds).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub request_timeout: String,
    /// Live cluster: write what was read as YAML (one file per namespace and kind; Secrets as
    /// metadata only), to rerun offline with --from-files DIR.
    #[arg(long, value_name = "DIR")]
    pub dump_dir: Option<PathBuf>,
    /// With --from-files: also read the live cluster (--kubeconfig, --context; read-only) and
    /// report drift between the files and it (DRIFT-001…003).
    #[arg(long, requires = "from_files")]
    pub compare_cluster: bool,
    /// No progress lines on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Run every phase even when an earlier phase's checks fail.
    #[arg(long)]
    pub ignore_failures: bool,
    /// Where recommended-waypoints.yaml, recommended-policies.yaml, recommended-routes.yaml and
    /// commands.sh go
    /// (default: a new temporary directory, printed).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Run only up to and including this phase.
    #[arg(long, value_name = "ID", value_parser = ["pre-reqs", "cluster-setup", "deploy-waypoints", "migrate-policies", "use-waypoints", "policy-simplification", "remove-sidecars"])]
    pub phase: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Name of generated waypoints.
    #[arg(long, value_name = "NAME", default_value = "waypoint", value_parser = parse_waypoint_name)]
    pub waypoint_name: String,
    /// Count AUDIT policies, selector Telemetry and EnvoyFilters as needing a waypoint.
    #[arg(long)]
    pub strict_waypoints: bool,
    /// Skip files larger than this (KiB); the language server's `ambient.maxFileSizeKb` has the
    /// same default.
    #[arg(long, value_name = "KB", default_value_t = crate::sources::DEFAULT_MAX_FILE_SIZE_KB)]
    pub max_file_size_kb: u64,
    /// Markers: emoji, ascii, or auto (ascii when stdout is not a terminal or NO_COLOR is set).
    #[arg(long, value_name = "MODE", default_value = "auto", value_parser = ["auto", "emoji", "ascii"])]
    pub markers: String,
    /// Also print informational findings and every location.
    #[arg(short, long)]
    pub verbose: bool,
    /// CI options (issue 14): --fail-on, --source-root, --sarif-max-results, --pre-commit.
    #[command(flatten)]
    pub ci: Box<ci::CiArgs>,
}

/// Resident memory of this process in MB (Linux; 0 elsewhere), for logs.
pub fn rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(|pages| pages * 4096 / 1_000_000)
        .unwrap_or(0)
}

/// Exit statuses of the contract.
pub const EXIT_OK: i32 = 0;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_FAILED: i32 = 3;

fn temp_output_dir() -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    for i in 0..100u32 {
        let p = base.join(format!(
            "ambient-migrate-{}-{:x}",
            std::process::id(),
            stamp.wrapping_add(i as u128) & 0xffff_ffff
        ));
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("cannot create a temporary directory"))
}

/// The paths of loaded files whose names are not UTF-8 (the index keeps a lossy display path;
/// the URIs of the SARIF report need the real bytes).
pub type RawPaths = std::collections::HashMap<u32, PathBuf>;

/// Load manifest files into an index (read and parse in parallel). Unreadable files become
/// input problems; a path that does not exist is an error.
pub fn load(paths: &[PathBuf], max_kb: u64) -> Result<Index, String> {
    Ok(load_walk(paths, max_kb, None)?.0)
}

/// [`load`], not reading `exclude` (the run's `--output-dir`) nor any directory that holds an
/// earlier run's output; also returns what was skipped for that reason. Entries that cannot be
/// walked (dangling symlinks, loops, unreadable directories) become YAML-005 problems.
pub fn load_walk(
    paths: &[PathBuf],
    max_kb: u64,
    exclude: Option<&std::path::Path>,
) -> Result<(Index, Vec<PathBuf>, RawPaths), String> {
    let walk = sources::walk(paths, exclude)?;
    if walk.files.is_empty() && walk.problems.is_empty() {
        return Err(format!(
            "no *.yaml, *.yml or *.json files under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut index = Index::new();
    let ids: Vec<(u32, PathBuf)> = walk
        .files
        .into_iter()
        .map(|p| (index.id_for(&p.to_string_lossy()), p))
        .collect();
    // names that are not UTF-8: the index has them lossily; URIs need the real bytes
    let raw: Vec<(u32, PathBuf)> = ids
        .iter()
        .filter(|(_, p)| p.to_str().is_none())
        .cloned()
        .collect();
    let raw: RawPaths = raw.into_iter().collect();
    let limits = Limits::default();
    let max = max_kb.saturating_mul(1024);
    let mut parsed: Vec<FileData> = ids
        .into_par_iter()
        .map(|(id, p)| {
            let display = p.to_string_lossy().to_string();
            match sources::read_manifest(&p, max) {
                Ok(text) => FileData::parse(id, display, text, &limits),
                Err(e) => FileData::unreadable(id, display, e.rule(), e.message()),
            }
        })
        .collect();
    for (p, message) in walk.problems {
        let display = p.to_string_lossy().to_string();
        let id = index.id_for(&display);
        let e = sources::ReadError::Walk(message);
        parsed.push(FileData::unreadable(id, display, e.rule(), e.message()));
    }
    for fd in parsed {
        index.upsert(fd);
    }
    Ok((index, walk.skipped_outputs, raw))
}

pub fn run(mut args: MigrateArgs) -> i32 {
    if let Err(e) = ci::hook_args(&mut args) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    match migrate(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_USAGE
        }
    }
}

/// The input: the files of `--from-files`, or the live cluster (`crate::cluster`), then what
/// a report needs to know of a cluster.
fn input(args: &MigrateArgs) -> Result<(Index, Option<report::ClusterInput>, RawPaths), String> {
    if !args.from_files.is_empty() {
        if let Some(d) = &args.dump_dir {
            return Err(format!(
                "--dump-dir {} writes what a live cluster returned; it cannot be used with --from-files",
                d.display()
            ));
        }
        if !args.compare_cluster && (args.context.is_some() || args.kubeconfig.is_some()) {
            return Err(
                "--context and --kubeconfig choose a live cluster to read; with --from-files they need --compare-cluster"
                    .to_string(),
            );
        }
        let (index, skipped, raw) = load_walk(
            &args.from_files,
            args.max_file_size_kb,
            args.output_dir.as_deref(),
        )?;
        for p in skipped {
            eprintln!(
                "ambient-lsp: not reading {}: it holds the output of ambient-lsp migrate (--output-dir)",
                p.display()
            );
        }
        return Ok((index, None, raw));
    }
    let request_timeout = crate::cluster::cli::parse_timeout(&args.request_timeout)?;
    let l = crate::cluster::cli::load(crate::cluster::cli::Request {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        request_timeout,
        dump_dir: args.dump_dir.clone(),
        quiet: args.quiet,
        keep_text: false,
    })?;
    let cluster = report::ClusterInput {
        context: l.who.context.clone(),
        unverified: crate::cluster::unverified(&l.kinds),
    };
    Ok((l.index, Some(cluster), RawPaths::new()))
}

/// Load, analyse, write the output files and print the report (or run the pre-commit hook).
/// Ok is the exit status (`--fail-on`); Err is a usage error.
fn migrate(args: &MigrateArgs) -> Result<i32, String> {
    let started = std::time::Instant::now();
    let (index, cluster_input, raw) = input(args)?;
    tracing::info!(files = index.file_count(), resources = index.resource_count(), elapsed = ?started.elapsed(), rss_mb = rss_mb(), "loaded");
    let opts = Options {
        waypoint_name: args.waypoint_name.clone(),
        strict_waypoints: args.strict_waypoints,
    };
    let mut analysis = Analysis::run(&index, &opts);
    if args.compare_cluster {
        // DRIFT-001…003 are input findings located in the files (`crate::cluster::cli::drift`)
        analysis.global.extend(crate::cluster::cli::drift(
            crate::cluster::cli::Request {
                kubeconfig: args.kubeconfig.clone(),
                context: args.context.clone(),
                request_timeout: crate::cluster::cli::parse_timeout(&args.request_timeout)?,
                dump_dir: None,
                quiet: args.quiet,
                keep_text: true,
            },
            &index,
        )?);
    }
    tracing::info!(elapsed = ?started.elapsed(), rss_mb = rss_mb(), "analysed");
    let ropts = ReportOptions {
        ignore_failures: args.ignore_failures,
        up_to: args.phase.as_deref().and_then(Phase::from_id),
        sources: args
            .from_files
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
    };
    let rep = report::build_from(&index, &analysis, &ropts, cluster_input.as_ref());
    if args.ci.pre_commit {
        // the hook writes the recommended files only when asked to (--output-dir)
        if let Some(d) = &args.output_dir {
            let dir = output_dir(args)?;
            crate::output::write_outputs(&dir, &rep).map_err(|e| format!("cannot write {e}"))?;
            tracing::debug!(dir = %d.display(), "recommended files written");
        }
        return Ok(ci::run_hook(args, &index, &rep));
    }
    let dir = output_dir(args)?;
    let written =
        crate::output::write_outputs(&dir, &rep).map_err(|e| format!("cannot write {e}"))?;
    if args.output_dir.is_none() && args.format != Format::Text {
        // the text report names the files; JSON and SARIF readers may not look inside
        eprintln!(
            "ambient-lsp: recommended files written to {}",
            dir.display()
        );
    }
    let sarif = match args.format {
        Format::Sarif => {
            let root = args.ci.source_root.as_deref();
            let (root, _) = ci::source_root(root, &args.from_files)?;
            Some(ci::sarif_options(
                &index,
                &root,
                args.ci.sarif_max_results,
                &raw,
            ))
        }
        _ => None,
    };
    if let Err(e) = print_report(args, &rep, &written, sarif.as_ref()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(format!("writing the report: {e}"));
        }
    }
    tracing::info!(elapsed = ?started.elapsed(), rss_mb = rss_mb(), "done");
    Ok(ci::exit_code(&rep, args.ci.fail_on))
}

/// `--output-dir` (created if missing) or a new temporary directory.
fn output_dir(args: &MigrateArgs) -> Result<PathBuf, String> {
    match &args.output_dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| format!("--output-dir {}: {e}", d.display()))?;
            Ok(d.clone())
        }
        None => temp_output_dir().map_err(|e| format!("cannot create an output directory: {e}")),
    }
}

/// The report on stdout in the chosen format; `written` are the output files (name, path),
/// `sarif` the SARIF options (`--source-root`, `--sarif-max-results`).
fn print_report(
    args: &MigrateArgs,
    rep: &report::Report,
    written: &[(String, String)],
    sarif: Option<&report::sarif::SarifOptions>,
) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Text => {
            let path_of = |n: &str| written.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
            let outputs = text::Outputs {
                waypoints: path_of("recommended-waypoints.yaml"),
                policies: path_of("recommended-policies.yaml"),
                commands: path_of("commands.sh"),
                routes: path_of("recommended-routes.yaml"),
            };
            text::write(&mut w, rep, markers(&args.markers), &outputs, args.verbose)?
        }
        Format::Json => report::json::write(&mut w, rep, written)?,
        Format::Sarif => match sarif {
            Some(opts) => report::sarif::write_with(&mut w, rep, opts)?,
            None => report::sarif::write(&mut w, rep)?,
        },
    }
    w.flush()
}

/// `--markers`: ascii, emoji, or (auto) ascii unless stdout is a terminal without NO_COLOR.
fn markers(choice: &str) -> &'static text::Markers {
    let ascii = match choice {
        "ascii" => true,
        "emoji" => false,
        _ => {
            !std::io::stdout().is_terminal()
                || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        }
    };
    if ascii {
        &text::ASCII
    } else {
        &text::EMOJI
    }
}

fn parse_waypoint_name(s: &str) -> Result<String, String> {
    match crate::analysis::waypoint_name_error(s) {
        Some(why) => Err(why),
        None => Ok(s.to_string()),
    }
}
