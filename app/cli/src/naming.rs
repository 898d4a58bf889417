//! The deployment `rampart monitor` and `rampart demo` name an event's
//! accounts and units from, read again when an event mentions a bank,
//! pool, vault or feed it does not know yet (one created since).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rampart_client::Deployment;
use rampart_sdk::event_units::{human_line, names_missing};
use rampart_sdk::idl_events::Event;

type Load =
    Box<dyn Fn() -> Pin<Box<dyn Future<Output = anyhow::Result<Deployment>> + Send>> + Send + Sync>;

/// Names read in the background: printing never waits on the chain.
pub struct LiveNames {
    deployment: Arc<Mutex<Option<Deployment>>>,
    stale: Arc<AtomicBool>,
}

impl LiveNames {
    /// Read the deployment with `load` now, and again (at most every half
    /// second) whenever an event asks for it. Until a read succeeds (nothing
    /// deployed yet) events print in raw units.
    pub async fn start(load: Load) -> LiveNames {
        let deployment = Arc::new(Mutex::new(load().await.ok()));
        let stale = Arc::new(AtomicBool::new(false));
        let (d, s) = (deployment.clone(), stale.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                if s.swap(false, Ordering::Relaxed) {
                    match load().await {
                        Ok(fresh) => *d.lock().unwrap_or_else(|p| p.into_inner()) = Some(fresh),
                        Err(e) => tracing::debug!(error = %format!("{e:#}"), "deployment not read"),
                    }
                }
            }
        });
        LiveNames { deployment, stale }
    }

    /// `e` in human units as far as the names read so far go.
    pub fn line(&self, e: &Event) -> String {
        let d = self.deployment.lock().unwrap_or_else(|p| p.into_inner());
        match d.as_ref() {
            Some(d) => {
                if names_missing(e, d) {
                    self.stale.store(true, Ordering::Relaxed);
                }
                human_line(e, d)
            }
            None => {
                self.stale.store(true, Ordering::Relaxed);
                human_line(e, &())
            }
        }
    }
}
