use clap::Parser;
use store_assistant::cli::{self, Cli};
use store_assistant::{config::Settings, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env(cli.demo) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("error: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init();
    match cli::run(cli, settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
