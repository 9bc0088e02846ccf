//! The `wsgi-migrate` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    wsgi_migrate::cli::main()
}
