#include "analyzer/address_guard.hpp"

#include <algorithm>
#include <charconv>

namespace winston::analyzer {
namespace ip = boost::asio::ip;
namespace {

using Bytes6 = ip::address_v6::bytes_type;

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) { return (a << 24U) | (b << 16U) | (c << 8U) | d; }

/// True when `addr` lies in base/prefix (IPv4, host order).
constexpr bool in4(std::uint32_t addr, std::uint32_t base, unsigned prefix) {
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (addr & mask) == (base & mask);
}

/// Whether the first `prefix` bits of two byte strings agree.
bool prefix_equal(const std::uint8_t* a, const std::uint8_t* b, unsigned prefix) {
  const unsigned full = prefix / 8;
  if (!std::equal(a, a + full, b)) return false;
  const unsigned rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFFU << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

bool in6(const Bytes6& addr, const Bytes6& base, unsigned prefix) { return prefix_equal(addr.data(), base.data(), prefix); }

Bytes6 v6(std::string_view text) { return ip::make_address_v6(text).to_bytes(); }

AddressClass classify_v4(const ip::address_v4& a) {
  const std::uint32_t x = a.to_uint();
  // Cloud instance metadata (AWS/GCP/Azure/OpenStack, Alibaba, Azure's wire
  // server): a classic SSRF target, kept apart so even allow_private refuses it.
  if (x == v4(169, 254, 169, 254) || x == v4(100, 100, 100, 200) || x == v4(168, 63, 129, 16)) {
    return AddressClass::kCloudMetadata;
  }
  if (x == v4(255, 255, 255, 255)) return AddressClass::kBroadcast;
  if (in4(x, v4(0, 0, 0, 0), 8)) return AddressClass::kUnspecified;  // Linux connects 0.0.0.0 to itself
  if (in4(x, v4(127, 0, 0, 0), 8)) return AddressClass::kLoopback;
  if (in4(x, v4(10, 0, 0, 0), 8) || in4(x, v4(172, 16, 0, 0), 12) || in4(x, v4(192, 168, 0, 0), 16)) {
    return AddressClass::kPrivate;
  }
  if (in4(x, v4(100, 64, 0, 0), 10)) return AddressClass::kSharedCgnat;
  if (in4(x, v4(169, 254, 0, 0), 16)) return AddressClass::kLinkLocal;
  if (in4(x, v4(224, 0, 0, 0), 4)) return AddressClass::kMulticast;
  if (in4(x, v4(240, 0, 0, 0), 4)) return AddressClass::kReserved;
  if (in4(x, v4(192, 0, 2, 0), 24) || in4(x, v4(198, 51, 100, 0), 24) || in4(x, v4(203, 0, 113, 0), 24)) {
    return AddressClass::kDocumentation;
  }
  if (in4(x, v4(198, 18, 0, 0), 15)) return AddressClass::kBenchmarking;
  // IETF protocol assignments and the deprecated 6to4 relay anycast block.
  if (in4(x, v4(192, 0, 0, 0), 24) || in4(x, v4(192, 88, 99, 0), 24)) return AddressClass::kReserved;
  return AddressClass::kPublic;
}

ip::address_v4 v4_at(const Bytes6& b, std::size_t at, bool inverted = false) {
  ip::address_v4::bytes_type out{};
  for (std::size_t i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(inverted ? ~b[at + i] : b[at + i]);
  return ip::address_v4(out);
}

/// The IPv4 address an IPv6 address hands its packets to, if it is one of
/// the translation or tunnelling forms. `compat` is set for the deprecated
/// IPv4-compatible form, which no longer reaches the embedded address.
std::optional<ip::address_v4> embedded_v4(const Bytes6& b, bool& compat) {
  static const Bytes6 kMapped = v6("::ffff:0:0"), kSiit = v6("::ffff:0:0:0"), kNat64 = v6("64:ff9b::"),
                      kCompat = v6("::"), k6to4 = v6("2002::"), kTeredo = v6("2001::");
  compat = false;
  if (in6(b, kMapped, 96) || in6(b, kSiit, 96) || in6(b, kNat64, 96)) return v4_at(b, 12);
  if (in6(b, kCompat, 96)) {
    compat = true;
    return v4_at(b, 12);
  }
  if (in6(b, k6to4, 16)) return v4_at(b, 2);
  if (in6(b, kTeredo, 32)) return v4_at(b, 12, /*inverted=*/true);  // the client address is stored inverted
  return std::nullopt;
}

AddressClass classify_v6_native(const Bytes6& b) {
  static const Bytes6 kMetadata = v6("fd00:ec2::254"), kMulticast = v6("ff00::"), kLinkLocal = v6("fe80::"),
                      kUniqueLocal = v6("fc00::"), kSiteLocal = v6("fec0::"), kLocalNat64 = v6("64:ff9b:1::"),
                      kDoc = v6("2001:db8::"), kDoc2 = v6("3fff::"), kBench = v6("2001:2::"),
                      kIetf = v6("2001::"), kGlobal = v6("2000::");
  if (b == kMetadata) return AddressClass::kCloudMetadata;
  if (in6(b, kMulticast, 8)) return AddressClass::kMulticast;
  if (in6(b, kLinkLocal, 10)) return AddressClass::kLinkLocal;
  if (in6(b, kUniqueLocal, 7) || in6(b, kSiteLocal, 10) || in6(b, kLocalNat64, 48)) return AddressClass::kPrivate;
  if (in6(b, kDoc, 32) || in6(b, kDoc2, 20)) return AddressClass::kDocumentation;
  if (in6(b, kBench, 48)) return AddressClass::kBenchmarking;
  if (in6(b, kIetf, 23)) return AddressClass::kReserved;
  if (!in6(b, kGlobal, 3)) return AddressClass::kReserved;  // only 2000::/3 is allocated global unicast
  return AddressClass::kPublic;
}

AddressInfo classify_v6(const ip::address_v6& a) {
  if (a.is_unspecified()) return {AddressClass::kUnspecified, std::nullopt};
  if (a.is_loopback()) return {AddressClass::kLoopback, std::nullopt};
  const Bytes6 b = a.to_bytes();
  bool compat = false;
  if (auto e = embedded_v4(b, compat)) {
    AddressClass c = classify_v4(*e);
    if (c == AddressClass::kPublic && compat) c = AddressClass::kReserved;
    return {c, e};
  }
  return {classify_v6_native(b), std::nullopt};
}

bool always_refused(AddressClass c) {
  return c == AddressClass::kUnspecified || c == AddressClass::kMulticast || c == AddressClass::kBroadcast ||
         c == AddressClass::kCloudMetadata;
}

Error bad_network(std::string_view cidr, std::string_view why) {
  return Error::invalid("allow_networks", "allow_networks entry '" + std::string(cidr) + "' " + std::string(why) +
                                              " (expected a CIDR block such as 127.0.0.2/32 or fd00::/8)");
}

}  // namespace

std::string_view describe(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic: return "a public address";
    case AddressClass::kUnspecified: return "an unspecified address";
    case AddressClass::kLoopback: return "a loopback address";
    case AddressClass::kPrivate: return "a private address";
    case AddressClass::kSharedCgnat: return "a carrier-grade NAT (shared) address";
    case AddressClass::kLinkLocal: return "a link-local address";
    case AddressClass::kMulticast: return "a multicast address";
    case AddressClass::kBroadcast: return "a broadcast address";
    case AddressClass::kReserved: return "a reserved address";
    case AddressClass::kDocumentation: return "a documentation address";
    case AddressClass::kBenchmarking: return "a benchmarking address";
    case AddressClass::kCloudMetadata: return "a cloud metadata address";
  }
  return "an unknown address";
}

AddressInfo classify(const ip::address& a) {
  if (a.is_v4()) return {classify_v4(a.to_v4()), std::nullopt};
  return classify_v6(a.to_v6());
}

Result<Network> Network::parse(std::string_view cidr) {
  const auto slash = cidr.find('/');
  const std::string addr_text(cidr.substr(0, slash));
  boost::system::error_code ec;
  const ip::address addr = ip::make_address(addr_text, ec);
  if (ec) return bad_network(cidr, "is not an IP address or CIDR block");
  Network n;
  n.v6 = addr.is_v6();
  const unsigned max_prefix = n.v6 ? 128 : 32;
  n.prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view p = cidr.substr(slash + 1);
    const auto [end, err] = std::from_chars(p.data(), p.data() + p.size(), n.prefix);
    if (p.empty() || err != std::errc() || end != p.data() + p.size() || n.prefix > max_prefix) {
      return bad_network(cidr, "has an invalid prefix length");
    }
  }
  if (n.v6) {
    n.bytes = addr.to_v6().to_bytes();
  } else {
    const auto b4 = addr.to_v4().to_bytes();
    std::copy(b4.begin(), b4.end(), n.bytes.begin());
  }
  std::array<std::uint8_t, 16> masked{};
  const unsigned full = n.prefix / 8;
  std::copy(n.bytes.begin(), n.bytes.begin() + full, masked.begin());
  if (n.prefix % 8 != 0) masked[full] = static_cast<std::uint8_t>(n.bytes[full] & (0xFFU << (8 - n.prefix % 8)));
  if (masked != n.bytes) return bad_network(cidr, "has host bits set beyond its prefix length");
  return n;
}

