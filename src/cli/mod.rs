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

/// Seconds as `12.5`, `1:02.5` (m:ss) or `1:02:03.5` (h:mm:ss).
pub(crate) fn parse_time_secs(text: &str) -> Result<f64, String> {
    let mut secs = 0.0;
    for part in text.trim().split(':') {
        let value: f64 = part
            .parse()
            .map_err(|_| format!("'{text}' is not a time (use seconds, m:ss or h:mm:ss)"))?;
        secs = secs * 60.0 + value;
    }
    if secs.is_finite() && secs >= 0.0 {
        Ok(secs)
    } else {
        Err(format!("'{text}' is not a time of zero or more seconds"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_three_forms() {
        assert_eq!(parse_time_secs("12.5"), Ok(12.5));
        assert_eq!(parse_time_secs("1:02.5"), Ok(62.5));
        assert_eq!(parse_time_secs("1:02:03"), Ok(3723.0));
        assert!(parse_time_secs("-3").is_err());
        assert!(parse_time_secs("noon").is_err());
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
