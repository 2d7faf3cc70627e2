#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// Guides an Istio mesh from sidecar mode to ambient mode. With no command (or --stdio) it runs
/// the language server on stdin/stdout.
#[derive(Parser, Debug)]
#[command(name = "ambient-lsp", version, about, long_about = None, args_conflicts_with_subcommands = true)]
struct Cli {
    /// Run the language server over stdio (the default). May be repeated: clients such as
    /// vscode-languageclient append `--stdio` to the arguments they were given.
    #[arg(long, overrides_with = "stdio")]
    stdio: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Analyse manifests (or a cluster) and run the seven migration phases.
    Migrate(Box<ambient_lsp::cli::MigrateArgs>),
    /// Whether PATHs (files, or folders as the server reads a workspace) hold Istio / Gateway
    /// API resources: prints the first such file and exits 0, else exits 1. The editors start
    /// the server only where this says yes.
    Detect {
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<std::path::PathBuf>,
    },
    /// Run the language server over stdio.
    Lsp {
        /// Accepted (and repeatable) for clients that append it; stdio is the only transport.
        #[arg(long, overrides_with = "stdio")]
        stdio: bool,
    },
}

/// Logs go to stderr (stdout is the protocol channel of the server); the server also sends its
/// info/warn/error events to the client (`window/logMessage`).
fn init_logging(server: bool) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    // kube's client and the TLS verifier log each failure as an ERROR; `migrate` reports it in
    // words instead
    let default = if server {
        "info"
    } else {
        "warn,kube_client=off,rustls_platform_verifier=off"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("AMBIENT_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_filter(filter);
    let registry = tracing_subscriber::registry().with(fmt);
    if server {
        registry
            .with(
                ambient_lsp::lsp::LogLayer
                    .with_filter(tracing_subscriber::filter::LevelFilter::INFO),
            )
            .init();
    } else {
        registry.init();
    }
}

fn main() {
    let cli = Cli::parse();
    let server = !matches!(
        cli.command,
        Some(Command::Migrate(_) | Command::Detect { .. })
    );
    init_logging(server);
    let code = match cli.command {
        Some(Command::Migrate(args)) => ambient_lsp::cli::run(*args),
        Some(Command::Detect { paths }) => match ambient_lsp::detect::find_mesh(&paths) {
            Some(file) => {
                println!("{}", file.display());
                0
            }
            None => 1,
        },
        // `--stdio` (however often given) selects the only transport there is
        Some(Command::Lsp { .. }) | None => ambient_lsp::lsp::run_stdio(),
    };
    std::process::exit(code);
}
