//! The one writer: a thread that owns the pipeline's write connection.
//!
//! Stages hand it operations (closures over [`Store`] methods, so SQL stays in
//! the store) and go on. The thread takes whatever is queued, up to
//! [`MAX_BATCH`] operations, and applies them in one transaction: one commit
//! per batch instead of one per statement. Because batches are committed in
//! the order operations were sent, what survives a crash is always a prefix
//! of what the pipeline did, which is what makes resuming safe.
//!
//! An operation that fails rolls back its whole batch and stops the writer
//! (every later call reports the failure): the job fails and resumes from
//! its last commit. Only [`Writer::call_guarded`] runs under a savepoint, so
//! its failure is rolled back alone; it is for small operations that may
//! fail for ordinary reasons. (Savepoints are not free: inside one, SQLite
//! journals every statement, which makes bulk inserts about three times
//! slower.) Readers (the TUI, exports) use their own connections; WAL lets
//! them read while the writer writes.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Result, anyhow};
use tokio::sync::{mpsc, oneshot};

use super::Store;

/// Most operations applied in one transaction.
pub const MAX_BATCH: usize = 512;
/// Operations queued before senders wait (backpressure on a slow disk).
const QUEUE: usize = 4096;

type Op = Box<dyn FnOnce(&Store) -> Result<()> + Send>;
type Reply = Box<dyn FnOnce(bool) + Send>;

/// One operation; `reply` (if any) is called after the batch commits
/// (true) or fails (false).
struct Msg {
    op: Op,
    reply: Option<Reply>,
    /// Under a savepoint: a failure is rolled back alone.
    guarded: bool,
}

/// Counters for benchmarks and reports.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriterStats {
    pub ops: u64,
    pub batches: u64,
}

struct Inner {
    error: Mutex<Option<String>>,
    ops: AtomicU64,
    batches: AtomicU64,
}

/// Handle to the writer thread. Clone it freely; the thread ends when the
/// last handle is dropped (after applying what was queued).
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Msg>,
    inner: Arc<Inner>,
    thread: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

