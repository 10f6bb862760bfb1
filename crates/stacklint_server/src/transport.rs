//! The stdio transport's guard: tower-lsp-server stops reading at the first message it
//! cannot decode (its framed reader ends after an error), which would end the session.
//! Frames pass through here first; a body that is not JSON becomes a
//! `stacklint/malformedMessage` notification, which the server logs and ignores.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// Frames larger than this are not read whole (a client bug or an attack): the input ends.
const MAX_FRAME: usize = 256 * 1024 * 1024;

/// Copy LSP frames from `input` to `output`, replacing undecodable bodies. Ends at the end
/// of `input` or at a frame whose header cannot be read.
pub async fn sanitize<I, O>(input: I, mut output: O)
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let mut reader = BufReader::new(input);
    loop {
        let mut length: Option<usize> = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap_or((line, ""));
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok();
            }
        }
        let Some(length) = length.filter(|n| *n <= MAX_FRAME) else {
            // No length: nothing to skip to; a message before the blank line was lost.
            let note = malformed("a message without a valid Content-Length header");
            if write_frame(&mut output, &note).await.is_err() {
                return;
            }
            continue;
        };
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let body = match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(_) => body,
            Err(e) => malformed(&format!("a message that is not JSON ({e})")),
        };
        if write_frame(&mut output, &body).await.is_err() {
            return;
        }
    }
}

fn malformed(reason: &str) -> Vec<u8> {
    serde_json::json!({"jsonrpc": "2.0", "method": "stacklint/malformedMessage", "params": {"reason": reason}})
        .to_string()
        .into_bytes()
}

async fn write_frame<O: AsyncWrite + Unpin>(output: &mut O, body: &[u8]) -> std::io::Result<()> {
    output.write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes()).await?;
    output.write_all(body).await?;
    output.flush().await
}
