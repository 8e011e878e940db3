//! The `gmac` binary.

use std::process::ExitCode;

use clap::Parser;

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = gmac_server::cli::Cli::parse();
    match gmac_server::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Startup and CLI errors go to stderr with their whole chain.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
