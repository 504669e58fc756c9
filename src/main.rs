use std::process::ExitCode;

fn main() -> ExitCode {
    syrinx::cli::main()
}
