//! API keys: the OS keyring (Secret Service, then kernel keyutils), with
//! environment variables as a read-only fallback. Keys never reach the
//! database, logs, exports or the screen unmasked.
//!
//! Every key reported says which store holds it and whether that store
//! survives a reboot ([`Secrets::report`], [`render_key_table`]); `nam keys
//! list` and `nam doctor` print that table, and [`Secrets::store_summary`]
//! says which store was chosen and why the others were not.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use keyring_core::{CredentialStore, Entry, Error as KeyringError};

/// Keyring service name under which every key is stored.
pub const SERVICE: &str = "nam";

/// Providers nam knows, with the environment variable that may also hold the key.
/// The enrichment chain's providers first; tavily and openai serve prospecting.
pub const PROVIDERS: &[(&str, &str)] = &[
    ("clearbit", "NAM_CLEARBIT_API_KEY"),
    ("apollo", "NAM_APOLLO_API_KEY"),
    ("builtwith", "NAM_BUILTWITH_API_KEY"),
    ("zoominfo", "NAM_ZOOMINFO_API_KEY"),
    ("hunter", "NAM_HUNTER_API_KEY"),
    ("google_places", "NAM_GOOGLE_PLACES_API_KEY"),
    ("peopledatalabs", "NAM_PEOPLEDATALABS_API_KEY"),
    ("tavily", "NAM_TAVILY_API_KEY"),
    ("openai", "NAM_OPENAI_API_KEY"),
];

/// How long one store may take to answer the start-up probe. A locked
/// Secret Service can sit on an unlock prompt nobody will answer (headless,
/// over SSH); past this the store is passed over instead of hanging nam.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Which store holds the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The desktop keyring over D-Bus (gnome-keyring, KWallet, KeePassXC):
    /// encrypted on disk, survives a reboot.
    SecretService,
    /// Kernel keyutils: session-scoped, lost on reboot.
    KeyUtils,
    /// An in-memory store, for tests only.
    Mock,
    /// No OS store works: keys can only come from environment variables.
    /// Also names the store of a key found in a variable (see [`FoundKey::store`]).
    EnvOnly,
}

impl Backend {
    /// A phrase for messages: `stored … in the {describe}`.
    pub fn describe(self) -> &'static str {
        match self {
            Self::SecretService => "OS keyring (Secret Service)",
            Self::KeyUtils => "kernel keyutils (session keyring: lost on reboot)",
            Self::Mock => "in-memory mock store (tests only)",
            Self::EnvOnly => "environment variables only (no OS keyring available)",
        }
    }

    /// The store's short name, as the STORE column shows it.
    pub fn store_name(self) -> &'static str {
        match self {
            Self::SecretService => "Secret Service",
            Self::KeyUtils => "kernel keyutils",
            Self::Mock => "mock store",
            Self::EnvOnly => "environment",
        }
    }

    /// Whether a key kept in this store is still there after a reboot.
    pub fn persistence(self) -> Persistence {
        match self {
            Self::SecretService => Persistence::OnDisk,
            Self::KeyUtils => Persistence::UntilReboot,
            Self::Mock => Persistence::InProcess,
            Self::EnvOnly => Persistence::AsTheShellSetsIt,
        }
    }
}

/// Whether a store keeps a key across a reboot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// Encrypted on disk (Secret Service): survives a reboot.
    OnDisk,
    /// Kernel memory (keyutils): gone after a reboot.
    UntilReboot,
    /// Process memory (the mock store): gone when the process ends.
    InProcess,
    /// An environment variable: there again only if the shell sets it again.
    AsTheShellSetsIt,
}

impl Persistence {
    /// `true` only when the key is certain to be there after a reboot.
    pub fn survives_reboot(self) -> bool {
        self == Self::OnDisk
    }

    /// The SURVIVES REBOOT column: `yes (on disk, encrypted)`, `no (…)`, …
    pub fn label(self) -> &'static str {
        match self {
            Self::OnDisk => "yes (on disk, encrypted)",
            Self::UntilReboot => "no (kernel memory, lost on reboot)",
            Self::InProcess => "no (process memory)",
            Self::AsTheShellSetsIt => "as the shell sets it",
        }
    }
}

