//! The `relance` binary: the studio without arguments, the command line otherwise.

fn main() -> std::process::ExitCode {
    relance::cli::main()
}
