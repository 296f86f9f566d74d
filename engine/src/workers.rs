//! Waiting for a set of parallel workers: the first error stops the others and is returned.

use tokio::task::JoinSet;

use crate::error::{Error, Result};

/// Joins every worker; on the first failure aborts the rest. `what` names the workers in the
/// message when one crashes.
pub(crate) async fn join_all(workers: &mut JoinSet<Result<()>>, what: &str) -> Option<Error> {
    let mut first = None;
    while let Some(joined) = workers.join_next().await {
        let outcome = match joined {
            Ok(r) => r,
            Err(e) if e.is_cancelled() => Ok(()),
            Err(e) => Err(Error::Internal(format!("a {what} worker crashed: {e}"))),
        };
        if let Err(e) = outcome {
            if first.is_none() {
                workers.abort_all();
                first = Some(e);
            }
        }
    }
    first
}