impl Writer {
    /// Opens the database at `path` (migrating it) and starts the thread.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(Self::start(Store::open(path)?))
    }

    /// Starts the writer thread on an open store.
    pub fn start(store: Store) -> Self {
        if let Err(e) = store.tune_for_writing() {
            tracing::warn!(error = %e, "could not enlarge the writer's page cache");
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        let inner = Arc::new(Inner {
            error: Mutex::new(None),
            ops: AtomicU64::new(0),
            batches: AtomicU64::new(0),
        });
        let thread_inner = inner.clone();
        let handle = std::thread::Builder::new()
            .name("nam-writer".into())
            .spawn(move || run(store, rx, &thread_inner))
            .ok();
        Self {
            tx,
            inner,
            thread: Arc::new(Mutex::new(handle)),
        }
    }

    /// The first failure of a fire-and-forget operation, if any.
    pub fn error(&self) -> Option<String> {
        self.inner
            .error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn check(&self) -> Result<()> {
        match self.error() {
            Some(e) => Err(anyhow!("a database write failed: {e}")),
            None => Ok(()),
        }
    }

    pub fn stats(&self) -> WriterStats {
        WriterStats {
            ops: self.inner.ops.load(Ordering::Relaxed),
            batches: self.inner.batches.load(Ordering::Relaxed),
        }
    }

    /// Queues a write; waits only while the queue is full.
    pub async fn submit(
        &self,
        op: impl FnOnce(&Store) -> Result<()> + Send + 'static,
    ) -> Result<()> {
        self.check()?;
        self.tx
            .send(Msg {
                op: Box::new(op),
                reply: None,
                guarded: false,
            })
            .await
            .map_err(|_| anyhow!("the database writer has stopped"))
    }

    /// [`Writer::submit`] for blocking threads.
    pub fn submit_blocking(
        &self,
        op: impl FnOnce(&Store) -> Result<()> + Send + 'static,
    ) -> Result<()> {
        self.check()?;
        self.tx
            .blocking_send(Msg {
                op: Box::new(op),
                reply: None,
                guarded: false,
            })
            .map_err(|_| anyhow!("the database writer has stopped"))
    }

    fn call_msg<T: Send + 'static>(
        op: impl FnOnce(&Store) -> Result<T> + Send + 'static,
        guarded: bool,
    ) -> (Msg, oneshot::Receiver<Result<T>>) {
        let (tx, rx) = oneshot::channel();
        let slot: Arc<Mutex<Option<Result<T>>>> = Arc::new(Mutex::new(None));
        let out = slot.clone();
        let msg = Msg {
            guarded,
            op: Box::new(move |s| {
                let r = op(s);
                let failed = r.as_ref().err().map(|e| anyhow!("{e:#}"));
                *out.lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
                // The savepoint is rolled back when the call fails.
                match failed {
                    Some(e) => Err(e),
                    None => Ok(()),
                }
            }),
            reply: Some(Box::new(move |committed| {
                let r = slot
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take()
                    .unwrap_or_else(|| Err(anyhow!("the write was not applied")));
                let r = if committed {
                    r
                } else {
                    r.and_then(|_| Err(anyhow!("the batch holding this write did not commit")))
                };
                let _ = tx.send(r);
            })),
        };
        (msg, rx)
    }

    /// Runs `op` on the write connection in the current batch and returns
    /// its result once the batch has committed. Also a barrier: everything
    /// submitted before it is committed when it returns. A failure stops
    /// the writer, like a failed [`Writer::submit`].
    pub async fn call<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.send_call(op, false).await
    }

    /// [`Writer::call`] under a savepoint: a failure is rolled back alone,
    /// returned to the caller, and the writer goes on.
    pub async fn call_guarded<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.send_call(op, true).await
    }

    async fn send_call<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Store) -> Result<T> + Send + 'static,
        guarded: bool,
    ) -> Result<T> {
        self.check()?;
        let (msg, rx) = Self::call_msg(op, guarded);
        self.tx
            .send(msg)
            .await
            .map_err(|_| anyhow!("the database writer has stopped"))?;
        let r = rx
            .await
            .map_err(|_| anyhow!("the database writer has stopped"))?;
        // A lost batch reports what sank it rather than its own absence.
        if r.is_err() && !guarded {
            self.check()?;
        }
        r
    }

    /// [`Writer::call`] for blocking threads.
    pub fn call_blocking<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.check()?;
        let (msg, rx) = Self::call_msg(op, false);
        self.tx
            .blocking_send(msg)
            .map_err(|_| anyhow!("the database writer has stopped"))?;
        let r = rx
            .blocking_recv()
            .map_err(|_| anyhow!("the database writer has stopped"))?;
        if r.is_err() {
            self.check()?;
        }
        r
    }

    /// Waits until everything queued so far is committed; fails if any
    /// queued write failed.
    pub async fn flush(&self) -> Result<()> {
        self.call(|_| Ok(())).await?;
        self.check()
    }

    /// [`Writer::flush`] for blocking threads.
    pub fn flush_blocking(&self) -> Result<()> {
        self.call_blocking(|_| Ok(()))?;
        self.check()
    }

    /// Flushes, then stops the thread once every other handle is gone.
    pub async fn close(self) -> Result<WriterStats> {
        self.flush().await?;
        let stats = self.stats();
        let thread = self.thread.clone();
        drop(self);
        // Other clones may still be alive (a task that has not ended yet);
        // the thread then ends when they go. Join only if we were the last.
        if Arc::strong_count(&thread) == 1 {
            let handle = thread.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(h) = handle {
                let _ = tokio::task::spawn_blocking(move || h.join()).await;
            }
        }
        Ok(stats)
    }
}

fn run(store: Store, mut rx: mpsc::Receiver<Msg>, inner: &Inner) {
    let mut batch: Vec<Msg> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let n = batch.len() as u64;
        let mut replies: Vec<Reply> = Vec::new();
        // After a failure nothing more lands, not even what was queued
        // before it was noticed: what survives stays a prefix.
        let poisoned = inner
            .error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some();
        let committed = if poisoned {
            replies.extend(batch.drain(..).filter_map(|m| m.reply));
            false
        } else {
            apply(&store, batch.drain(..), &mut replies, inner)
        };
        inner.ops.fetch_add(n, Ordering::Relaxed);
        inner.batches.fetch_add(1, Ordering::Relaxed);
        for r in replies {
            r(committed);
        }
    }
}

