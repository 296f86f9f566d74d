//! Streaming one chunk out of the server with `COPY … TO STDOUT`, bytes kept as they arrive.

use futures_util::StreamExt;
use tokio_postgres::Client;

/// Runs a `COPY … TO STDOUT` statement and returns the whole stream (header and trailer
/// included), reserving `capacity` bytes up front.
pub(crate) async fn copy_out(client: &Client, sql: &str, capacity: usize) -> Result<Vec<u8>, tokio_postgres::Error> {
    let stream = client.copy_out(sql).await?;
    futures_util::pin_mut!(stream);
    let mut buf = Vec::with_capacity(capacity);
    while let Some(piece) = stream.next().await {
        buf.extend_from_slice(&piece?);
    }
    Ok(buf)
}
