//! Job control shared by every stage: a cancellation token and a pause
//! switch. Stages call [`RunControl::proceed`] at batch boundaries; the
//! pipeline (Ctrl-C, `nam jobs pause|resume|cancel`, the TUI) flips them.

use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug)]
pub struct RunControl {
    cancel: CancellationToken,
    paused: Arc<watch::Sender<bool>>,
}

impl Default for RunControl {
    fn default() -> Self {
        Self::new()
    }
}

impl RunControl {
    pub fn new() -> Self {
        Self {
            cancel: CancellationToken::new(),
            paused: Arc::new(watch::channel(false).0),
        }
    }

    /// Asks every stage to stop at its next batch boundary.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Resolves when the job is cancelled.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await
    }

    pub fn pause(&self) {
        self.paused.send_replace(true);
    }

    pub fn resume(&self) {
        self.paused.send_replace(false);
    }

    pub fn is_paused(&self) -> bool {
        *self.paused.borrow()
    }

    /// At a batch boundary: waits while paused; false when the job was
    /// cancelled (the caller stops and leaves a resumable checkpoint).
    pub async fn proceed(&self) -> bool {
        let mut rx = self.paused.subscribe();
        loop {
            if self.cancel.is_cancelled() {
                return false;
            }
            if !*rx.borrow_and_update() {
                return true;
            }
            tokio::select! {
                _ = self.cancel.cancelled() => return false,
                changed = rx.changed() => if changed.is_err() { return true },
            }
        }
    }

    /// [`RunControl::proceed`] for blocking threads (`spawn_blocking`).
    pub fn proceed_blocking(&self) -> bool {
        if !self.is_paused() || self.is_cancelled() {
            return !self.is_cancelled();
        }
        match tokio::runtime::Handle::try_current() {
            Ok(h) => h.block_on(self.proceed()),
            // Outside a runtime nothing can resume us; treat it as a stop.
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn proceed_waits_while_paused_and_stops_on_cancel() {
        let c = RunControl::new();
        assert!(c.proceed().await);
        c.pause();
        let c2 = c.clone();
        let waiting = tokio::spawn(async move { c2.proceed().await });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        c.resume();
        assert!(waiting.await.unwrap());
        c.pause();
        let c3 = c.clone();
        let waiting = tokio::spawn(async move { c3.proceed().await });
        c.cancel();
        assert!(!waiting.await.unwrap());
        assert!(!c.proceed_blocking());
    }
}
