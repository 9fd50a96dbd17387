//! Which address a request comes from, behind trusted proxies: the address rate limits and
//! logs use.
//!
//! A load balancer connects on the client's behalf and names the client in `X-Forwarded-For`,
//! appending to whatever the client sent. So the header is believed only when the peer is a
//! proxy the operator trusts, and then only from the right: the right-most address that is not
//! itself a trusted proxy is the client. Anything to its left the client could have written.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
use serde::Deserialize;

/// The `[server] trusted_proxies` setting: addresses and networks (`10.0.0.7`, `10.0.0.0/8`,
/// `fd00::/8`) whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct TrustedProxies(Vec<IpNet>);

impl TryFrom<Vec<String>> for TrustedProxies {
    type Error = String;

    fn try_from(entries: Vec<String>) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!(
                            "server.trusted_proxies: {entry:?} is not an IP address or a network \
                             such as 10.0.0.0/8"
                        )
                    })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl TrustedProxies {
    /// Whether `ip` is one of the trusted proxies. An IPv4 address that came over IPv6
    /// (`::ffff:10.0.0.7`) is compared as the IPv4 address it is.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: `peer` itself unless `peer` is trusted; then, walking the
    /// `forwarded_for` headers (in the order received) from the right, the first address that
    /// is not trusted. When every address is trusted, the left-most; when an entry cannot be
    /// read, the trusted address that handed it over (the client is not known beyond it).
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut client = peer;
        if !self.trusts(peer) {
            return client;
        }
        let hops = forwarded_for.iter().flat_map(|h| h.split(',')).rev();
        for hop in hops.map(str::trim).filter(|h| !h.is_empty()) {
            let Some(ip) = parse_hop(hop) else {
                return client;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// An address as proxies write them: bare, or with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::try_from(entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("10.0.0.7"), &["6.6.6.6"]), ip("10.0.0.7"));
    }

    #[test]
    fn an_untrusted_peers_header_is_ignored() {
        let p = proxies(&["10.0.0.0/8"]);
        assert_eq!(p.client(ip("203.0.113.9"), &["6.6.6.6"]), ip("203.0.113.9"));
    }

    #[test]
    fn a_trusted_peer_names_the_right_most_untrusted_address() {
        let p = proxies(&["10.0.0.0/8", "192.168.1.5"]);
        // The client wrote 6.6.6.6 itself; the first proxy appended what it saw, 198.51.100.4;
        // the second (10.1.2.3) appended the first proxy.
        let header = ["6.6.6.6, 198.51.100.4", "192.168.1.5"];
        assert_eq!(p.client(ip("10.1.2.3"), &header), ip("198.51.100.4"));
        assert_eq!(
            p.client(ip("10.1.2.3"), &["6.6.6.6, 198.51.100.4, 10.9.9.9"]),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn a_trusted_peer_without_a_header_is_the_client() {
        let p = proxies(&["10.0.0.0/8"]);
        assert_eq!(p.client(ip("10.1.2.3"), &[]), ip("10.1.2.3"));
    }

    #[test]
    fn when_every_hop_is_trusted_the_left_most_is_the_client() {
        let p = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            p.client(ip("10.0.0.1"), &["10.0.0.9, 10.0.0.8"]),
            ip("10.0.0.9")
        );
    }

    #[test]
    fn an_unreadable_hop_stops_at_the_proxy_that_handed_it_over() {
        let p = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            p.client(ip("10.0.0.1"), &["1.1.1.1, garbage, 10.0.0.2"]),
            ip("10.0.0.2")
        );
        assert_eq!(p.client(ip("10.0.0.1"), &["unknown"]), ip("10.0.0.1"));
    }

    #[test]
    fn hops_with_ports_and_ipv6_are_read() {
        let p = proxies(&["fd00::/8", "10.0.0.1"]);
        assert_eq!(
            p.client(ip("fd00::1"), &["[2001:db8::5]:4711, 10.0.0.1:80"]),
            ip("2001:db8::5")
        );
        assert_eq!(
            p.client(ip("::ffff:10.0.0.1"), &["198.51.100.4"]),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn a_bad_entry_is_refused_with_its_name() {
        let err = TrustedProxies::try_from(vec!["10.0.0.0/33".to_string()]).unwrap_err();
        assert!(err.contains("10.0.0.0/33"), "{err}");
        assert!(TrustedProxies::try_from(vec!["proxy.local".to_string()]).is_err());
    }
}
