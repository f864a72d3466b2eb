//! The client behind a reverse proxy: [`Request::client_ip`](crate::Request::client_ip).
//!
//! A proxy tells the server who its client was in a header: `Forwarded`
//! (RFC 7239, `for=`) or the older `X-Forwarded-For`. Each proxy on the way
//! appends the address it received the request from, so the list reads
//! left to right from the first hop to the last, and only the entries that
//! proxies *you* run appended can be believed: anything to their left may be
//! what the client wrote. So the client is the rightmost hop that is not a
//! trusted proxy, and the header is read only when the direct peer is one.
//!
//! Which header is read is set with
//! [`ServerBuilder::forwarded_header`](crate::ServerBuilder::forwarded_header)
//! ([`ForwardedHeader::XForwardedFor`] by default); the other is ignored. Both
//! cannot be read at once: a proxy that maintains one passes the other
//! through as the client sent it, and a forged `Forwarded` behind a proxy
//! that only appends `X-Forwarded-For` would otherwise be believed.
//!
//! # Policy
//!
//! Each rule has a unit test of that name below;
//! `tests/deploy.rs::client_ip_spoofing_attempts` runs the spoofing cases
//! through a server.
//!
//! | rule | `client_ip()` | test |
//! |---|---|---|
//! | no trusted proxies configured (the default) | the peer, headers ignored | `nothing_is_trusted_by_default` |
//! | the peer is not a trusted proxy | the peer, headers ignored | `untrusted_peer_headers_ignored` |
//! | trusted peer, no header (or only the header not configured) | the peer | `trusted_peer_without_header`, `other_header_ignored` |
//! | the rightmost hop that is not trusted | that hop | `rightmost_untrusted_hop_wins` |
//! | every hop trusted | the leftmost hop | `all_hops_trusted_gives_leftmost` |
//! | a hop that is no IP address (`unknown`, `_hidden`, garbage, a `Forwarded` element without `for=`) | the trusted hop to its right (the peer if it is the rightmost) | `garbage_hop_stops_the_walk` |
//! | several header lines | read as one list, in order | `header_lines_are_one_list` |
//! | `for=` quoted, `[v6]:port`, `v4:port`, other parameters, any case | the address | `forwarded_syntax` |
//! | `ip:port` or `[v6]:port` in `X-Forwarded-For` | the address | `x_forwarded_for_with_ports` |
//! | IPv4-mapped IPv6 peer or hop (`::ffff:a.b.c.d`) | compared and returned as IPv4 | `mapped_ipv4_is_ipv4` |
//! | a CIDR that does not parse | `bind` fails with `InvalidInput` | `invalid_cidr_is_an_error` |

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use super::Headers;

/// The header a trusted proxy states the client in.
///
/// ```
/// use mini_async_http::{AIOServer, ForwardedHeader};
/// let builder = AIOServer::builder()
///     .trusted_proxies(["127.0.0.1"])
///     .forwarded_header(ForwardedHeader::Forwarded);
/// # let _ = builder;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2`, what nginx
    /// (`$proxy_add_x_forwarded_for`), `HAProxy` (`option forwardfor`) and most
    /// load balancers send.
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

impl ForwardedHeader {
    fn name(self) -> &'static str {
        match self {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        }
    }
}

/// An address range: `10.0.0.0/8`, `::1/128`, or a single address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text.trim(), None),
        };
        let net = addr.parse::<IpAddr>().ok()?.to_canonical();
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
        };
        (prefix <= max).then_some(Cidr { net, prefix })
    }

    fn contains(self, ip: IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The proxies whose forwarding header is believed, and which header (set
/// through [`ServerBuilder::trusted_proxies`](crate::ServerBuilder::trusted_proxies);
/// not nameable outside the crate).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<Cidr>,
    pub(crate) header: ForwardedHeader,
}

impl fmt::Debug for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedProxies")
            .field("nets", &self.nets.len())
            .field("header", &self.header)
            .finish()
    }
}

impl TrustedProxies {
    /// Parses the ranges; the error names the first that does not parse.
    pub(crate) fn parse<I, S>(nets: I, header: ForwardedHeader) -> Result<TrustedProxies, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let nets = nets
            .into_iter()
            .map(|s| Cidr::parse(s.as_ref()).ok_or_else(|| s.as_ref().to_owned()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies { nets, header })
    }

    /// Whether no proxy is trusted.
    pub(crate) fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(ip))
    }

    /// The client of a request from `peer` with these headers (see the
    /// module doc). One pass over the hops, left to right, keeping the
    /// answer as it would be if every hop further right were trusted.
    pub(crate) fn client_ip(&self, peer: IpAddr, headers: &Headers) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let mut answer = Answer::Peer;
        let mut see = |hop: Option<IpAddr>| {
            answer = match (hop.map(|ip| ip.to_canonical()), answer) {
                (None, _) => Answer::Peer,
                (Some(ip), _) if !self.trusts(ip) => Answer::Hop(ip),
                (Some(ip), Answer::Peer) => Answer::Hop(ip),
                (Some(_), kept) => kept,
            };
        };
        for line in headers.get_all(self.header.name()) {
            match self.header {
                ForwardedHeader::XForwardedFor => line.split(',').for_each(|h| see(parse_node(h))),
                ForwardedHeader::Forwarded => {
                    split_outside_quotes(line, b',').for_each(|e| see(forwarded_for(e)));
                }
            }
        }
        match answer {
            Answer::Peer => peer,
            Answer::Hop(ip) => ip,
        }
    }
}

