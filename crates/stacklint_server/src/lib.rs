//! The stacklint language server: LSP in, the engine ([`stacklint_workspace::run`], the
//! same as `stacklint check`) underneath, LSP out. No rule logic here.
//!
//! - [`server`]: the session (documents, settings, publication) and the handlers;
//!   [`transport`]: stdio framing that survives malformed messages
//! - [`convert`]: positions (UTF-8 or UTF-16, negotiated) and URIs
//! - [`diagnostics`], [`code_actions`], [`hover`]: one LSP feature each
//! - [`config`]: the client's settings, configuration files
//! - [`lint`]: calling the engine off the runtime, panics caught
//!
//! `stacklint server` calls [`run_stdio`].

pub mod code_actions;
pub mod config;
pub mod convert;
pub mod diagnostics;
pub mod hover;
pub mod service_hover;
pub mod lint;
pub mod server;
pub mod transport;
pub mod watch;

pub use server::{Options, Server};
use tower_lsp_server::{ClientSocket, LspService};

/// The service, for a transport of the caller's choosing (tests drive it over pipes).
pub fn service(options: Options) -> (LspService<Server>, ClientSocket) {
    LspService::build(|client| Server::new(client, options))
        .custom_method("stacklint/debugPanic", Server::debug_panic)
        .custom_method("stacklint/malformedMessage", Server::malformed_message)
        .finish()
}

/// Serve on standard input and output until the client says `exit`.
pub async fn serve<I, O>(input: I, output: O, options: Options)
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: tokio::io::AsyncWrite,
{
    let (service, socket) = service(options);
    let (to_server, from_guard) = tokio::io::duplex(1 << 16);
    let guard = tokio::spawn(transport::sanitize(input, to_server));
    tower_lsp_server::Server::new(from_guard, output, socket).serve(service).await;
    guard.abort();
}

/// `stacklint server`: the language server on standard input and output.
pub fn run_stdio() -> std::io::Result<()> {
    #[cfg(unix)]
    purge_promptly();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout(), Options::default()));
    // Standard input is read on a blocking thread that waits until the client closes the
    // pipe; after `exit` the server must not wait for it (dropping the runtime would).
    runtime.shutdown_background();
    Ok(())
}

/// mimalloc (the binary's allocator) gives memory freed by a run back to the system after
/// a delay, checked when the thread that owns the memory allocates again; between an
/// editor's runs the server's threads sleep, so it would keep its peak (113 MiB with 1,000
/// files, `--example memory`; 80 MiB purging at once). mimalloc reads its options from the
/// environment as the process starts: start again with immediate purging. `exec` keeps the
/// process, its pid and its pipes; nothing has been read from them yet. A delay the user
/// set is kept.
#[cfg(unix)]
fn purge_promptly() {
    use std::os::unix::process::CommandExt;
    const PURGE_DELAY: &str = "MIMALLOC_PURGE_DELAY";
    if std::env::var_os(PURGE_DELAY).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let error = std::process::Command::new(exe).args(std::env::args_os().skip(1)).env(PURGE_DELAY, "0").exec();
    eprintln!("stacklint server: could not start again with {PURGE_DELAY}=0 ({error}); going on");
}
