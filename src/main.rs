//! The `relance` binary: the studio without arguments, the command line otherwise.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    relance::cli::main()
}
