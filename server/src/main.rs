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
enum Command {
    /// Analyse manifests (or a cluster) and run the seven migration phases.
    Migrate(ambient_lsp::cli::MigrateArgs),
    /// Run the language server over stdio.
    Lsp,
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AMBIENT_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

fn main() {
    let cli = Cli::parse();
    init_logging();
    let code = match cli.command {
        Some(Command::Migrate(args)) => ambient_lsp::cli::run(args),
        Some(Command::Lsp) | None => {
            let _ = cli.stdio;
            eprintln!("the language server is not built yet");
            2
        }
    };
    std::process::exit(code);
}