/// The client if every hop to the right of those seen so far is trusted.
#[derive(Clone, Copy)]
enum Answer {
    /// The next hop to the right (the peer if there is none): nothing seen
    /// yet, or the last hop was no address.
    Peer,
    Hop(IpAddr),
}

/// An address as a hop states it: `1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]`,
/// `[::1]:80`; `None` for anything else.
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    text.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

/// The `for=` node of one `Forwarded` element (`for=x;proto=https;by=y`).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    split_outside_quotes(element, b';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("for") {
            return None;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        Some(parse_node(value))
    })?
}

/// Splits at `sep` bytes that are not inside a quoted string.
fn split_outside_quotes(text: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let s = rest?;
        let mut quoted = false;
        let mut escaped = false;
        for (i, b) in s.bytes().enumerate() {
            match b {
                _ if escaped => escaped = false,
                b'\\' if quoted => escaped = true,
                b'"' => quoted = !quoted,
                _ if b == sep && !quoted => {
                    rest = Some(&s[i + 1..]);
                    return Some(&s[..i]);
                }
                _ => {}
            }
        }
        rest = None;
        Some(s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(nets: &[&str], header: ForwardedHeader) -> TrustedProxies {
        TrustedProxies::parse(nets, header).unwrap()
    }

    fn client(p: &TrustedProxies, peer: &str, fields: &[(&str, &str)]) -> IpAddr {
        let headers: Headers = fields.iter().copied().collect();
        p.client_ip(ip(peer), &headers)
    }

    const XFF: ForwardedHeader = ForwardedHeader::XForwardedFor;
    const FWD: ForwardedHeader = ForwardedHeader::Forwarded;

    #[test]
    fn nothing_is_trusted_by_default() {
        let p = TrustedProxies::default();
        assert!(p.is_empty());
        let got = client(&p, "10.0.0.1", &[("X-Forwarded-For", "1.2.3.4")]);
        assert_eq!(got, ip("10.0.0.1"));
    }

    #[test]
    fn untrusted_peer_headers_ignored() {
        let p = proxies(&["10.0.0.0/8"], XFF);
        let got = client(&p, "192.0.2.7", &[("X-Forwarded-For", "1.2.3.4")]);
        assert_eq!(got, ip("192.0.2.7"), "a client cannot name itself");
        let p = proxies(&["10.0.0.0/8"], FWD);
        let got = client(&p, "192.0.2.7", &[("Forwarded", "for=1.2.3.4")]);
        assert_eq!(got, ip("192.0.2.7"));
    }

    #[test]
    fn trusted_peer_without_header() {
        let p = proxies(&["10.0.0.0/8"], XFF);
        assert_eq!(client(&p, "10.1.2.3", &[]), ip("10.1.2.3"));
    }

    #[test]
    fn other_header_ignored() {
        // The proxy maintains X-Forwarded-For; a Forwarded the client sent
        // passes through it untouched and must not be believed.
        let p = proxies(&["10.0.0.1"], XFF);
        let fields = [
            ("Forwarded", "for=6.6.6.6"),
            ("X-Forwarded-For", "203.0.113.9"),
        ];
        assert_eq!(client(&p, "10.0.0.1", &fields), ip("203.0.113.9"));
        let p = proxies(&["10.0.0.1"], FWD);
        let fields = [
            ("X-Forwarded-For", "6.6.6.6"),
            ("Forwarded", "for=203.0.113.9"),
        ];
        assert_eq!(client(&p, "10.0.0.1", &fields), ip("203.0.113.9"));
        assert_eq!(
            client(&p, "10.0.0.1", &[("X-Forwarded-For", "6.6.6.6")]),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn rightmost_untrusted_hop_wins() {
        let p = proxies(&["10.0.0.0/8"], XFF);
        // The client sent "X-Forwarded-For: 6.6.6.6" itself; the proxy
        // appended the address it saw.
        let fields = [("X-Forwarded-For", "6.6.6.6, 203.0.113.9, 10.0.0.2")];
        assert_eq!(client(&p, "10.0.0.1", &fields), ip("203.0.113.9"));
        let fields = [("X-Forwarded-For", "10.9.9.9, 203.0.113.9")];
        assert_eq!(
            client(&p, "10.0.0.1", &fields),
            ip("203.0.113.9"),
            "a trusted address forged to the left changes nothing"
        );
    }

    #[test]
    fn all_hops_trusted_gives_leftmost() {
        let p = proxies(&["10.0.0.0/8", "192.168.0.0/16"], XFF);
        let fields = [("X-Forwarded-For", "192.168.1.1, 10.0.0.3")];
        assert_eq!(client(&p, "10.0.0.1", &fields), ip("192.168.1.1"));
    }

    #[test]
    fn garbage_hop_stops_the_walk() {
        let p = proxies(&["10.0.0.0/8"], XFF);
        let fields = [("X-Forwarded-For", "203.0.113.9, unknown, 10.0.0.2")];
        assert_eq!(client(&p, "10.0.0.1", &fields), ip("10.0.0.2"));
        let fields = [("X-Forwarded-For", "203.0.113.9, <script>")];
        assert_eq!(client(&p, "10.0.0.1", &fields), ip("10.0.0.1"));
        let fields = [("X-Forwarded-For", "")];
        assert_eq!(client(&p, "10.0.0.1", &fields), ip("10.0.0.1"));
        let p = proxies(&["10.0.0.0/8"], FWD);
        let fields = [("Forwarded", "for=203.0.113.9, for=_hidden")];
        assert_eq!(client(&p, "10.0.0.1", &fields), ip("10.0.0.1"));
        let fields = [("Forwarded", "for=203.0.113.9, proto=https")];
        assert_eq!(client(&p, "10.0.0.1", &fields), ip("10.0.0.1"));
    }

    #[test]
    fn header_lines_are_one_list() {
        let p = proxies(&["10.0.0.0/8"], XFF);
        let fields = [
            ("X-Forwarded-For", "6.6.6.6"),
            ("X-Forwarded-For", "203.0.113.9, 10.0.0.5"),
        ];
        assert_eq!(client(&p, "10.0.0.1", &fields), ip("203.0.113.9"));
        let fields = [
            ("X-Forwarded-For", "203.0.113.9"),
            ("X-Forwarded-For", "6.6.6.6"),
        ];
        assert_eq!(client(&p, "10.0.0.1", &fields), ip("6.6.6.6"));
    }

    #[test]
    fn forwarded_syntax() {
        let p = proxies(&["10.0.0.0/8"], FWD);
        let cases = [
            ("for=203.0.113.9", "203.0.113.9"),
            ("For=\"203.0.113.9:4711\"", "203.0.113.9"),
            ("for=\"[2001:db8::1]:4711\";proto=https", "2001:db8::1"),
            (
                "proto=https;FOR=\"[2001:db8::2]\";by=10.0.0.1",
                "2001:db8::2",
            ),
            ("for=\"203.0.113.9;x\", for=10.0.0.4", "10.0.0.4"),
            ("for=6.6.6.6,for=203.0.113.8 , for=10.0.0.4", "203.0.113.8"),
        ];
        for (value, want) in cases {
            assert_eq!(
                client(&p, "10.0.0.1", &[("Forwarded", value)]),
                ip(want),
                "{value}"
            );
        }
    }

    #[test]
    fn x_forwarded_for_with_ports() {
        let p = proxies(&["10.0.0.0/8"], XFF);
        let fields = [("X-Forwarded-For", "203.0.113.9:5555, [2001:db8::7]:80")];
        assert_eq!(client(&p, "10.0.0.1", &fields), ip("2001:db8::7"));
        let fields = [("X-Forwarded-For", " [2001:db8::8] ")];
        assert_eq!(client(&p, "10.0.0.1", &fields), ip("2001:db8::8"));
    }

    #[test]
    fn mapped_ipv4_is_ipv4() {
        let p = proxies(&["10.0.0.0/8"], XFF);
        let fields = [("X-Forwarded-For", "::ffff:203.0.113.9")];
        assert_eq!(client(&p, "::ffff:10.0.0.1", &fields), ip("203.0.113.9"));
        assert_eq!(client(&p, "::ffff:192.0.2.1", &fields), ip("192.0.2.1"));
    }

    #[test]
    fn invalid_cidr_is_an_error() {
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "::1/129",
            "x",
            "10.0.0.0/",
            "1.2.3.4/+8",
        ] {
            assert_eq!(
                TrustedProxies::parse([bad], XFF),
                Err(bad.to_owned()),
                "{bad}"
            );
        }
        let ok =
            TrustedProxies::parse(["0.0.0.0/0", "::/0", " 127.0.0.1 ", "fe80::/10"], XFF).unwrap();
        assert!(ok.trusts(ip("8.8.8.8")));
        assert!(ok.trusts(ip("2001:db8::1")));
    }

    #[test]
    fn cidr_boundaries() {
        let net = Cidr::parse("192.168.4.0/22").unwrap();
        assert!(net.contains(ip("192.168.4.0")));
        assert!(net.contains(ip("192.168.7.255")));
        assert!(!net.contains(ip("192.168.8.0")));
        assert!(!net.contains(ip("192.168.3.255")));
        assert!(!net.contains(ip("::ffff:192.168.4.1")), "families differ");
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
    }
}
