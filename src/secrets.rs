//! API keys: the OS keyring (Secret Service, then kernel keyutils), with
//! environment variables as a read-only fallback. Keys never reach the
//! database, logs, exports or the screen unmasked.

use std::sync::Arc;

use anyhow::{Result, bail};
use keyring_core::{CredentialStore, Entry, Error as KeyringError};

/// Keyring service name under which every key is stored.
pub const SERVICE: &str = "nam";

/// Providers nam knows, with the environment variable that may also hold the key.
pub const PROVIDERS: &[(&str, &str)] = &[
    ("apollo", "NAM_APOLLO_API_KEY"),
    ("hunter", "NAM_HUNTER_API_KEY"),
    ("peopledatalabs", "NAM_PEOPLEDATALABS_API_KEY"),
    ("clearbit", "NAM_CLEARBIT_API_KEY"),
    ("builtwith", "NAM_BUILTWITH_API_KEY"),
];

/// Which store holds the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    SecretService,
    /// Kernel keyutils: session-scoped, lost on reboot.
    KeyUtils,
    /// An in-memory store, for tests only.
    Mock,
    /// No OS store works: keys can only come from environment variables.
    EnvOnly,
}

impl Backend {
    pub fn describe(self) -> &'static str {
        match self {
            Self::SecretService => "OS keyring (Secret Service)",
            Self::KeyUtils => "kernel keyutils (session keyring: lost on reboot)",
            Self::Mock => "in-memory mock store (tests only)",
            Self::EnvOnly => "environment variables only (no OS keyring available)",
        }
    }
}

/// Where a key was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Keyring,
    Env(&'static str),
}

/// One provider's key as listed: masked key and where it was found.
pub type ListedKey = (&'static str, Option<(String, KeySource)>);

pub struct Secrets {
    backend: Backend,
    store: Option<Arc<CredentialStore>>,
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

fn env_var_for(provider: &str) -> Option<&'static str> {
    PROVIDERS
        .iter()
        .find(|(p, _)| *p == provider)
        .map(|(_, v)| *v)
}

/// A store works when probing a sentinel entry answers "no entry" (or finds one).
fn probe(store: &Arc<CredentialStore>) -> bool {
    match store.build(SERVICE, "__nam_probe__", None) {
        Ok(entry) => matches!(entry.get_password(), Ok(_) | Err(KeyringError::NoEntry)),
        Err(_) => false,
    }
}

impl Secrets {
    /// Picks the first store that answers: Secret Service, then keyutils,
    /// else environment variables only. Store calls block: call this off the
    /// async threads.
    pub fn detect() -> Self {
        #[cfg(target_os = "linux")]
        {
            if let Ok(store) = zbus_secret_service_keyring_store::Store::new() {
                let store: Arc<CredentialStore> = store;
                if probe(&store) {
                    return Self::with_store(Backend::SecretService, store);
                }
            }
            if let Ok(store) = linux_keyutils_keyring_store::Store::new() {
                let store: Arc<CredentialStore> = store;
                if probe(&store) {
                    return Self::with_store(Backend::KeyUtils, store);
                }
            }
        }
        Self {
            backend: Backend::EnvOnly,
            store: None,
        }
    }

    /// No OS store: keys come from environment variables only, and setting
    /// one is refused with the variable to use instead.
    pub fn env_only() -> Self {
        Self {
            backend: Backend::EnvOnly,
            store: None,
        }
    }

    pub fn with_store(backend: Backend, store: Arc<CredentialStore>) -> Self {
        Self {
            backend,
            store: Some(store),
        }
    }

    /// An in-memory store for tests.
    pub fn mock() -> Result<Self> {
        let store: Arc<CredentialStore> = keyring_core::mock::Store::new()?;
        Ok(Self::with_store(Backend::Mock, store))
    }

    pub fn backend(&self) -> Backend {
        self.backend
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
        let s = Secrets {
            backend: Backend::EnvOnly,
            store: None,
        };
        let err = s.set("apollo", "k").unwrap_err().to_string();
        assert!(err.contains("NAM_APOLLO_API_KEY"), "{err}");
    }
}
