//! Where company-site fetches may go: public addresses over http(s) only.
//! A website field comes from a directory page someone else wrote; without
//! this, `http://169.254.169.254/` or `http://localhost:8080/admin` in a
//! listing would make nam fetch a cloud metadata service or a local admin
//! page. Checked on the URL (IP literals), after DNS resolution, and on
//! every redirect hop (each hop resolves through the guarded resolver).
//! The demo and tests, whose world lives on loopback, switch it off
//! explicitly (`--allow-private-sites`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use super::fetch::{ResolveOverride, lookup};

/// Whether `ip` is an ordinary public address (not loopback, private,
/// link-local, carrier-grade NAT, multicast, unspecified, documentation or
/// a cloud metadata address).
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || first == 0x2001 && ip.segments()[1] == 0x0db8)
}

/// Why `url` may not be fetched, judged on the URL alone: its scheme, and
/// its host when that is an IP address.
pub fn check_url(url: &Url) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{url}: only http and https sites are read"));
    }
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(Host::Domain(_)) => return Ok(()),
        None => return Err(format!("{url}: no host")),
    };
    if is_public_ip(ip) {
        Ok(())
    } else {
        Err(blocked(&ip.to_string(), ip))
    }
}

fn blocked(host: &str, ip: IpAddr) -> String {
    format!(
        "{host} is {ip}, a private, loopback, link-local or metadata address; company sites are \
         read from public addresses only (--allow-private-sites lifts this)"
    )
}

/// A resolver that answers only with public addresses (after the fixture
/// world's override, if any, so the override cannot smuggle loopback in).
pub struct PublicOnlyResolver(pub Option<ResolveOverride>);

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let over = self.0.clone();
        Box::pin(async move {
            let addrs = lookup(over.as_ref(), &host, 0).await?;
            let public = public_addrs(&host, addrs)?;
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The public ones of `host`'s addresses, or why there are none (naming
/// the first address).
fn public_addrs(host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, String> {
    let first = addrs
        .first()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), SocketAddr::ip);
    let public: Vec<SocketAddr> = addrs.into_iter().filter(|a| is_public_ip(a.ip())).collect();
    if public.is_empty() {
        return Err(blocked(host, first));
    }
    Ok(public)
}

/// The same judgement as [`PublicOnlyResolver`], up front: the host's
/// addresses, resolved now, must include a public one.
pub async fn check_resolved(url: &Url, over: Option<&ResolveOverride>) -> Result<(), String> {
    check_url(url)?;
    let Some(Host::Domain(host)) = url.host() else {
        return Ok(());
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs = lookup(over, host, port)
        .await
        .map_err(|e| format!("{host}: cannot resolve: {e}"))?;
    // No address at all is the fetch's failure to report, not the guard's.
    if !addrs.is_empty() {
        public_addrs(host, addrs)?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::",
        ] {
            assert!(!is_public_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "151.101.1.69",
            "2606:4700::6810:84e5",
            "::ffff:8.8.4.4",
        ] {
            assert!(is_public_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_judged_by_scheme_and_literal_host() {
        let err = check_url(&Url::parse("http://169.254.169.254/latest/meta-data/").unwrap())
            .unwrap_err();
        assert!(
            err.contains("metadata") && err.contains("169.254.169.254"),
            "{err}"
        );
        assert!(check_url(&Url::parse("http://[::1]:8080/").unwrap()).is_err());
        assert!(
            check_url(&Url::parse("file:///etc/passwd").unwrap())
                .unwrap_err()
                .contains("only http and https")
        );
        assert!(check_url(&Url::parse("https://www.acme.example/").unwrap()).is_ok());
    }

    /// Every request of a guarded fetcher is checked, so every redirect
    /// hop is: an IP literal on the URL, and a name through the resolver
    /// (here one the fixture override sends to loopback). A listener on
    /// loopback sees no connection.
    #[tokio::test]
    async fn a_guarded_fetcher_refuses_each_request_to_a_private_address() {
        use super::super::fetch::{Fetcher, FetcherConfig};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let fetcher = Fetcher::new(&FetcherConfig {
            user_agent: "nam-test".into(),
            timeout: std::time::Duration::from_secs(2),
            max_body_bytes: 1 << 16,
            resolve: Some(ResolveOverride {
                host_suffixes: vec!["example".into()],
                addr,
            }),
            public_only: true,
        })
        .unwrap();
        let literal = Url::parse(&format!("http://{addr}/admin")).unwrap();
        let err = fetcher.get(&literal, None, None).await.unwrap_err();
        assert!(err.to_string().contains("public addresses only"), "{err}");
        let named = Url::parse("http://www.acme.example/").unwrap();
        let err = fetcher.get(&named, None, None).await.unwrap_err();
        assert!(format!("{err}").contains("public addresses only"), "{err}");
        let accepted =
            tokio::time::timeout(std::time::Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "no connection reached the listener");
    }

    #[tokio::test]
    async fn names_that_resolve_privately_are_refused() {
        let url = Url::parse("http://localhost:9/").unwrap();
        let err = check_resolved(&url, None).await.unwrap_err();
        assert!(
            err.contains("localhost is 127.0.0.1") || err.contains("localhost is ::1"),
            "{err}"
        );
        // The fixture override pointing at loopback is refused too.
        let over = ResolveOverride {
            host_suffixes: vec!["example".into()],
            addr: "127.0.0.1:8080".parse().unwrap(),
        };
        let url = Url::parse("http://www.acme.example/").unwrap();
        assert!(check_resolved(&url, Some(&over)).await.is_err());
        let public = ResolveOverride {
            host_suffixes: vec!["example".into()],
            addr: "93.184.216.34:80".parse().unwrap(),
        };
        assert!(check_resolved(&url, Some(&public)).await.is_ok());
    }
}
