//! Streaming one chunk out of the server with `COPY … TO STDOUT`: the bytes are handed on in
//! pieces of about a MiB as they arrive, to a consumer on a blocking thread (sealing, hashing,
//! counting rows), so a chunk is never gathered whole.

use futures_util::StreamExt;
use tokio::sync::mpsc::{Receiver, Sender};
use tokio_postgres::Client;

/// Bytes gathered before a piece is handed on (the server sends one message per row).
const PIECE: usize = 1 << 20;

/// Runs a `COPY … TO STDOUT` statement and hands the whole stream (header and trailer included)
/// to `consume`, which runs on a blocking thread and reads the pieces from its receiver while
/// they arrive. Returns the server's outcome and what `consume` made (an error when it crashed).
pub(crate) async fn copy_out<T, F>(
    client: &Client,
    sql: &str,
    consume: F,
) -> (Result<(), tokio_postgres::Error>, Result<T, String>)
where
    F: FnOnce(&mut Receiver<Vec<u8>>) -> T + Send + 'static,
    T: Send + 'static,
{
    let (pieces, mut arriving) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let consumer = tokio::task::spawn_blocking(move || consume(&mut arriving));
    let copied = stream_to(client, sql, &pieces).await;
    drop(pieces);
    (copied, consumer.await.map_err(|e| e.to_string()))
}

/// Sends the stream to `pieces`; stops early, without an error, if the receiver has gone (it
/// failed and says why).
async fn stream_to(client: &Client, sql: &str, pieces: &Sender<Vec<u8>>) -> Result<(), tokio_postgres::Error> {
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