/// Where a key was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The OS store [`Secrets::backend`] names.
    Keyring,
    /// The environment variable named.
    Env(&'static str),
}

/// One provider's key as listed: masked key and where it was found.
pub type ListedKey = (&'static str, Option<(String, KeySource)>);

/// A key that was found, as reports show it: masked, with its store. Holds
/// no key, so its `Debug` (and any panic message quoting it) cannot leak one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundKey {
    masked: String,
    source: KeySource,
    store: Backend,
}

impl FoundKey {
    /// The key through [`mask`]; the key itself is never kept here.
    pub fn masked(&self) -> &str {
        &self.masked
    }

    /// Keyring or environment variable.
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// The store holding the key: the keyring's backend, or
    /// [`Backend::EnvOnly`] for an environment variable.
    pub fn store(&self) -> Backend {
        self.store
    }

    /// Whether the key is still there after a reboot.
    pub fn persistence(&self) -> Persistence {
        self.store.persistence()
    }

    /// The STORE column: `Secret Service`, `environment ($NAM_HUNTER_API_KEY)`.
    pub fn place(&self) -> String {
        match self.source {
            KeySource::Keyring => self.store.store_name().to_string(),
            KeySource::Env(var) => format!("{} (${var})", self.store.store_name()),
        }
    }
}

/// One provider's line in `nam keys list` and `nam doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyReport {
    /// Provider name, as `nam keys set` takes it.
    pub provider: &'static str,
    /// The environment variable that may hold the key instead.
    pub env_var: &'static str,
    /// `None` when no store has a key for this provider.
    pub found: Option<FoundKey>,
}

/// A store [`Secrets::detect`] tried and passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The store that did not answer as needed.
    pub backend: Backend,
    /// One sentence: `no session bus (DBUS_SESSION_BUS_ADDRESS unset): …`.
    pub reason: String,
}

/// The key store nam uses, chosen once by [`Secrets::detect`]. Holds no key:
/// each is read from its store when asked for.
pub struct Secrets {
    backend: Backend,
    store: Option<Arc<CredentialStore>>,
    rejected: Vec<Rejected>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("backend", &self.backend)
            .field("rejected", &self.rejected)
            .finish_non_exhaustive()
    }
}

/// Shows the shape of a key without revealing it: `sk…9f` for long keys.
pub fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 12 {
        "*".repeat(chars.len().clamp(4, 8))
    } else {
        let head: String = chars[..2].iter().collect();
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(8))
    }
}

/// The table `nam keys list` and `nam doctor` print: a header, then one line
/// per provider with its masked key, store and whether it survives a reboot.
pub fn render_key_table(reports: &[KeyReport]) -> String {
    let mut out = format!(
        "{:<16}{:<14}{:<36}{}\n",
        "PROVIDER", "KEY", "STORE", "SURVIVES REBOOT"
    );
    for r in reports {
        let line = match &r.found {
            Some(k) => format!(
                "{:<16}{:<14}{:<36}{}",
                r.provider,
                k.masked(),
                k.place(),
                k.persistence().label()
            ),
            None => format!("{:<16}{:<14}{:<36}{}", r.provider, "-", "-", "-"),
        };
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn env_var_for(provider: &str) -> Option<&'static str> {
    PROVIDERS
        .iter()
        .find(|(p, _)| *p == provider)
        .map(|(_, v)| *v)
}

/// Runs `f` on its own thread and waits at most `timeout` for it. A store
/// call that blocks (an unlock prompt, a D-Bus activation that never comes)
/// is left behind on that thread, which ends with the process.
fn within<T, F>(timeout: Duration, f: F) -> std::result::Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("nam-keyring-probe".into())
        .spawn(move || {
            // The receiver is gone only after a timeout: nothing left to tell.
            let _ = tx.send(f());
        })
        .map_err(|e| format!("cannot start the probe thread: {e}"))?;
    rx.recv_timeout(timeout).map_err(|_| {
        format!(
            "no answer within {} s (a locked store may be waiting on an unlock prompt)",
            timeout.as_secs_f32()
        )
    })
}