bool Network::contains(const ip::address& a) const {
  if (a.is_v6() != v6) return false;
  if (v6) return prefix_equal(a.to_v6().to_bytes().data(), bytes.data(), prefix);
  return prefix_equal(a.to_v4().to_bytes().data(), bytes.data(), prefix);
}

Result<AddressGuard> AddressGuard::create(const AddressGuardOptions& options) {
  AddressGuard g;
  g.allow_private_ = options.allow_private;
  for (const auto& cidr : options.allow_networks) {
    WINSTON_TRY_ASSIGN(Network n, Network::parse(cidr));
    g.allow_networks_.push_back(n);
  }
  return g;
}

bool AddressGuard::exempt(const ip::address& a) const {
  const auto info = classify(a);
  return std::any_of(allow_networks_.begin(), allow_networks_.end(), [&](const Network& n) {
    return n.contains(a) || (info.embedded && n.contains(ip::address(*info.embedded)));
  });
}

std::optional<std::string> AddressGuard::refusal(const ip::address& a) const {
  if (exempt(a)) return std::nullopt;
  const AddressInfo info = classify(a);
  if (info.cls == AddressClass::kPublic) return std::nullopt;
  if (allow_private_ && !always_refused(info.cls)) return std::nullopt;
  std::string why = a.to_string() + " is " + std::string(describe(info.cls));
  if (info.embedded) why += " (it carries IPv4 " + info.embedded->to_string() + ")";
  return why;
}

}  // namespace winston::analyzer
