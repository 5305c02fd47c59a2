//! The `nam` binary: parse arguments, start logging, dispatch. Nothing else.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = nam::cli::Cli::parse();
    let env = match nam::cli::Env::new(&cli) {
        Ok(env) => env,
        Err(e) => {
            eprintln!("error: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Logs go to files only; a failure to open them is reported but not
    // fatal. Commands that promise to leave no files behind log nowhere.
    let _log_guard = if cli.writes_no_files() {
        None
    } else {
        match nam::logging::init(&env.paths.log_dir) {
            Ok(g) => Some(g),
            Err(e) => {
                eprintln!("warning: logging disabled: {e:#}");
                None
            }
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(nam::cli::dispatch(cli, env)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "command failed");
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
