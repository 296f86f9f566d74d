//! Loading one chunk with `COPY … FROM STDIN`: the raw stream arrives in pieces from the chunk
//! reader and is sent as it comes; the COPY is committed only once the reader has checked the
//! whole stream, and aborted (nothing loaded) otherwise.

use std::future::Future;

use bytes::Bytes;
use futures_util::SinkExt;
use tokio::sync::mpsc::Receiver;
use tokio_postgres::Client;

use crate::archive::CopyFormat;
use crate::sql::{ident_list, qualified};

/// The `COPY … FROM STDIN` statement that loads a table's chunks (all columns when `columns`
/// is empty: a table without columns).
pub(crate) fn copy_in_sql(schema: &str, name: &str, columns: &[String], format: CopyFormat) -> String {
    let list = if columns.is_empty() { String::new() } else { format!(" ({})", ident_list(columns)) };
    format!("COPY {}{list} FROM STDIN (FORMAT {})", qualified(schema, name), format.sql())
}

/// Why a streamed COPY did not complete.
pub(crate) enum CopyInError<E> {
    /// The server refused the COPY or its data (or the connection went).
    Server(tokio_postgres::Error),
    /// The stream failed its checks (or could not be read); the COPY was aborted.
    Source(E),
}

/// Sends the pieces arriving on `pieces`, then waits for `checked` and commits the COPY only if
/// it succeeded; returns the row count the server reports.
pub(crate) async fn copy_in<E>(
    client: &Client,
    sql: &str,
    pieces: &mut Receiver<Vec<u8>>,
    checked: impl Future<Output = Result<(), E>>,
) -> Result<u64, CopyInError<E>> {
    let sink = client.copy_in::<_, Bytes>(sql).await.map_err(CopyInError::Server)?;
    futures_util::pin_mut!(sink);
    while let Some(piece) = pieces.recv().await {
        sink.feed(Bytes::from(piece)).await.map_err(CopyInError::Server)?;
    }
    // Dropping the sink without finishing it sends CopyFail: the server discards the rows.
    checked.await.map_err(CopyInError::Source)?;
    sink.finish().await.map_err(CopyInError::Server)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_in_sql_is_qualified() {
        assert_eq!(copy_in_sql("s", "z", &[], CopyFormat::Text), "COPY \"s\".\"z\" FROM STDIN (FORMAT text)");
        assert_eq!(
            copy_in_sql("s", "z", &["a".into()], CopyFormat::Binary),
            "COPY \"s\".\"z\" (\"a\") FROM STDIN (FORMAT binary)"
        );
    }
}
