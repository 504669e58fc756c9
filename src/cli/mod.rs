//! The `syrinx` command line: thin wrappers over the core, so batches use the code the app uses.

mod bench;
mod demo;
mod info;
mod spectrogram;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Build animal-call recognisers from your own field recordings.
#[derive(Debug, Parser)]
#[command(name = "syrinx", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Describe recordings: duration, sample rate, channels, codec, bit depth, start time.
    Info(info::InfoArgs),
    /// Draw a spectrogram of a recording (or a span of it) as a PNG figure with labelled axes.
    Spectrogram(spectrogram::SpectrogramArgs),
    /// Measure decoding and spectrogram speed on generated hour-long recordings.
    Bench(bench::BenchArgs),
    /// Write the demo data set: synthetic recordings of a target species and look-alikes, with
    /// Raven tables of every call.
    Demo(demo::DemoArgs),
}

/// Parses the command line and runs it.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Info(args)) => info::run(&args),
        Some(Command::Spectrogram(args)) => spectrogram::run(&args),
        Some(Command::Bench(args)) => bench::run(&args),
        Some(Command::Demo(args)) => demo::run(&args),
        None => Ok(ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) use crate::timefmt::parse_time_secs;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