/// A store works when probing a sentinel entry answers "no entry" (or finds
/// one); otherwise the reason, in words for `nam doctor`.
fn probe(store: &Arc<CredentialStore>) -> std::result::Result<(), String> {
    let entry = store
        .build(SERVICE, "__nam_probe__", None)
        .map_err(|e| format!("cannot build an entry: {e}"))?;
    match entry.get_password() {
        Ok(_) | Err(KeyringError::NoEntry) => Ok(()),
        Err(e @ KeyringError::NoStorageAccess(_)) => {
            Err(format!("store locked / NoStorageAccess: {e}"))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Connects to the Secret Service and checks it can hold keys now: a bus,
/// a service on it, an unlocked default collection.
#[cfg(target_os = "linux")]
fn open_secret_service() -> std::result::Result<Arc<CredentialStore>, String> {
    let no_bus_var = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none();
    let store: Arc<CredentialStore> =
        zbus_secret_service_keyring_store::Store::new().map_err(|e| {
            if no_bus_var {
                format!("no session bus (DBUS_SESSION_BUS_ADDRESS unset): {e}")
            } else {
                format!("cannot reach it on the session bus: {e}")
            }
        })?;
    // Reading a missing entry answers "no entry" even from a locked store, and
    // writing to one would raise an unlock prompt: ask about the lock instead.
    secret_service_unlocked()?;
    probe(&store)?;
    Ok(store)
}

#[cfg(target_os = "linux")]
fn secret_service_unlocked() -> std::result::Result<(), String> {
    use secret_service::{EncryptionType, blocking::SecretService};
    // No secret travels on this connection, so no session encryption.
    let ss = SecretService::connect(EncryptionType::Plain)
        .map_err(|e| format!("cannot reach it on the session bus: {e}"))?;
    let collection = ss
        .get_default_collection()
        .map_err(|e| format!("no default collection to keep keys in: {e}"))?;
    match collection.is_locked() {
        Ok(false) => Ok(()),
        Ok(true) => Err(
            "store locked / NoStorageAccess: the default collection is locked \
                         (log in to the desktop, or unlock it with `gnome-keyring-daemon --unlock`)"
                .to_string(),
        ),
        Err(e) => Err(format!("cannot tell whether the store is locked: {e}")),
    }
}

#[cfg(target_os = "linux")]
fn open_keyutils() -> std::result::Result<Arc<CredentialStore>, String> {
    let store: Arc<CredentialStore> =
        linux_keyutils_keyring_store::Store::new().map_err(|e| e.to_string())?;
    probe(&store)?;
    Ok(store)
}

impl Secrets {
    /// Picks the first store that answers: Secret Service, then keyutils,
    /// else environment variables only. Each probe is bounded by
    /// [`PROBE_TIMEOUT`]. Store calls block: call this off the async threads.
    pub fn detect() -> Self {
        Self::detect_within(PROBE_TIMEOUT)
    }

    /// [`Secrets::detect`] with another bound on each store's probe.
    pub fn detect_within(timeout: Duration) -> Self {
        let mut rejected = Vec::new();
        #[cfg(target_os = "linux")]
        {
            type Opener = fn() -> std::result::Result<Arc<CredentialStore>, String>;
            let candidates: [(Backend, Opener); 2] = [
                (Backend::SecretService, open_secret_service),
                (Backend::KeyUtils, open_keyutils),
            ];
            for (backend, open) in candidates {
                match within(timeout, open).and_then(|r| r) {
                    Ok(store) => {
                        return Self {
                            backend,
                            store: Some(store),
                            rejected,
                        };
                    }
                    Err(reason) => rejected.push(Rejected { backend, reason }),
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        for backend in [Backend::SecretService, Backend::KeyUtils] {
            rejected.push(Rejected {
                backend,
                reason: "not available on this operating system".into(),
            });
        }
        Self {
            backend: Backend::EnvOnly,
            store: None,
            rejected,
        }
    }

    /// No OS store: keys come from environment variables only, and setting
    /// one is refused with the variable to use instead.
    pub fn env_only() -> Self {
        Self {
            backend: Backend::EnvOnly,
            store: None,
            rejected: Vec::new(),
        }
    }

    /// Uses `store` as `backend` without probing (tests, or a caller that
    /// chose its store itself).
    pub fn with_store(backend: Backend, store: Arc<CredentialStore>) -> Self {
        Self {
            backend,
            store: Some(store),
            rejected: Vec::new(),
        }
    }

    /// An in-memory store for tests.
    pub fn mock() -> Result<Self> {
        let store: Arc<CredentialStore> = keyring_core::mock::Store::new()?;
        Ok(Self::with_store(Backend::Mock, store))
    }

    /// The store keys are written to and read from first.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The stores [`Secrets::detect`] tried before this one, with why each
    /// was passed over; empty when the first one answered.
    pub fn rejected(&self) -> &[Rejected] {
        &self.rejected
    }

    /// Lines for `nam doctor`: the chosen store and whether its keys survive
    /// a reboot, then each other store and why it was not chosen.
    pub fn store_summary(&self) -> Vec<String> {
        let chosen = self.backend;
        let mut lines = vec![format!(
            "chosen: {}; survives reboot: {}",
            chosen.store_name(),
            chosen.persistence().label()
        )];
        for r in &self.rejected {
            lines.push(format!(
                "not chosen: {}: {}",
                r.backend.store_name(),
                r.reason
            ));
        }
        let tried = |b: Backend| b == chosen || self.rejected.iter().any(|r| r.backend == b);
        for b in [Backend::SecretService, Backend::KeyUtils] {
            if !tried(b) {
                lines.push(format!(
                    "not chosen: {}: not tried (a preferred store answered first)",
                    b.store_name()
                ));
            }
        }
        if chosen != Backend::EnvOnly {
            lines.push(
                "environment: read (never written) for a provider the keyring has no key for"
                    .into(),
            );
        }
        lines
    }

    fn check_provider(provider: &str) -> Result<()> {
        if env_var_for(provider).is_none() {
            let known: Vec<&str> = PROVIDERS.iter().map(|(p, _)| *p).collect();
            bail!("unknown provider {provider:?}; known: {}", known.join(", "));
        }
        Ok(())
    }

    fn entry(&self, provider: &str) -> Result<Option<Entry>> {
        match &self.store {
            Some(store) => Ok(Some(store.build(SERVICE, provider, None)?)),
            None => Ok(None),
        }
    }

    /// Stores `key` (trimmed) for `provider` in the chosen OS store; refused
    /// with the environment variable to use when there is none.
    pub fn set(&self, provider: &str, key: &str) -> Result<()> {
        Self::check_provider(provider)?;
        let key = key.trim();
        if key.is_empty() {
            bail!("the key for {provider} is empty");
        }
        match self.entry(provider)? {
            Some(entry) => Ok(entry.set_password(key)?),
            None => bail!(
                "no OS keyring is available here; set the environment variable {} instead",
                env_var_for(provider).unwrap_or("?")
            ),
        }
    }

    /// The key and where it came from: the keyring first, then the environment.
    pub fn get(&self, provider: &str) -> Result<Option<(String, KeySource)>> {
        Self::check_provider(provider)?;
        if let Some(entry) = self.entry(provider)? {
            match entry.get_password() {
                Ok(k) => return Ok(Some((k, KeySource::Keyring))),
                Err(KeyringError::NoEntry) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let var = env_var_for(provider).unwrap_or_default();
        Ok(std::env::var(var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (v, KeySource::Env(var))))
    }

    /// The store a key from `source` lives in: the chosen backend for the
    /// keyring, [`Backend::EnvOnly`] for a variable.
    pub fn store_of(&self, source: &KeySource) -> Backend {
        match source {
            KeySource::Keyring => self.backend,
            KeySource::Env(_) => Backend::EnvOnly,
        }
    }

    /// Deletes the stored key; `false` when there was none.
    pub fn delete(&self, provider: &str) -> Result<bool> {
        Self::check_provider(provider)?;
        match self.entry(provider)? {
            Some(entry) => match entry.delete_credential() {
                Ok(()) => Ok(true),
                Err(KeyringError::NoEntry) => Ok(false),
                Err(e) => Err(e.into()),
            },
            None => {
                bail!("no OS keyring is available here; unset the environment variable instead")
            }
        }
    }

    /// Every known provider with its masked key and source, if set.
    pub fn list(&self) -> Result<Vec<ListedKey>> {
        PROVIDERS
            .iter()
            .map(|(p, _)| Ok((*p, self.get(p)?.map(|(k, s)| (mask(&k), s)))))
            .collect()
    }

    /// Every known provider with its masked key, store and persistence: what
    /// `nam keys list` and `nam doctor` print (see [`render_key_table`]).
    pub fn report(&self) -> Result<Vec<KeyReport>> {
        PROVIDERS
            .iter()
            .map(|(provider, env_var)| {
                let found = self.get(provider)?.map(|(key, source)| FoundKey {
                    masked: mask(&key),
                    store: self.store_of(&source),
                    source,
                });
                Ok(KeyReport {
                    provider,
                    env_var,
                    found,
                })
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn masks_never_reveal_the_key() {
        let key = "sk_live_0123456789abcdef";
        let m = mask(key);
        assert!(!m.contains("0123456789"));
        assert!(m.starts_with("sk") && m.ends_with("ef"));
        assert_eq!(mask("short"), "*****");
    }

    #[test]
    fn set_get_delete_round_trip_in_mock_store() {
        let s = Secrets::mock().unwrap();
        assert_eq!(s.backend(), Backend::Mock);
        s.set("hunter", "  abc123secretkey  ").unwrap();
        let (k, src) = s.get("hunter").unwrap().unwrap();
        assert_eq!(k, "abc123secretkey");
        assert_eq!(src, KeySource::Keyring);
        let listed = s.list().unwrap();
        let hunter = listed.iter().find(|(p, _)| *p == "hunter").unwrap();
        assert!(!hunter.1.as_ref().unwrap().0.contains("abc123"));
        assert!(s.delete("hunter").unwrap());
        assert!(!s.delete("hunter").unwrap());
        assert!(s.set("nosuch", "x").is_err());
        assert!(s.set("hunter", "   ").is_err());
    }

    #[test]
    fn env_only_refuses_to_store() {
        let s = Secrets::env_only();
        let err = s.set("apollo", "k").unwrap_err().to_string();
        assert!(err.contains("NAM_APOLLO_API_KEY"), "{err}");
    }

    const KEY: &str = "sk_zQ9xWv7TpL3mNbR8kY2jef";

    /// Fails when `out` holds the key or any 4 characters of its middle.
    fn assert_no_key(out: &str) {
        assert!(!out.contains(KEY), "key shown:\n{out}");
        let middle = &KEY[2..KEY.len() - 2];
        for start in 0..=middle.len() - 4 {
            let piece = &middle[start..start + 4];
            assert!(!out.contains(piece), "leaks {piece:?}:\n{out}");
        }
    }

    #[test]
    fn providers_cover_the_enrichment_chain_and_prospecting() {
        for (p, var) in [
            ("clearbit", "NAM_CLEARBIT_API_KEY"),
            ("apollo", "NAM_APOLLO_API_KEY"),
            ("builtwith", "NAM_BUILTWITH_API_KEY"),
            ("zoominfo", "NAM_ZOOMINFO_API_KEY"),
            ("hunter", "NAM_HUNTER_API_KEY"),
            ("google_places", "NAM_GOOGLE_PLACES_API_KEY"),
            ("peopledatalabs", "NAM_PEOPLEDATALABS_API_KEY"),
            ("tavily", "NAM_TAVILY_API_KEY"),
            ("openai", "NAM_OPENAI_API_KEY"),
        ] {
            assert_eq!(env_var_for(p), Some(var), "{p}");
        }
    }

    #[test]
    fn each_store_says_whether_it_survives_a_reboot() {
        assert!(Backend::SecretService.persistence().survives_reboot());
        assert_eq!(
            Backend::SecretService.persistence().label(),
            "yes (on disk, encrypted)"
        );
        assert!(!Backend::KeyUtils.persistence().survives_reboot());
        assert!(
            Backend::KeyUtils
                .persistence()
                .label()
                .contains("lost on reboot")
        );
        assert!(!Backend::Mock.persistence().survives_reboot());
        assert_eq!(Backend::EnvOnly.store_name(), "environment");
        assert_eq!(
            Backend::EnvOnly.persistence().label(),
            "as the shell sets it"
        );
    }

    #[test]
    fn report_and_table_show_the_store_and_never_the_key() {
        let s = Secrets::mock().unwrap();
        s.set("google_places", KEY).unwrap();
        let reports = s.report().unwrap();
        assert_eq!(reports.len(), PROVIDERS.len());
        let gp = reports
            .iter()
            .find(|r| r.provider == "google_places")
            .unwrap();
        assert_eq!(gp.env_var, "NAM_GOOGLE_PLACES_API_KEY");
        let found = gp.found.as_ref().unwrap();
        assert_eq!(found.masked(), mask(KEY));
        assert_eq!(found.source(), &KeySource::Keyring);
        assert_eq!(found.store(), Backend::Mock);
        assert_eq!(found.place(), "mock store");
        assert_eq!(found.persistence(), Persistence::InProcess);

        let table = render_key_table(&reports);
        let mut lines = table.lines();
        assert_eq!(
            lines.next().unwrap(),
            "PROVIDER        KEY           STORE                               SURVIVES REBOOT"
        );
        let row = table
            .lines()
            .find(|l| l.starts_with("google_places"))
            .unwrap();
        assert_eq!(
            row,
            "google_places   sk********ef  mock store                          no (process memory)"
        );
        // Every provider has a row; one without a key shows dashes only.
        assert_eq!(table.lines().count(), PROVIDERS.len() + 1);
        assert!(table.lines().any(|l| l == "tavily          -             -                                   -"));
        assert_no_key(&table);
        // Debug output (and so any panic message quoting a report) is masked too.
        assert_no_key(&format!("{reports:?} {s:?}"));
    }

    #[test]
    fn env_keys_are_reported_in_the_environment_store() {
        let s = Secrets::mock().unwrap();
        let found = FoundKey {
            masked: mask(KEY),
            source: KeySource::Env("NAM_HUNTER_API_KEY"),
            store: s.store_of(&KeySource::Env("NAM_HUNTER_API_KEY")),
        };
        assert_eq!(found.store(), Backend::EnvOnly);
        assert_eq!(found.place(), "environment ($NAM_HUNTER_API_KEY)");
        assert_eq!(found.persistence().label(), "as the shell sets it");
        assert_eq!(s.store_of(&KeySource::Keyring), Backend::Mock);
        assert_no_key(&format!("{found:?}"));
    }

    #[test]
    fn summary_names_the_chosen_store_and_why_others_were_not() {
        let s = Secrets {
            backend: Backend::EnvOnly,
            store: None,
            rejected: vec![
                Rejected {
                    backend: Backend::SecretService,
                    reason: "no session bus (DBUS_SESSION_BUS_ADDRESS unset)".into(),
                },
                Rejected {
                    backend: Backend::KeyUtils,
                    reason: "store locked / NoStorageAccess: denied".into(),
                },
            ],
        };
        assert_eq!(
            s.store_summary(),
            vec![
                "chosen: environment; survives reboot: as the shell sets it",
                "not chosen: Secret Service: no session bus (DBUS_SESSION_BUS_ADDRESS unset)",
                "not chosen: kernel keyutils: store locked / NoStorageAccess: denied",
            ]
        );
        let s = Secrets::mock().unwrap();
        let summary = s.store_summary();
        assert_eq!(
            summary[0],
            "chosen: mock store; survives reboot: no (process memory)"
        );
        assert!(
            summary
                .iter()
                .any(|l| l.starts_with("not chosen: Secret Service: not tried"))
        );
        assert!(summary.last().unwrap().starts_with("environment: read"));
    }

    #[test]
    fn a_probe_that_blocks_is_abandoned_at_the_timeout() {
        let started = std::time::Instant::now();
        let r = within(Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_secs(5));
            1
        });
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(r.unwrap_err().contains("no answer within"));
        assert_eq!(within(Duration::from_secs(5), || 7), Ok(7));
    }

    #[test]
    fn detect_always_returns_promptly_with_reasons_for_passed_over_stores() {
        let started = std::time::Instant::now();
        let s = Secrets::detect_within(Duration::from_secs(2));
        // Two probes at most, each bounded.
        assert!(started.elapsed() < Duration::from_secs(5));
        for r in s.rejected() {
            assert!(!r.reason.is_empty());
            assert_ne!(r.backend, s.backend());
        }
        if s.backend() == Backend::EnvOnly {
            assert!(s.rejected().len() >= 2, "{s:?}");
        }
    }
}
