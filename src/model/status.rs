//! Statuses and verdicts as enums. The store keeps their snake_case names in
//! TEXT columns (with CHECK constraints); code compares enums, never strings.

use serde::{Deserialize, Serialize};

/// Defines a fieldless enum stored as text: `as_str`, `parse`, `Display` and
/// serde names, from one list, so the three can never disagree.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

text_enum! {
    /// The gatekeeper's verdict on a domain.
    AccessVerdict {
        Allowed => "allowed",
        RobotsDisallowed => "robots_disallowed",
        LoginWall => "login_wall",
        Unreachable => "unreachable",
        Unknown => "unknown",
    }
}

text_enum! {
    /// Where a URL of the frontier stands.
    UrlStatus {
        /// Waiting to be fetched (also: put back for a later run).
        Pending => "pending",
        /// Claimed by a worker; reset to pending when a crawl starts or resumes.
        InProgress => "in_progress",
        Done => "done",
        /// Not worth retrying (bad URL, gone).
        Failed => "failed",
        /// robots.txt or a login wall said no.
        Skipped => "skipped",
        /// Gave up after retries; a row in `dead_letter` says why.
        Dead => "dead",
    }
}

text_enum! {
    /// How a page changed since the last crawl.
    Delta {
        New => "new",
        Changed => "changed",
        Unchanged => "unchanged",
        Deleted => "deleted",
    }
}

text_enum! {
    /// A job's state. `Interrupted` is what a `Running` or `Paused` job becomes
    /// when nam finds its process gone.
    JobStatus {
        Pending => "pending",
        Running => "running",
        Paused => "paused",
        Completed => "completed",
        Failed => "failed",
        Cancelled => "cancelled",
        Interrupted => "interrupted",
    }
}

impl JobStatus {
    /// Whether `--resume` has work to continue.
    pub fn resumable(self) -> bool {
        matches!(
            self,
            JobStatus::Failed | JobStatus::Cancelled | JobStatus::Interrupted | JobStatus::Pending
        )
    }
}

text_enum! {
    /// A phase's state within a job.
    PhaseStatus {
        Pending => "pending",
        Running => "running",
        Completed => "completed",
        Failed => "failed",
        /// Not part of the job's mode, or not built in this release (the
        /// phase's stats say which).
        Skipped => "skipped",
    }
}

text_enum! {
    /// What a job runs: `full` is every phase, the others a subset.
    JobMode {
        Full => "full",
        Extract => "extract",
        Enrich => "enrich",
        Validate => "validate",
        Resolve => "resolve",
        Graph => "graph",
        Export => "export",
        /// A list of company domains: read each site, analyse, score, export.
        Domains => "domains",
        /// From an ICP profile: search, qualify the sites found, rank.
        Prospect => "prospect",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_serde_agrees() {
        for s in UrlStatus::ALL {
            assert_eq!(UrlStatus::parse(s.as_str()), Some(*s));
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::parse(&s.to_string()), Some(*s));
        }
        assert_eq!(
            AccessVerdict::parse("robots_disallowed"),
            Some(AccessVerdict::RobotsDisallowed)
        );
        assert_eq!(Delta::parse("nope"), None);
        assert!(JobStatus::Interrupted.resumable());
        assert!(!JobStatus::Completed.resumable());
    }
}
