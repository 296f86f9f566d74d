//! Streaming one chunk out of the server with `COPY … TO STDOUT`: the bytes are handed on in
//! pieces of about a MiB as they arrive, so a chunk is never gathered whole.

use futures_util::StreamExt;
use tokio::sync::mpsc::Sender;
use tokio_postgres::Client;

/// Bytes gathered before a piece is handed on (the server sends one message per row).
const PIECE: usize = 1 << 20;

/// Runs a `COPY … TO STDOUT` statement and sends the whole stream (header and trailer included)
/// to `pieces`; stops early, without an error, if the receiver has gone (it failed and says why).
pub(crate) async fn copy_out(
    client: &Client,
    sql: &str,
    pieces: &Sender<Vec<u8>>,
) -> Result<(), tokio_postgres::Error> {
    let stream = client.copy_out(sql).await?;
    futures_util::pin_mut!(stream);
    let mut buf = Vec::with_capacity(PIECE + (64 << 10));
    while let Some(message) = stream.next().await {
        buf.extend_from_slice(&message?);
        if buf.len() >= PIECE {
            let full = std::mem::replace(&mut buf, Vec::with_capacity(PIECE + (64 << 10)));
            if pieces.send(full).await.is_err() {
                return Ok(());
            }
        }
    }
    if !buf.is_empty() {
        let _ = pieces.send(buf).await;
    }
    Ok(())
}
