//! `ambient-lsp migrate`: the command-line front end over the same findings as the server.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use rayon::prelude::*;

use crate::analysis::Analysis;
use crate::finding::Phase;
use crate::index::{FileData, Index};
use crate::phases::Options;
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
    #[arg(long, value_name = "NAME", default_value = "waypoint")]
    pub waypoint_name: String,
    /// Count AUDIT policies, selector Telemetry and EnvoyFilters as needing a waypoint.
    #[arg(long)]
    pub strict_waypoints: bool,
    /// Skip files larger than this (KiB).
    #[arg(long, value_name = "KB", default_value_t = 16384)]
    pub max_file_size_kb: u64,
    /// Markers: emoji, ascii, or auto (ascii when stdout is not a terminal or NO_COLOR is set).
    #[arg(long, value_name = "MODE", default_value = "auto", value_parser = ["auto", "emoji", "ascii"])]
    pub markers: String,
    /// Also print informational findings and every location.
    #[arg(short, long)]
    pub verbose: bool,
    /// CI options (issue 14): --fail-on, --source-root, --sarif-max-results, --pre-commit.
    #[command(flatten)]
    pub ci: Box<crate::ci::CiArgs>,
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

/// Write `content` to `dir/name` atomically (temporary file + rename in the same directory).
pub fn write_atomic(dir: &Path, name: &str, content: &str) -> std::io::Result<PathBuf> {
    debug_assert!(!name.contains('/') && !name.contains(".."));
    let target = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(content.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &target)?;
    Ok(target)
}

/// Load manifest files into an index (read and parse in parallel). Unreadable files become
/// input problems; a path that does not exist is an error.
pub fn load(paths: &[PathBuf], max_kb: u64) -> Result<Index, String> {
    let files = sources::expand(paths)?;
    if files.is_empty() {
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
    let ids: Vec<(u32, PathBuf)> = files
        .into_iter()
        .map(|p| (index.id_for(&p.to_string_lossy()), p))
        .collect();
    let limits = Limits::default();
    let max = max_kb.saturating_mul(1024);
    let parsed: Vec<FileData> = ids
        .into_par_iter()
        .map(|(id, p)| {
            let display = p.to_string_lossy().to_string();
            match sources::read_manifest(&p, max) {
                Ok(text) => FileData::parse(id, display, text, &limits),
                Err(e) => {
                    let mut fd = FileData::unreadable(id, display, e.rule(), e.message());
                    if matches!(e, sources::ReadError::TooLarge(..)) {
                        for pr in &mut fd.problems {
                            pr.severity = crate::finding::Severity::Warning;
                        }
                    }
                    fd
                }
            }
        })
        .collect();
    for fd in parsed {
        index.upsert(fd);
    }
    Ok(index)
}

pub fn run(mut args: MigrateArgs) -> i32 {
    if let Err(e) = crate::ci::hook_args(&mut args) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let started = std::time::Instant::now();
    // --- input: files, or the live cluster (server/src/cluster)
    let mut cluster_input = None;
    let index = if args.from_files.is_empty() {
        let request_timeout = match crate::cluster::cli::parse_timeout(&args.request_timeout) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        };
        match crate::cluster::cli::load(crate::cluster::cli::Request {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            request_timeout,
            dump_dir: args.dump_dir.clone(),
            quiet: args.quiet,
        }) {
            Ok(l) => {
                cluster_input = Some(report::ClusterInput {
                    context: l.who.context.clone(),
                    unverified: crate::cluster::unverified(&l.kinds),
                });
                l.index
            }
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        }
    } else {
        if let Some(d) = &args.dump_dir {
            eprintln!(
                "error: --dump-dir {} writes what a live cluster returned; it cannot be used with --from-files",
                d.display()
            );
            return EXIT_USAGE;
        }
        match load(&args.from_files, args.max_file_size_kb) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        }
    };
    tracing::info!(files = index.file_count(), resources = index.resource_count(), elapsed = ?started.elapsed(), rss_mb = rss_mb(), "loaded");
    let opts = Options {
        waypoint_name: args.waypoint_name.clone(),
        strict_waypoints: args.strict_waypoints,
    };
    let analysis = Analysis::run(&index, &opts);
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
    if args.ci.pre_commit && args.output_dir.is_none() {
        return crate::ci::run_hook(&args, &index, &rep);
    }

    // output files
    let dir = match &args.output_dir {
        Some(d) => {
            if let Err(e) = std::fs::create_dir_all(d) {
                eprintln!("error: --output-dir {}: {e}", d.display());
                return EXIT_USAGE;
            }
            d.clone()
        }
        None => match temp_output_dir() {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: cannot create an output directory: {e}");
                return EXIT_USAGE;
            }
        },
    };
    let files = [
        (
            "recommended-waypoints.yaml",
            report::yaml_file(
                "Waypoints recommended by the deploy-waypoints phase",
                &rep.waypoints,
            ),
        ),
        (
            "recommended-policies.yaml",
            report::yaml_file(
                "Policies recommended by the migrate-policies phase",
                &rep.policies,
            ),
        ),
        (
            "recommended-routes.yaml",
            report::yaml_file(
                "HTTPRoutes translated from mesh VirtualServices (and subset Services); apply them and delete the VirtualServices in one step",
                &rep.routes,
            ),
        ),
        ("commands.sh", rep.commands()),
    ];
    let mut written = Vec::new();
    for (name, content) in files {
        match write_atomic(&dir, name, &content) {
            Ok(p) => written.push((name.to_string(), p.display().to_string())),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", dir.join(name).display());
                return EXIT_USAGE;
            }
        }
    }
    let path_of = |n: &str| written.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let res = match args.format {
        Format::Text => {
            let ascii = match args.markers.as_str() {
                "ascii" => true,
                "emoji" => false,
                _ => {
                    !std::io::stdout().is_terminal()
                        || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
                }
            };
            let m = if ascii { &text::ASCII } else { &text::EMOJI };
            let outputs = text::Outputs {
                waypoints: path_of("recommended-waypoints.yaml"),
                policies: path_of("recommended-policies.yaml"),
                commands: path_of("commands.sh"),
                routes: path_of("recommended-routes.yaml"),
            };
            let mut w = std::io::BufWriter::new(&mut out);
            text::write(&mut w, &rep, m, &outputs, args.verbose).and_then(|_| w.flush())
        }
        Format::Json => {
            let mut w = std::io::BufWriter::new(&mut out);
            report::json::write(&mut w, &rep, &written).and_then(|_| w.flush())
        }
        Format::Sarif => {
            let opts =
                match crate::ci::source_root(args.ci.source_root.as_deref(), &args.from_files) {
                    Ok((root, _)) => {
                        crate::ci::sarif_options(&index, &root, args.ci.sarif_max_results)
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        return EXIT_USAGE;
                    }
                };
            let mut w = std::io::BufWriter::new(&mut out);
            report::sarif::write_with(&mut w, &rep, &opts).and_then(|_| w.flush())
        }
    };
    if let Err(e) = res {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: writing the report: {e}");
            return EXIT_USAGE;
        }
    }
    tracing::info!(elapsed = ?started.elapsed(), rss_mb = rss_mb(), "done");
    crate::ci::exit_code(&rep, args.ci.fail_on)
}
