#include "analyzer/address_guard.hpp"

#include <gtest/gtest.h>

namespace winston::analyzer {
namespace {

namespace ip = boost::asio::ip;

std::string refusal(const AddressGuard& g, const char* address) {
  return g.refusal(ip::make_address(address)).value_or("");
}

TEST(AddressGuard, RefusesSpecialIPv4RangesAndSaysWhy) {
  const AddressGuard strict;
  const std::vector<std::pair<const char*, AddressClass>> cases = {
      {"127.0.0.1", AddressClass::kLoopback},        {"127.255.255.254", AddressClass::kLoopback},
      {"0.0.0.0", AddressClass::kUnspecified},       {"0.1.2.3", AddressClass::kUnspecified},
      {"10.0.0.1", AddressClass::kPrivate},          {"172.16.0.1", AddressClass::kPrivate},
      {"172.31.255.255", AddressClass::kPrivate},    {"192.168.1.1", AddressClass::kPrivate},
      {"100.64.0.1", AddressClass::kSharedCgnat},    {"100.127.255.255", AddressClass::kSharedCgnat},
      {"169.254.1.1", AddressClass::kLinkLocal},     {"224.0.0.1", AddressClass::kMulticast},
      {"239.255.255.250", AddressClass::kMulticast}, {"255.255.255.255", AddressClass::kBroadcast},
      {"240.0.0.1", AddressClass::kReserved},        {"192.0.0.8", AddressClass::kReserved},
      {"192.0.2.1", AddressClass::kDocumentation},   {"198.51.100.7", AddressClass::kDocumentation},
      {"203.0.113.9", AddressClass::kDocumentation}, {"198.18.0.1", AddressClass::kBenchmarking},
      {"169.254.169.254", AddressClass::kCloudMetadata}, {"100.100.100.200", AddressClass::kCloudMetadata},
  };
  for (const auto& [address, cls] : cases) {
    EXPECT_EQ(classify(ip::make_address(address)).cls, cls) << address;
    EXPECT_EQ(refusal(strict, address), std::string(address) + " is " + std::string(describe(cls))) << address;
  }
  EXPECT_EQ(refusal(strict, "10.0.0.1"), "10.0.0.1 is a private address");
}

TEST(AddressGuard, AllowsPublicAddresses) {
  const AddressGuard strict;
  for (const char* a : {"8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "11.0.0.1",
                        "2606:4700:4700::1111", "2a00:1450:4001:81b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808",
                        "2002:808:808::1"}) {
    EXPECT_TRUE(strict.allows(ip::make_address(a))) << a << ": " << refusal(strict, a);
  }
}

TEST(AddressGuard, RefusesSpecialIPv6Ranges) {
  const AddressGuard strict;
  const std::vector<std::pair<const char*, AddressClass>> cases = {
      {"::", AddressClass::kUnspecified},         {"::1", AddressClass::kLoopback},
      {"fe80::1", AddressClass::kLinkLocal},      {"fc00::1", AddressClass::kPrivate},
      {"fd12:3456::1", AddressClass::kPrivate},   {"fec0::1", AddressClass::kPrivate},
      {"ff02::1", AddressClass::kMulticast},      {"2001:db8::1", AddressClass::kDocumentation},
      {"3fff::1", AddressClass::kDocumentation},  {"100::1", AddressClass::kReserved},
      {"2001:2::1", AddressClass::kBenchmarking}, {"fd00:ec2::254", AddressClass::kCloudMetadata},
      {"64:ff9b:1::1", AddressClass::kPrivate},   {"4000::1", AddressClass::kReserved},
  };
  for (const auto& [address, cls] : cases) {
    EXPECT_EQ(classify(ip::make_address(address)).cls, cls) << address;
    EXPECT_FALSE(strict.allows(ip::make_address(address))) << address;
  }
}

TEST(AddressGuard, ClassifiesIPv6FormsByTheIPv4AddressTheyCarry) {
  const AddressGuard strict;
  const std::vector<std::tuple<const char*, AddressClass, const char*>> cases = {
      {"::ffff:127.0.0.1", AddressClass::kLoopback, "127.0.0.1"},            // IPv4-mapped
      {"::ffff:10.0.0.1", AddressClass::kPrivate, "10.0.0.1"},
      {"::ffff:0:169.254.169.254", AddressClass::kCloudMetadata, "169.254.169.254"},  // SIIT
      {"::127.0.0.1", AddressClass::kLoopback, "127.0.0.1"},                 // IPv4-compatible
      {"::8.8.8.8", AddressClass::kReserved, "8.8.8.8"},                     // deprecated form: never public
      {"64:ff9b::a9fe:a9fe", AddressClass::kCloudMetadata, "169.254.169.254"},  // NAT64
      {"64:ff9b::c0a8:101", AddressClass::kPrivate, "192.168.1.1"},
      {"2002:7f00:1::", AddressClass::kLoopback, "127.0.0.1"},               // 6to4
      {"2002:a00:1::1", AddressClass::kPrivate, "10.0.0.1"},
      {"2001:0:4136:e378:8000:63bf:f5ff:fffe", AddressClass::kPrivate, "10.0.0.1"},  // Teredo, inverted client
  };
  for (const auto& [address, cls, v4] : cases) {
    const auto info = classify(ip::make_address(address));
    EXPECT_EQ(info.cls, cls) << address;
    ASSERT_TRUE(info.embedded.has_value()) << address;
    EXPECT_EQ(info.embedded->to_string(), v4) << address;
    EXPECT_NE(refusal(strict, address).find(std::string("carries IPv4 ") + v4), std::string::npos) << address;
  }
}

TEST(AddressGuard, AllowPrivateOpensPrivateRangesButNotMulticastUnspecifiedOrMetadata) {
  auto g = AddressGuard::create({.allow_private = true, .allow_networks = {}});
  ASSERT_TRUE(g.ok());
  for (const char* a : {"127.0.0.1", "10.1.2.3", "192.168.0.10", "::1", "fd12::1", "169.254.1.1", "100.64.1.1",
                        "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(g->allows(ip::make_address(a))) << a;
  }
  for (const char* a : {"0.0.0.0", "::", "224.0.0.1", "ff02::1", "255.255.255.255", "169.254.169.254",
                        "fd00:ec2::254", "100.100.100.200", "::ffff:169.254.169.254"}) {
    EXPECT_FALSE(g->allows(ip::make_address(a))) << a;
  }
}

TEST(AddressGuard, AllowNetworksExemptExactlyTheirBlocks) {
  auto g = AddressGuard::create({.allow_private = false, .allow_networks = {"127.0.0.2/32", "10.1.0.0/16", "fd00::/8"}});
  ASSERT_TRUE(g.ok()) << g.error().message;
  for (const char* a : {"127.0.0.2", "10.1.2.3", "10.1.255.255", "fd00::5", "::ffff:127.0.0.2"}) {
    EXPECT_TRUE(g->allows(ip::make_address(a))) << a;
  }
  for (const char* a : {"127.0.0.1", "127.0.0.3", "10.2.0.1", "fc00::1", "192.168.0.1", "::1"}) {
    EXPECT_FALSE(g->allows(ip::make_address(a))) << a;
  }
  EXPECT_TRUE(g->allows(ip::make_address("8.8.8.8")));
}

TEST(AddressGuard, BadAllowNetworksAreAClearError) {
  for (const char* bad : {"10.0.0.0/33", "nonsense", "10.0.0.1/8", "127.0.0.2/", "/8", "10.0.0.0/x", "fd00::/129",
                          "fd00::1/8", "10.0.0.0/-1", ""}) {
    auto g = AddressGuard::create({.allow_private = false, .allow_networks = {"127.0.0.2/32", bad}});
    ASSERT_FALSE(g.ok()) << bad;
    EXPECT_EQ(g.error().code, ErrorCode::kInvalidField);
    EXPECT_EQ(g.error().field, "allow_networks");
    EXPECT_NE(g.error().message.find("'" + std::string(bad) + "'"), std::string::npos) << g.error().message;
  }
}

TEST(AddressGuard, NetworksParseBareAddressesAsSingleHosts) {
  auto n = Network::parse("127.0.0.2");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->prefix, 32U);
  EXPECT_TRUE(n->contains(ip::make_address("127.0.0.2")));
  EXPECT_FALSE(n->contains(ip::make_address("127.0.0.3")));
  auto v6 = Network::parse("2001:db8::/32");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->contains(ip::make_address("2001:db8:ffff::1")));
  EXPECT_FALSE(v6->contains(ip::make_address("2001:db9::1")));
  EXPECT_FALSE(v6->contains(ip::make_address("10.0.0.1")));
  auto all = Network::parse("0.0.0.0/0");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->contains(ip::make_address("203.0.113.1")));
}

}  // namespace
}  // namespace winston::analyzer
