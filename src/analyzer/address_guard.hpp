#pragma once
// The website analyzer's SSRF guard: decides whether an IP address may be
// contacted on behalf of a tenant. A tenant controls its website URL, its DNS
// and its redirects, so every address the fetcher is about to connect to
// passes through here — not only the first name.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "core/error.hpp"

namespace winston::analyzer {

/// Why an address is special. kPublic is the only class contacted by default.
enum class AddressClass {
  kPublic,
  kUnspecified,    // 0.0.0.0/8, ::
  kLoopback,       // 127/8, ::1
  kPrivate,        // 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10, 64:ff9b:1::/48
  kSharedCgnat,    // 100.64/10
  kLinkLocal,      // 169.254/16, fe80::/10
  kMulticast,      // 224/4, ff00::/8
  kBroadcast,      // 255.255.255.255
  kReserved,       // 240/4, IETF and other special-purpose blocks, IPv6 outside 2000::/3
  kDocumentation,  // TEST-NET-1/2/3, 2001:db8::/32, 3fff::/20
  kBenchmarking,   // 198.18/15, 2001:2::/48
  kCloudMetadata,  // 169.254.169.254, 100.100.100.200, fd00:ec2::254, 168.63.129.16
};

/// "a private address", for messages such as "10.0.0.1 is a private address".
std::string_view describe(AddressClass c);

/// What an address is. IPv6 forms that carry an IPv4 address the packets end
/// up at (IPv4-mapped, IPv4-compatible, SIIT, NAT64 64:ff9b::/96, 6to4,
/// Teredo) are classified by that IPv4 address, reported in `embedded`.
struct AddressInfo {
  AddressClass cls = AddressClass::kPublic;
  std::optional<boost::asio::ip::address_v4> embedded;
};
AddressInfo classify(const boost::asio::ip::address& a);

/// One CIDR block, IPv4 or IPv6.
struct Network {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // network address (v4 uses the first 4)
  unsigned prefix = 0;
  /// "127.0.0.2/32", "fd00::/8", or a bare address (a /32 or /128). Host bits
  /// beyond the prefix are refused as ambiguous.
  static Result<Network> parse(std::string_view cidr);
  bool contains(const boost::asio::ip::address& a) const;
};

struct AddressGuardOptions {
  /// Development only: everything but multicast, unspecified, broadcast and the
  /// cloud metadata addresses may be contacted.
  bool allow_private = false;
  /// CIDR blocks exempt from the guard (e.g. "127.0.0.2/32" for a test site).
  std::vector<std::string> allow_networks;
};

class AddressGuard {
 public:
  /// The strict guard: public addresses only.
  AddressGuard() = default;
  /// kInvalidField on "allow_networks" naming the first CIDR that does not parse.
  static Result<AddressGuard> create(const AddressGuardOptions& options);

  /// Empty when `a` may be contacted, else why not:
  /// "10.0.0.1 is a private address".
  std::optional<std::string> refusal(const boost::asio::ip::address& a) const;
  bool allows(const boost::asio::ip::address& a) const { return !refusal(a).has_value(); }

 private:
  bool exempt(const boost::asio::ip::address& a) const;

  bool allow_private_ = false;
  std::vector<Network> allow_networks_;
};

}  // namespace winston::analyzer
