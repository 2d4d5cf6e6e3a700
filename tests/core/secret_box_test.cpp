#include "core/secret_box.hpp"

#include <gtest/gtest.h>

namespace winston {
namespace {

SecretBox make_box() {
  auto box = SecretBox::from_encoded_key(SecretBox::generate_encoded_key());
  EXPECT_TRUE(box.ok());
  return *box;
}

TEST(SecretBox, RoundTripsAndNeverStoresThePlaintext) {
  const auto box = make_box();
  const std::string secret = "gateway-token-\xc3\xa9\n\"quoted\"";
  const auto sealed = box.seal(secret, "tenant/t1/gateway_token");
  EXPECT_TRUE(sealed.starts_with("sb1:"));
  EXPECT_EQ(sealed.find("gateway-token"), std::string::npos);
  auto opened = box.open(sealed, "tenant/t1/gateway_token");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, secret);
  EXPECT_NE(box.seal(secret, "tenant/t1/gateway_token"), sealed) << "a fresh nonce every time";
}

TEST(SecretBox, RefusesAnotherContextAnotherKeyAndTampering) {
  const auto box = make_box();
  const auto sealed = box.seal("s3cret", "tenant/t1/gateway_token");
  EXPECT_FALSE(box.open(sealed, "tenant/t2/gateway_token").ok()) << "copied into another row";
  EXPECT_FALSE(make_box().open(sealed, "tenant/t1/gateway_token").ok()) << "another master key";
  auto tampered = sealed;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(box.open(tampered, "tenant/t1/gateway_token").ok());
  EXPECT_FALSE(box.open("plain text", "tenant/t1/gateway_token").ok());
  EXPECT_FALSE(box.open("sb1:!!!", "tenant/t1/gateway_token").ok());
  EXPECT_FALSE(box.open("sb1:", "tenant/t1/gateway_token").ok());
}

TEST(SecretBox, AcceptsHexOrBase64KeysOfExactly32Bytes) {
  EXPECT_TRUE(SecretBox::from_encoded_key(std::string(64, 'a')).ok());
  EXPECT_TRUE(SecretBox::from_encoded_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").ok());
  EXPECT_FALSE(SecretBox::from_encoded_key(std::string(62, 'a')).ok());
  EXPECT_FALSE(SecretBox::from_encoded_key(std::string(64, 'g')).ok());
  EXPECT_FALSE(SecretBox::from_encoded_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==").ok()) << "31 bytes";
  EXPECT_FALSE(SecretBox::from_encoded_key("").ok());
  const auto hex = SecretBox::generate_encoded_key();
  EXPECT_EQ(hex.size(), 64U);
  EXPECT_NE(hex, SecretBox::generate_encoded_key());
}

}  // namespace
}  // namespace winston
