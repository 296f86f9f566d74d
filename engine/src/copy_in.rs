//! Loading one chunk with `COPY … FROM STDIN`: the raw stream is sent in slices without copying.

use bytes::Bytes;
use futures_util::SinkExt;
use tokio_postgres::Client;

/// Bytes per CopyData message sent to the server.
const PIECE: usize = 1 << 20;

/// Sends a complete COPY stream and returns the row count the server reports.
pub(crate) async fn copy_in(client: &Client, sql: &str, data: Vec<u8>) -> Result<u64, tokio_postgres::Error> {
    let sink = client.copy_in::<_, Bytes>(sql).await?;
    futures_util::pin_mut!(sink);
    let data = Bytes::from(data);
    let mut start = 0;
    while start < data.len() {
        let end = (start + PIECE).min(data.len());
        sink.feed(data.slice(start..end)).await?;
        start = end;
    }
    sink.finish().await
}
