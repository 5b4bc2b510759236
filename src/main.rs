use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(nvviz_bench::cli::main(std::env::args_os()))
}
