#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// Guides an Istio mesh from sidecar mode to ambient mode. With no command (or --stdio) it runs
/// the language server on stdin/stdout.
#[derive(Parser, Debug)]
#[command(name = "ambient-lsp", version, about, long_about = None, args_conflicts_with_subcommands = true)]
struct Cli {
    /// Run the language server over stdio (the default).
    #[arg(long)]
    stdio: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once
enum Command {
    /// Analyse manifests (or a cluster) and run the seven migration phases.
    Migrate(ambient_lsp::cli::MigrateArgs),
    /// Run the language server over stdio.
    Lsp,
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
    let server = !matches!(cli.command, Some(Command::Migrate(_)));
    init_logging(server);
    let code = match cli.command {
        Some(Command::Migrate(args)) => ambient_lsp::cli::run(args),
        Some(Command::Lsp) | None => {
            let _ = cli.stdio;
            ambient_lsp::lsp::run_stdio()
        }
    };
    std::process::exit(code);
}
