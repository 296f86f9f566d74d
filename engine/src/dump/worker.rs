//! A COPY-out worker: one pooled connection inside the shared snapshot, taking chunks from the
//! queue, streaming each `COPY … TO STDOUT` into a sealer on a blocking thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::execute::{Frame, Queue};
use super::TablePlan;
use crate::archive::{Compression, Layout, Sealer};
use crate::error::{Error, Result};
use crate::pg::{copy_out, SnapshotId, Target};
use crate::progress::{Event, Progress};

/// One pooled connection copying chunks from the shared queue inside the shared snapshot.
pub(super) struct Worker {
    pub(super) target: Target,
    pub(super) pool: deadpool_postgres::Pool,
    pub(super) snapshot: SnapshotId,
    pub(super) queue: Queue,
    pub(super) tables: Arc<Vec<TablePlan>>,
    pub(super) failed: Arc<AtomicBool>,
    pub(super) permits: Arc<Semaphore>,
    pub(super) tx: crossbeam_channel::Sender<Frame>,
    pub(super) compression: Compression,
    pub(super) progress: Arc<dyn Progress>,
}

impl Worker {
    /// Copies chunks until the queue is empty or another worker failed.
    pub(super) async fn run(self) -> Result<()> {
        let client = self.target.pooled(&self.pool).await?;
        self.snapshot.import(&client).await?;
        loop {
            if self.failed.load(Ordering::SeqCst) {
                break;
            }
            let Some((t, c)) = self.queue.lock().expect("queue lock").pop_front() else { break };
            let permit = self.permits.clone().acquire_owned().await.expect("semaphore never closed");
            let tp = &self.tables[t];
            let range = &tp.chunks[c];
            self.progress.event(Event::Detail { text: tp.display_name() });
            // The chunk is sealed on a blocking thread while it streams in; progress counts the
            // COPY bytes as they arrive.
            let (format, compression, progress) = (tp.format, self.compression, self.progress.clone());
            let (pieces, mut arriving) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
            let sealer = tokio::task::spawn_blocking(move || {
                let mut sealer = Sealer::new(format, Layout::for_table(format, compression), compression)?;
                while let Some(piece) = arriving.blocking_recv() {
                    sealer.feed(&piece)?;
                    progress.event(Event::Advance { amount: piece.len() as u64 });
                }
                sealer.finish()
            });
            let copied = copy_out(&client, &tp.copy_out_sql(range), &pieces).await;
            drop(pieces);
            let sealed = sealer.await.map_err(|e| Error::Internal(format!("chunk sealer failed: {e}")))?;
            copied.map_err(|e| Error::db(format!("dumping table {}, chunk {c}", tp.display_name()), &e))?;
            let _ = self.tx.send(Frame { table: t, chunk: c, sealed, _permit: permit });
        }
        let _ = client.batch_execute("COMMIT").await;
        Ok(())
    }
}
