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
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout(), Options::default()));
    // Standard input is read on a blocking thread that waits until the client closes the
    // pipe; after `exit` the server must not wait for it (dropping the runtime would).
    runtime.shutdown_background();
    Ok(())
}