fn remember(inner: &Inner, e: &anyhow::Error) {
    let mut slot = inner.error.lock().unwrap_or_else(|p| p.into_inner());
    if slot.is_none() {
        *slot = Some(format!("{e:#}"));
    }
}

/// Applies one batch in one transaction; true when it committed.
fn apply(
    store: &Store,
    batch: impl Iterator<Item = Msg>,
    replies: &mut Vec<Reply>,
    inner: &Inner,
) -> bool {
    let mut ok = match store.begin_immediate() {
        Ok(()) => true,
        Err(e) => {
            remember(inner, &e);
            false
        }
    };
    for m in batch {
        if let Some(r) = m.reply {
            replies.push(r);
        }
        if !ok {
            continue; // the batch is lost; its callers hear so
        }
        if m.guarded {
            // A guarded failure is the caller's business (its reply says so).
            let _ = store.savepoint(m.op);
            continue;
        }
        if let Err(e) = (m.op)(store) {
            tracing::error!(error = %format!("{e:#}"), "database write failed; batch rolled back");
            remember(inner, &e);
            ok = false;
        }
    }
    if !ok {
        store.rollback_quietly();
        return false;
    }
    match store.commit() {
        Ok(()) => true,
        Err(e) => {
            remember(inner, &e);
            store.rollback_quietly();
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_writer() -> (tempfile::TempDir, Writer) {
        let dir = tempfile::tempdir().unwrap();
        let w = Writer::open(&dir.path().join("w.db")).unwrap();
        (dir, w)
    }

    #[tokio::test]
    async fn many_submits_commit_in_few_batches_and_calls_see_them() {
        let (_dir, w) = temp_writer();
        for i in 0..2000 {
            w.submit(move |s| s.create_job_for_test(&format!("k{i}")))
                .await
                .unwrap();
        }
        let n = w.call(|s| s.job_count()).await.unwrap();
        assert_eq!(n, 2000);
        let stats = w.stats();
        assert!(stats.ops >= 2001);
        assert!(
            stats.batches < 2001,
            "expected batching, got {} batches",
            stats.batches
        );
    }

    #[tokio::test]
    async fn a_failing_guarded_call_rolls_back_alone_and_reports_its_error() {
        let (_dir, w) = temp_writer();
        w.submit(|s| s.create_job_for_test("kept")).await.unwrap();
        let r: Result<()> = w
            .call_guarded(|s| {
                s.create_job_for_test("rolled back")?;
                Err(anyhow!("no thanks"))
            })
            .await;
        assert!(r.unwrap_err().to_string().contains("no thanks"));
        assert_eq!(w.call(|s| s.job_count()).await.unwrap(), 1);
        assert!(
            w.error().is_none(),
            "a failed call does not poison the writer"
        );
    }

    #[tokio::test]
    async fn a_failing_submit_rolls_back_its_batch_and_poisons_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let w = Writer::open(&path).unwrap();
        w.submit(|s| s.create_job_for_test("committed"))
            .await
            .unwrap();
        w.flush().await.unwrap();
        w.submit(|s| {
            s.create_job_for_test("half-way")?;
            Err(anyhow!("disk on fire"))
        })
        .await
        .unwrap();
        let e = w.flush().await.unwrap_err().to_string();
        assert!(e.contains("disk on fire"), "{e}");
        assert!(w.submit(|_| Ok(())).await.is_err());
        drop(w);
        let n = Store::open(&path).unwrap().job_count().unwrap();
        assert_eq!(n, 1, "the failed batch left nothing behind");
    }

    #[test]
    fn blocking_side_works_from_plain_threads() {
        let (_dir, w) = temp_writer();
        let w2 = w.clone();
        std::thread::spawn(move || {
            w2.submit_blocking(|s| s.create_job_for_test("t")).unwrap();
            w2.flush_blocking().unwrap();
        })
        .join()
        .unwrap();
        assert_eq!(w.call_blocking(|s| s.job_count()).unwrap(), 1);
    }
}
